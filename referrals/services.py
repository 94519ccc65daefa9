"""Writes of the referrals app, one named function per domain action. Which transition may
happen is decided in ``states.py``.

    referral_create · referral_draft_update · referral_send · referral_cancel (withdraw) ·
    referral_accept · referral_colleague_add · referral_decline · referral_close · feedback_add ·
    referral_question

Each transition runs in one transaction on the locked referral row, so two nurses pressing
*In behandeling nemen* at the same moment give one acceptance and one clear message. In the same
transaction the receivers' access grant is opened (the referral becomes open for them: sent) or
ended (it stops being open: declined, cancelled, closed), so ``network.access`` knows who may see
the patient without asking this app. Whoever accepts joins the patient's care network through
``care_network_add`` (reason "referral").
"""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Organisation, OrganisationKind, Team
from conversations.models import Conversation
from conversations.services.messages import conversation_start
from files.services import MAX_FILES, private_file_save, uploads_prepare
from network.access import Actor, PatientAccess, patient_access_for, relationship_of
from network.access_log import access_log_write
from network.models import AccessAction, AccessGrantReason, CareNetworkMember, CareNetworkReason
from network.services.grants import access_grant_end, access_grant_open
from network.services.patients import care_network_add
from referrals.delivery import referral_delivery_queue
from referrals.models import CarePathway, Feedback, Referral, ReferralAttachment, ReferralEvent
from referrals.states import (
    Party,
    Transition,
    is_in_treatment_by,
    parties_of,
    transition_check,
)

QUESTION_MAX_CHARS = 5000
# Practices refer; the care group runs the platform and does not treat patients.
NOT_REFERRED_TO = (OrganisationKind.GP_PRACTICE, OrganisationKind.CARE_GROUP)


def _notify_after_commit(event: ReferralEvent) -> None:
    """Once the transaction holds: the other side's open pages refresh their referral lists
    (live), and those who are away get an e-mail (Celery; idempotent per event)."""
    from conversations import realtime
    from referrals.notifications import recipients_of
    from referrals.tasks import referral_notify_task

    def after_commit():
        realtime.referrals_changed(recipients_of(event), event.referral_id)
        referral_notify_task.delay(event.pk)

    transaction.on_commit(after_commit)


def _clean_details(*, question, urgency, to_team, to_organisation_id, care_pathway) -> str:
    """Check what the practice wrote and chose (create and draft alike); the cleaned question."""
    question = _clean_question(question)
    if urgency not in Referral.Urgency.values:
        raise ValidationError(_("Choose how urgent the referral is."), code="urgency")
    if to_team is not None and to_team.organisation_id != to_organisation_id:
        raise ValidationError(_("This team does not belong to that organisation."), code="to")
    if care_pathway is not None and not care_pathway.is_active:
        raise ValidationError(_("This care pathway is no longer in use."), code="pathway")
    return question


def _clean_question(question: str) -> str:
    question = (question or "").strip()
    if not question:
        raise ValidationError(_("Write the question or reason for the referral."), code="question")
    if len(question) > QUESTION_MAX_CHARS:
        raise ValidationError(
            _("The question is too long (at most %(n)s characters).") % {"n": QUESTION_MAX_CHARS},
            code="question",
        )
    return question


@transaction.atomic
def referral_create(
    *,
    actor: Actor,
    patient_access: PatientAccess,
    to_organisation: Organisation,
    question: str,
    urgency: str = Referral.Urgency.ROUTINE,
    to_team: Team | None = None,
    care_pathway: CarePathway | None = None,
    send: bool = False,
    files=(),
    client_key: uuid.UUID | None = None,
) -> Referral:
    """A draft referral of one of the actor's own practice's patients (sent at once if asked),
    with its attachments. The same ``client_key`` twice gives the first referral back."""
    if not patient_access.is_own_practice:
        # Only the practice refers its own patients; partners see no referral form.
        raise PermissionDenied
    if client_key is not None:
        earlier = _earlier_referral(actor, client_key)
        if earlier is not None:
            return earlier
    question = _clean_details(
        question=question,
        urgency=urgency,
        to_team=to_team,
        to_organisation_id=to_organisation.pk,
        care_pathway=care_pathway,
    )
    if (
        to_organisation.pk == actor.membership.organisation_id
        or to_organisation.kind in NOT_REFERRED_TO
        or not to_organisation.is_active
        or to_organisation.awaits_confirmation
    ):
        raise ValidationError(_("Choose a network organisation to refer to."), code="to")
    uploads = uploads_prepare(files)  # every file checked before anything is written
    try:
        with transaction.atomic():
            referral = Referral.objects.create(
                patient=patient_access.patient,
                practice_id=actor.membership.organisation_id,
                created_by=actor.user,
                to_organisation=to_organisation,
                to_team=to_team,
                care_pathway=care_pathway,
                question=question,
                urgency=urgency,
                client_key=client_key,
            )
    except IntegrityError:
        # The same form sent twice at the same moment: the first one stands.
        earlier = _earlier_referral(actor, client_key) if client_key else None
        if earlier is None:
            raise
        return earlier
    _attachments_store(actor=actor, referral=referral, uploads=uploads)
    access_log_write(
        actor=actor,
        action=AccessAction.CREATE,
        relationship=patient_access.relationship,
        patient=patient_access.patient,
        object_ref=f"referral:{referral.pk}",
    )
    if send:
        referral = referral_send(actor=actor, referral=referral)
    return referral


@transaction.atomic
def referral_draft_update(
    *,
    actor: Actor,
    referral: Referral,
    question: str,
    urgency: str,
    care_pathway: CarePathway | None = None,
    to_team: Team | None = None,
    files=(),
) -> Referral:
    """Change a draft before it is sent (the receiving organisation stays: to refer elsewhere,
    cancel the draft). More attachments can be added."""
    locked = Referral.objects.select_for_update(of=("self",)).get(pk=referral.pk)
    if Party.SENDER not in parties_of(actor, locked):
        raise PermissionDenied
    if locked.state != Referral.State.DRAFT:
        raise ValidationError(_("Only a draft can be changed."), code="state")
    locked.question = _clean_details(
        question=question,
        urgency=urgency,
        to_team=to_team,
        to_organisation_id=locked.to_organisation_id,
        care_pathway=care_pathway,
    )
    uploads = uploads_prepare(files)
    if locked.attachments.count() + len(uploads) > MAX_FILES:
        raise ValidationError(
            _("A referral has at most %(n)s attachments.") % {"n": MAX_FILES}, code="files"
        )
    locked.urgency, locked.care_pathway, locked.to_team = urgency, care_pathway, to_team
    locked.save(update_fields=["question", "urgency", "care_pathway", "to_team"])
    _attachments_store(actor=actor, referral=locked, uploads=uploads)
    access_log_write(
        actor=actor,
        action=AccessAction.UPDATE,
        relationship=relationship_of(actor, locked.patient),
        patient=locked.patient,
        object_ref=f"referral:{locked.pk}",
    )
    return locked


def _earlier_referral(actor: Actor, client_key: uuid.UUID) -> Referral | None:
    earlier = Referral.objects.filter(client_key=client_key).first()
    if earlier is not None and earlier.created_by_id != actor.user.pk:
        raise ValidationError(_("This form was already used. Reload the page."), code="key")
    return earlier


def _attachments_store(*, actor: Actor, referral: Referral, uploads, feedback=None) -> None:
    for name, mime, data in uploads:
        private_file_save(
            ReferralAttachment(
                referral=referral,
                feedback=feedback,
                original_name=name,
                uploaded_by=actor.user,
                organisation_id=actor.membership.organisation_id,
            ),
            mime=mime,
            data=data,
        )


# --- transitions: one named service per action of ``states.TRANSITIONS`` ----------------------


@transaction.atomic
def referral_send(*, actor: Actor, referral: Referral) -> Referral:
    """The practice sends its draft. From now on its receivers see it in their inbox and, while
    it is open, the patient (their access grant opens in this transaction)."""
    locked, transition = _transition_start(actor, referral, "send")
    locked.sent_at = timezone.now()
    return _transition_finish(actor, locked, transition, fields=["sent_at"])


@transaction.atomic
def referral_cancel(*, actor: Actor, referral: Referral) -> Referral:
    """The practice withdraws its referral (a draft, or sent and not yet accepted or declined);
    the receivers' access grant ends."""
    locked, transition = _transition_start(actor, referral, "cancel")
    return _transition_finish(actor, locked, transition)


@transaction.atomic
def referral_accept(*, actor: Actor, referral: Referral) -> Referral:
    """A receiver takes the referral into treatment (*In behandeling nemen*) and joins the
    patient's care network (reason "referral"). Two receivers at once: one acceptance, and a
    message naming who was first for the other (row lock, ``states.transition_check``)."""
    locked, transition = _transition_start(actor, referral, "accept")
    locked.accepted_at, locked.accepted_by = timezone.now(), actor.user
    _transition_finish(actor, locked, transition, fields=["accepted_at", "accepted_by"])
    care_network_add(
        actor=actor,
        patient=locked.patient,
        membership=actor.membership,
        reason=CareNetworkReason.REFERRAL,
        reason_detail=locked.question[:200],
    )
    return locked


@transaction.atomic
def referral_colleague_add(*, actor: Actor, referral: Referral, membership_id) -> CareNetworkMember:
    """A receiver of a referral in treatment brings a colleague of the organisation they act
    for into the patient's care network — as whoever accepted joined it (reason "referral").
    Idempotent (``care_network_add``). Not a receiver: PermissionDenied; not in treatment, or
    not a colleague who collaborates: ValidationError; the patient out of sight: 404."""
    if not is_in_treatment_by(actor, referral):
        if Party.RECEIVER not in parties_of(actor, referral):
            raise PermissionDenied
        raise ValidationError(
            _("Colleagues can be added while the referral is in treatment."), code="state"
        )
    membership = (
        Membership.objects.active()
        .select_related("user", "organisation")
        .filter(pk=membership_id, organisation_id=actor.membership.organisation_id)
        .first()
    )
    if membership is None:
        raise ValidationError(_("Choose a colleague of your organisation."), code="membership")
    access = patient_access_for(actor=actor, pk=referral.patient_id)
    return care_network_add(
        actor=actor,
        patient=access.patient,
        membership=membership,
        reason=CareNetworkReason.REFERRAL,
        reason_detail=referral.question[:200],
    )


@transaction.atomic
def referral_decline(*, actor: Actor, referral: Referral, reason: str) -> Referral:
    """A receiver declines, saying why (required); the receivers' access grant ends."""
    locked, transition = _transition_start(actor, referral, "decline")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why you decline the referral."), code="reason")
    locked.decline_reason = reason[:2000]
    return _transition_finish(actor, locked, transition, fields=["decline_reason"], note=reason)


@transaction.atomic
def referral_close(*, actor: Actor, referral: Referral) -> Referral:
    """The practice closes a referral that was treated or declined; an open one's grant ends."""
    locked, transition = _transition_start(actor, referral, "close")
    return _transition_finish(actor, locked, transition)


def referral_transition(
    *, actor: Actor, referral: Referral, action: str, reason: str = ""
) -> Referral:
    """The named service for ``action``, for callers that hold the action as a name: the one
    page URL that carries it in its path, and the state-machine tests. Refused: nothing changes;
    an unknown action is a ValidationError."""
    if action == "decline":
        return referral_decline(actor=actor, referral=referral, reason=reason)
    service = _SERVICES.get(action)
    if service is None:
        raise ValidationError(_("Unknown action."))
    return service(actor=actor, referral=referral)


_SERVICES = {
    "send": referral_send,
    "cancel": referral_cancel,
    "accept": referral_accept,
    "close": referral_close,
}


def _transition_start(actor: Actor, referral: Referral, action: str):
    """The referral locked for this transaction, and the transition if ``actor`` may make it
    now (else PermissionDenied or a ValidationError saying why; nothing changed)."""
    locked = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("accepted_by")
        .get(pk=referral.pk)
    )
    return locked, transition_check(actor, locked, action)


def _transition_finish(
    actor: Actor, locked: Referral, transition: Transition, *, fields=(), note: str = ""
) -> Referral:
    """Move to the target state with the fields the service set, keep the event, open or end
    the receivers' access grant, and tell the other side after commit."""
    previous = locked.state
    fields = ["state", *fields]
    if transition.target in _ENDED_STATES:
        locked.ended_at = timezone.now()
        fields.append("ended_at")
    locked.state = transition.target
    locked.save(update_fields=fields)
    event = ReferralEvent.objects.create(
        referral=locked,
        action=transition.action,
        from_state=previous,
        to_state=transition.target,
        user=actor.user,
        organisation_id=actor.membership.organisation_id,
        note=note[:2000],
    )
    _receivers_grant_follow(locked, previous=previous)
    _notify_after_commit(event)
    referral_delivery_queue(actor=actor, referral=locked, event=event)
    return locked


_ENDED_STATES = (Referral.State.DECLINED, Referral.State.CANCELLED, Referral.State.CLOSED)


def _receivers_grant_follow(referral: Referral, *, previous: str) -> None:
    """While a referral is open its receivers see the patient: the grant opens when it becomes
    open and ends when it stops being open (``Referral.OPEN_STATES``)."""
    source = f"referral:{referral.pk}"
    was_open = previous in Referral.OPEN_STATES
    if referral.is_open and not was_open:
        access_grant_open(
            patient_id=referral.patient_id,
            organisation_id=referral.to_organisation_id,
            team_id=referral.to_team_id,
            reason=AccessGrantReason.REFERRAL,
            source=source,
        )
    elif was_open and not referral.is_open:
        access_grant_end(source=source)


FEEDBACK_FIELDS = ("findings", "conclusion", "treatment_plan", "advice")
FEEDBACK_MAX_CHARS = 10_000


@transaction.atomic
def feedback_add(*, actor: Actor, referral: Referral, kind: str, files=(), **fields) -> Feedback:
    """*Terugkoppeling* by the receiving organisation while the referral is in treatment, with
    its attachments (a report, a photo of the wound)."""
    locked = Referral.objects.select_for_update(of=("self",)).get(pk=referral.pk)
    if Party.RECEIVER not in parties_of(actor, locked):
        raise PermissionDenied
    if locked.state != Referral.State.ACCEPTED:
        raise ValidationError(
            _("Feedback can be sent while the referral is in treatment."), code="state"
        )
    if kind not in Feedback.Kind.values:
        raise ValidationError(_("Choose the kind of feedback."), code="kind")
    texts = {name: (fields.get(name) or "").strip() for name in FEEDBACK_FIELDS}
    if not any(texts.values()):
        raise ValidationError(_("Write at least the findings or the advice."), code="empty")
    if any(len(text) > FEEDBACK_MAX_CHARS for text in texts.values()):
        raise ValidationError(
            _("A field is too long (at most %(n)s characters).") % {"n": FEEDBACK_MAX_CHARS},
            code="long",
        )
    sessions = fields.get("sessions")
    if sessions is not None and not (0 <= int(sessions) <= 500):
        raise ValidationError(_("Give a number of sessions between 0 and 500."), code="sessions")
    uploads = uploads_prepare(files)
    feedback = Feedback.objects.create(
        referral=locked,
        kind=kind,
        sessions=sessions,
        author=actor.user,
        organisation_id=actor.membership.organisation_id,
        **texts,
    )
    _attachments_store(actor=actor, referral=locked, uploads=uploads, feedback=feedback)
    access_log_write(
        actor=actor,
        action=AccessAction.CREATE,
        relationship=relationship_of(actor, locked.patient),
        patient=locked.patient,
        object_ref=f"referral-feedback:{feedback.pk}",
    )
    event = ReferralEvent.objects.create(
        referral=locked,
        action="feedback",
        from_state=locked.state,
        to_state=locked.state,
        user=actor.user,
        organisation_id=actor.membership.organisation_id,
        note=feedback.get_kind_display(),
    )
    _notify_after_commit(event)
    return feedback


@transaction.atomic
def referral_question(
    *, actor: Actor, referral: Referral, body: str, client_key: uuid.UUID
) -> Conversation:
    """A question to the other side of the referral, as a conversation about the patient
    linked to the referral (no second chat). The receiver asks the GP who referred; the
    practice asks whoever took the referral into treatment."""
    parties = parties_of(actor, referral)
    if not parties:
        raise PermissionDenied
    if Party.RECEIVER in parties:
        other, organisation_id = referral.created_by_id, referral.practice_id
    elif referral.accepted_by_id:
        other, organisation_id = referral.accepted_by_id, referral.to_organisation_id
    else:
        raise ValidationError(
            _("Nobody has taken this referral into treatment yet: ask your question then."),
            code="nobody",
        )
    membership = (
        Membership.objects.active()
        .filter(user_id=other, organisation_id=organisation_id)
        .select_related("organisation", "user")
        .first()
    )
    if membership is None or not referral.is_open:
        raise ValidationError(_("Questions can be asked while the referral is open."), code="open")
    conversation = conversation_start(
        actor=actor,
        kind=Conversation.Kind.CONVERSATION,
        subject=_("Question about the referral to %(organisation)s")
        % {"organisation": referral.to_organisation.name},
        body=body,
        client_key=client_key,
        people=[membership],
        patient_access=patient_access_for(actor=actor, pk=referral.patient_id),
    )
    referral.conversations.add(conversation)
    return conversation
