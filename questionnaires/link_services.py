"""Writes for questionnaires sent to a patient (see ``questionnaires.models.links``).

- :func:`patient_link_send`: a care provider who may see the patient sends one questionnaire by
  e-mail or text message. Idempotent on the form's ``client_key``. The message names no
  questionnaire and no care provider's speciality, only that a questionnaire is waiting.
- :func:`patient_link_birth_date_check`: the patient's date of birth, under a row lock; wrong
  tries are counted on the link (``PATIENT_LINK_TRIES_BEFORE_LOCK`` lock it for a while,
  ``PATIENT_LINK_TRIES_MAX`` end it) and logged as refused.
- :func:`patient_link_draft_save` and :func:`patient_link_submit`: save and return, and submit.
  Submitting stores one response (``client_key``; a second submit of the same form returns the
  first response) and ends the link.
- :func:`patient_link_sweep` (Celery beat): one reminder per link before the due date, with a
  token of its own, and links past their expiry ended (their address cleared).

Everything the patient does is logged (NEN 7513) as the patient acting for themselves
(``network.access.PatientSelfActor``).
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.email import email_send
from accounts.presence import mail_worthy
from core.site import site_url
from core.sms import sms_queue
from network.access import PatientAccess, PatientSelfActor
from network.access_log import access_log_write
from network.models import AccessAction, AccessOutcome, AccessRelationship
from questionnaires.library_services import response_store
from questionnaires.link_selectors import token_hash
from questionnaires.models import PatientLink, PatientLinkToken, Questionnaire, Response
from questionnaires.scoring import Definition, answers_check

LINK_DATA = "questionnaires"


class LinkClosed(Exception):
    """The link has ended or expired; nothing was stored."""


def _token_new(link: PatientLink) -> str:
    token = secrets.token_urlsafe(24)  # 192 bits; 32 characters in the address
    PatientLinkToken.objects.create(link=link, token_hash=token_hash(token))
    return token


def patient_link_url(token: str) -> str:
    return site_url() + reverse("questionnaires:patient-link", args=[token])


def _message_send(link: PatientLink, token: str, *, reminder: bool) -> None:
    url = patient_link_url(token)
    context = {
        "url": url,
        "organisation": link.organisation.name,
        "due_date": link.due_date,
        "expires_at": timezone.localtime(link.expires_at),
        "reminder": reminder,
    }
    if link.channel == PatientLink.Channel.SMS:
        if reminder:
            body = _(
                "Reminder from %(organisation)s: please fill in the questionnaire before "
                "%(date)s: %(url)s"
            )
        else:
            body = _(
                "%(organisation)s asks you to fill in a questionnaire, before %(date)s: %(url)s"
            )
        sms_queue(
            to=link.phone,
            body=body
            % {
                "organisation": link.organisation.name,
                "date": link.due_date.strftime("%d-%m-%Y"),
                "url": url,
            },
        )
    else:
        email_send(
            to=[link.email],
            template="questionnaires/patient/email/link",
            context=context,
        )


def _expires_at(due_date: datetime.date) -> datetime.datetime:
    last_day = due_date + datetime.timedelta(days=settings.PATIENT_LINK_GRACE_DAYS)
    end = datetime.datetime.combine(last_day, datetime.time(23, 59, 59))
    return timezone.make_aware(end)


@transaction.atomic
def patient_link_send(
    *,
    actor,
    access: PatientAccess,
    questionnaire: Questionnaire,
    channel: str,
    email: str,
    phone: str,
    due_date: datetime.date,
    client_key,
) -> tuple[PatientLink, bool]:
    """Send ``questionnaire`` to ``access.patient``; (link, sent now). The form sent again
    (the same ``client_key``) sends nothing more."""
    existing = PatientLink.objects.filter(client_key=client_key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            link = PatientLink.objects.create(
                questionnaire=questionnaire,
                patient=access.patient,
                sent_by=actor.user,
                organisation=actor.organisation,
                client_key=client_key,
                channel=channel,
                email=email if channel == PatientLink.Channel.EMAIL else "",
                phone=phone if channel == PatientLink.Channel.SMS else "",
                due_date=due_date,
                expires_at=_expires_at(due_date),
            )
    except IntegrityError:  # the same form (a double click), stored a moment ago: sent once
        return PatientLink.objects.get(client_key=client_key), False
    token = _token_new(link)
    _message_send(link, token, reminder=False)
    access_log_write(
        actor=actor,
        action=AccessAction.CREATE,
        relationship=access.relationship,
        patient=access.patient,
        data=[LINK_DATA],
        object_ref=f"questionnaire-link:{link.pk}",
    )
    return link, True


def _end(link: PatientLink, reason: str) -> None:
    link.ended_at = timezone.now()
    link.end_reason = reason
    link.email = ""
    link.phone = ""
    link.draft = {}
    link.save(update_fields=["ended_at", "end_reason", "email", "phone", "draft"])


@transaction.atomic
def patient_link_revoke(*, actor, access: PatientAccess, link_pk) -> PatientLink:
    """Withdraw a link that is still open (once; a closed link stays as it ended)."""
    link = (
        PatientLink.objects.select_for_update()
        .filter(pk=link_pk, patient_id=access.patient.pk)
        .first()
    )
    if link is None:
        raise PatientLink.DoesNotExist
    if link.ended_at is None:
        _end(link, PatientLink.EndReason.REVOKED)
        access_log_write(
            actor=actor,
            action=AccessAction.UPDATE,
            relationship=access.relationship,
            patient=access.patient,
            data=[LINK_DATA],
            object_ref=f"questionnaire-link:{link.pk}:revoke",
        )
    return link


# --- the patient --------------------------------------------------------------------------------


def _patient_actor(request, link: PatientLink) -> PatientSelfActor:
    return PatientSelfActor.from_request(
        request,
        patient=link.patient,
        organisation=link.organisation,
        responsible_user_id=link.sent_by_id,
    )


def _log(request, link, *, action, object_ref, outcome=AccessOutcome.ALLOWED) -> None:
    access_log_write(
        actor=_patient_actor(request, link),
        action=action,
        relationship=AccessRelationship.PATIENT_SELF,
        outcome=outcome,
        patient_id=link.patient_id,
        data=[LINK_DATA],
        object_ref=object_ref,
    )


@dataclass(frozen=True)
class BirthDateResult:
    ok: bool
    locked_until: datetime.datetime | None = None
    blocked: bool = False


@transaction.atomic
def patient_link_birth_date_check(
    *, request, link: PatientLink, birth_date: datetime.date
) -> BirthDateResult:
    """Compare the patient's date of birth, under a row lock on the link (so parallel tries
    are counted one by one)."""
    link = (
        PatientLink.objects.select_for_update(of=("self",))
        .select_related("patient")
        .get(pk=link.pk)
    )
    now = timezone.now()
    if link.ended_at is not None:
        return BirthDateResult(ok=False, blocked=link.end_reason == PatientLink.EndReason.BLOCKED)
    if link.locked_until and link.locked_until > now:
        return BirthDateResult(ok=False, locked_until=link.locked_until)
    if birth_date == link.patient.birth_date:
        return BirthDateResult(ok=True)
    link.birth_date_failures += 1
    _log(
        request,
        link,
        action=AccessAction.READ,
        object_ref=f"questionnaire-link:{link.pk}:birth-date",
        outcome=AccessOutcome.DENIED,
    )
    if link.birth_date_failures >= settings.PATIENT_LINK_TRIES_MAX:
        link.save(update_fields=["birth_date_failures"])
        _end(link, PatientLink.EndReason.BLOCKED)
        return BirthDateResult(ok=False, blocked=True)
    if link.birth_date_failures % settings.PATIENT_LINK_TRIES_BEFORE_LOCK == 0:
        link.locked_until = now + datetime.timedelta(minutes=settings.PATIENT_LINK_LOCK_MINUTES)
    link.save(update_fields=["birth_date_failures", "locked_until"])
    return BirthDateResult(ok=False, locked_until=link.locked_until if link.locked_until else None)


def patient_link_open(*, request, link: PatientLink) -> None:
    """The questions are shown to the patient: logged each time; the first time noted."""
    with transaction.atomic():
        if link.opened_at is None:
            link.opened_at = timezone.now()
            PatientLink.objects.filter(pk=link.pk, opened_at__isnull=True).update(
                opened_at=link.opened_at
            )
        _log(request, link, action=AccessAction.READ, object_ref=f"questionnaire-link:{link.pk}")


def _open_link_locked(link_pk) -> PatientLink:
    link = PatientLink.objects.select_for_update().get(pk=link_pk)
    if link.ended_at is not None or link.is_expired:
        raise LinkClosed
    return link


@transaction.atomic
def patient_link_draft_save(
    *, request, link: PatientLink, definition: Definition, given: dict
) -> PatientLink:
    """Keep the answers so far (the valid ones) to come back to; logged."""
    link = _open_link_locked(link.pk)
    checked = answers_check(definition, given, complete=False)
    link.draft = {
        key: str(value).lower() if isinstance(value, bool) else str(value)
        for key, value in checked.answers.items()
    }
    link.draft_saved_at = timezone.now()
    link.save(update_fields=["draft", "draft_saved_at"])
    _log(request, link, action=AccessAction.UPDATE, object_ref=f"questionnaire-link:{link.pk}")
    return link


def _sender_notify(link_id: int) -> None:
    """Tell the sender that their questionnaire came back (no patient, no score: a link)."""
    link = PatientLink.objects.select_related("sent_by").get(pk=link_id)
    url = site_url() + reverse("questionnaires:results", args=[link.patient_id])
    for person in mail_worthy({link.sent_by_id}, preference="notify_messages"):
        email_send(
            to=[person.email],
            template="questionnaires/patient/email/completed",
            context={"user": person, "url": url},
            language=person.language,
        )


@transaction.atomic
def patient_link_submit(
    *, request, link: PatientLink, definition: Definition, answers: dict, client_key
) -> Response:
    """Store the patient's answers as one response and end the link.

    A second submit of the same form (the same ``client_key``) returns the first response;
    any other submit after the end raises :class:`LinkClosed`.
    """
    locked = (
        PatientLink.objects.select_for_update(of=("self",))
        .select_related("response")
        .get(pk=link.pk)
    )
    if locked.response is not None and locked.response.client_key == client_key:
        return locked.response
    if locked.ended_at is not None or locked.is_expired:
        raise LinkClosed
    response, _created = response_store(
        questionnaire=locked.questionnaire,
        patient=link.patient,
        definition=definition,
        answers=answers,
        client_key=client_key,
        source=Response.Source.PATIENT_LINK,
        organisation=link.organisation,
    )
    locked.response = response
    locked.save(update_fields=["response"])
    _end(locked, PatientLink.EndReason.SUBMITTED)
    _log(
        request,
        locked,
        action=AccessAction.CREATE,
        object_ref=f"questionnaire-response:{response.pk}",
    )
    transaction.on_commit(lambda: _sender_notify(locked.pk))
    return response


# --- reminders and expiry (Celery beat) ---------------------------------------------------------


def patient_link_sweep(*, now: datetime.datetime | None = None) -> dict:
    """Send the reminders that are due and end the links that expired; counts of each.

    A reminder goes once per link (claimed by a conditional update before it is sent), to links
    still open, not yet filled in, sent more than a day ago, from
    ``PATIENT_LINK_REMIND_DAYS_BEFORE`` days before the due date.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    remind_from = today + datetime.timedelta(days=settings.PATIENT_LINK_REMIND_DAYS_BEFORE)
    due = PatientLink.objects.filter(
        ended_at__isnull=True,
        reminder_sent_at__isnull=True,
        due_date__lte=remind_from,
        due_date__gte=today,
        expires_at__gt=now,
        created_at__lte=now - datetime.timedelta(days=1),
    ).values_list("pk", flat=True)
    reminded = 0
    for pk in list(due):
        with transaction.atomic():
            claimed = PatientLink.objects.filter(
                pk=pk, reminder_sent_at__isnull=True, ended_at__isnull=True
            ).update(reminder_sent_at=now)
            if not claimed:
                continue
            link = PatientLink.objects.select_related("organisation").get(pk=pk)
            _message_send(link, _token_new(link), reminder=True)
            reminded += 1
    expired = 0
    for pk in list(
        PatientLink.objects.filter(ended_at__isnull=True, expires_at__lte=now).values_list(
            "pk", flat=True
        )
    ):
        with transaction.atomic():
            link = PatientLink.objects.select_for_update().get(pk=pk)
            if link.ended_at is None:
                _end(link, PatientLink.EndReason.EXPIRED)
                expired += 1
    return {"reminded": reminded, "expired": expired}
