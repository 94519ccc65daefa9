"""The access walker: every URL of the project, requested by everyone who must not get it.

The walker enumerates every URL pattern from the resolver and classifies each one with the table
in ``tests/access_walker_table.py`` (by name, or as part of the admin or allauth family). Then:

* ``test_every_url_pattern_is_classified`` — a pattern nobody classified fails here, with a
  message saying where to add it.
* ``test_must_not_see[<url name>-<viewpoint>]`` — the viewpoint gets exactly the refusal the
  table names (404 as for an object that does not exist, 403, or a login redirect), the same
  answer for a missing object, no 500, none of De Linde's secrets in the answer, and nothing
  changed in the database.
* ``test_may_see[<url name>-<viewpoint>]`` — the positive control: the one who may gets 200 or a
  redirect, so the walker cannot pass by being broken.
* ``test_public_page[<url name>]`` — anonymous gets an answer, not a login redirect (and a
  made-up token is a 404).
* ``test_admin_family[...]``, ``test_allauth_family_*[...]`` — the libraries' own families,
  checked generically: non-staff are refused by the admin, bogus allauth keys do not crash.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from allauth.mfa.models import Authenticator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.levels import Role
from accounts.models import (
    Absence,
    AccountRequest,
    Invitation,
    Membership,
    OrganisationKind,
    PartnerImport,
)
from accounts.selectors import ACTIVE_ORGANISATION_SESSION_KEY
from careplans.models import AcpShare, AcpVersion, Action, Goal, HealthPlan, PlanChange, Problem
from careplans.plan_fhir import plan_his_export_create
from careplans.plan_services import action_add, goal_add, problem_add
from conversations.models import (
    Attachment,
    Conversation,
    Message,
    Participant,
    ReadState,
    SharedInbox,
    SharedInboxMember,
)
from conversations.services.his import his_export_create
from conversations.services.messages import conversation_start
from his.models import HisExport
from meetings.call_access import token_hash as token_hash_of
from meetings.models import (
    AgendaItem,
    Agreement,
    Call,
    CallAttendance,
    CallGuest,
    CallMessage,
    Meeting,
    Minutes,
    PreparationNote,
)
from meetings.models import Participant as MeetingParticipant
from network.access import Actor, patient_access_for
from network.models import CareNetworkMember, Extraction, Patient
from network.models.patients import PatientSource
from questionnaires.library_services import questionnaire_import
from questionnaires.link_selectors import token_hash
from questionnaires.link_services import patient_link_send
from questionnaires.measure_fhir import measurements_his_export_create
from questionnaires.measure_services import measurement_record, threshold_set
from questionnaires.models import (
    HomeMeasurement,
    MeasurementAlert,
    MeasurementThreshold,
    PatientLink,
    PatientLinkToken,
    Questionnaire,
)
from questionnaires.models import Response as QuestionnaireResponse
from referrals.his import feedback_his_export_create
from referrals.models import (
    Feedback,
    Referral,
    ReferralAttachment,
    ReferralDelivery,
    ReferralEvent,
)
from referrals.services import feedback_add, referral_create, referral_transition
from support.models import ReleaseNote, ReleaseNoteMailing, ReleaseNoteReader, Ticket
from support.services import ticket_create, unsubscribe_token
from tests.access_walker_table import (
    ADMIN,
    ADMIN_LOGIN,
    ALLAUTH,
    ANONYMOUS,
    ASKS_BIRTH_DATE,
    FAMILIES,
    FORBIDDEN,
    GET,
    GONE,
    INERT,
    LOGIN,
    MAY_SEE_NOT_DO,
    NON_STAFF,
    NOT_FOUND,
    OWN_ONLY,
    POST,
    TABLE,
    VIEWPOINTS,
    CallParts,
    Family,
    MeetingParts,
    PlanParts,
    Rule,
    Talk,
    World,
    call_file_form,
)
from tests.factories import (
    AbsenceFactory,
    CareNetworkMemberFactory,
    MembershipFactory,
    OrganisationFactory,
    PatientFactory,
    UserFactory,
)
from tests.staff.fixtures_requests import INVITATION_LINK, account_request, invitation_by
from tests.totp import wait_for_fresh_period

pytestmark = pytest.mark.django_db

TABLE_FILE = "tests/access_walker_table.py"
MISSING_INT = 987_654_321
MISSING_STR = "walkerbogus"
MISSING_UUID = uuid.UUID("00000000-0000-4000-8000-00000000dead")


# --- Walking the resolver ---------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    name: str  # full namespaced name; "<unnamed>" (after the namespace) when it has none
    route: str  # the full route, converters and regexes as written
    params: tuple[str, ...]  # path parameters, in order
    view: str  # dotted path of the view

    @property
    def named(self) -> bool:
        return not self.name.endswith("<unnamed>")


def _params(pattern) -> tuple[str, ...]:
    regex = pattern.regex
    named = tuple(sorted(regex.groupindex, key=regex.groupindex.get))
    return named + ("?",) * (regex.groups - len(named))


def _walk(resolver, prefix: str = "", namespace: str = "", params=()) -> Iterator[Pattern]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(
                entry, prefix + str(entry.pattern), inner, params + _params(entry.pattern)
            )
        elif isinstance(entry, URLPattern):
            yield Pattern(
                name=f"{namespace}{entry.name or '<unnamed>'}",
                route=prefix + str(entry.pattern),
                params=params + _params(entry.pattern),
                view=entry.lookup_str,
            )


def url_patterns() -> list[Pattern]:
    return list(_walk(get_resolver()))


def family_of(pattern: Pattern) -> Family | None:
    for family in FAMILIES:
        if pattern.name.startswith(family.prefixes) and pattern.view.startswith(family.views_from):
            return family
    return None


def classify(pattern: Pattern) -> Rule | Family | None:
    if pattern.named and pattern.name in TABLE:
        return TABLE[pattern.name]
    return family_of(pattern)


PATTERNS = url_patterns()
TABLE_PATTERNS = {p.name: p for p in PATTERNS if isinstance(classify(p), Rule)}


def _table_cases(select) -> list:
    return [
        pytest.param(name, item, id=f"{name}-{item}")
        for name in TABLE_PATTERNS
        for item in select(TABLE[name])
    ]


# --- The world --------------------------------------------------------------------------------

# A minimal one-page PDF: the attachment of the world's conversations.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n"
)


def actor_of(user) -> Actor:
    return Actor(
        user=user, membership=Membership.objects.select_related("organisation").get(user=user)
    )


def acp_with_export(gp, patient, nurse) -> HisExport:
    """An advance care plan of ``patient`` shared with the nurse (its wishes name the patient's
    HIS number, one of the world's secrets), and a note of it for the HIS."""
    from careplans.access import acp_get_for
    from careplans.acp_his import acp_his_export_create
    from tests.careplans.acp_helpers import record

    record(gp, patient, shared_with_users=[nurse], care_wishes=f"PZP-wens {patient.his_id}")
    actor = actor_of(gp)
    return acp_his_export_create(
        actor=actor, acp=acp_get_for(actor=actor, pk=patient.pk, edit=True, log=False)
    )


def talk_about(patient, gp, nurse, *, subject: str, body: str, file_name: str) -> Talk:
    """The gp writes to the nurse about ``patient``, with a PDF, and makes a SOEP note of it."""
    actor = actor_of(gp)
    conversation = conversation_start(
        actor=actor,
        kind=Conversation.Kind.CONVERSATION,
        subject=subject,
        body=body,
        client_key=uuid.uuid4(),
        people=[Membership.objects.get(user=nurse)],
        patient_access=patient_access_for(actor=actor, pk=patient.pk),
        files=[SimpleUploadedFile(file_name, PDF)],
    )
    message = conversation.messages.get()
    return Talk(
        conversation=conversation,
        message=message,
        attachment=message.attachments.get(),
        his_export=his_export_create(actor=actor, conversation=conversation),
    )


def questionnaire_responses_of(patients, nurse):
    """The MRC scale, and one response by the nurse about each patient (its interpretation is a
    secret no refused answer may show)."""
    from questionnaires.library_services import instrument_resource

    questionnaire, _changed = questionnaire_import(resource=instrument_resource("mrc-dyspnoe"))
    responses = {
        p.pk: QuestionnaireResponse.objects.create(
            questionnaire=questionnaire,
            patient=p,
            author=nurse,
            client_key=uuid.uuid4(),
            answers={"1": "4"},
            score=4,
            interpretation=f"Walker: MRC-graad 4 van {p.first_name}",
            flagged=True,
            submitted_at=timezone.now(),
        )
        for p in patients
    }
    return questionnaire, responses


def patient_links_of(patients, gp, questionnaire):
    """The questionnaire sent by the gp to each patient; (links, tokens) by patient pk. The
    token is one more of the link's (the e-mail's own waits for a commit that never comes)."""
    actor = actor_of(gp)
    links, tokens = {}, {}
    for p in patients:
        links[p.pk], _sent = patient_link_send(
            actor=actor,
            access=patient_access_for(actor=actor, pk=p.pk),
            questionnaire=questionnaire,
            channel="email",
            email=f"walker-{p.pk}@example.nl",
            phone="",
            due_date=timezone.localdate() + datetime.timedelta(days=7),
            client_key=uuid.uuid4(),
        )
        tokens[p.pk] = f"walker-token-{p.pk}-{uuid.uuid4().hex}"
        PatientLinkToken.objects.create(link=links[p.pk], token_hash=token_hash(tokens[p.pk]))
    return links, tokens


def health_plan_of(patient, gp, nurse) -> PlanParts:
    """The gp's plan for ``patient``: an action for the nurse (in its care network), and a note
    of the plan for the HIS."""
    actor = actor_of(gp)
    access = patient_access_for(actor=actor, pk=patient.pk)
    owner = Membership.objects.select_related("user", "organisation").get(user=nurse)
    problem = problem_add(actor=actor, access=access, title=f"Walker-probleem {patient.his_id}")
    goal = goal_add(
        actor=actor, access=access, problem=problem, description=f"Walker-doel {patient.his_id}"
    )
    action = action_add(
        actor=actor,
        access=access,
        goal=goal,
        description=f"Walker-actie {patient.his_id}",
        owner=owner,
    )
    export = plan_his_export_create(actor=actor, access=access)
    return PlanParts(problem=problem, goal=goal, action=action, export=export, owner_pk=owner.pk)


def meetings_of(gp, nurse, patients, practice) -> MeetingParts:
    """Two MDOs of the gp (one open, one closed) with an item about each patient and the nurse
    taking part; an agreement per open item, a HIS note per closed item; and one more patient
    of De Linde to put on the agenda."""
    from meetings import services as mdo
    from meetings.access import item_get_for, meeting_get_for
    from meetings.his import item_his_export_create
    from meetings.selectors import participant_candidates_for

    actor = actor_of(gp)
    held_at = timezone.now() + datetime.timedelta(days=3)

    def build(title):
        meeting = mdo.meeting_create(actor=actor, title=title, held_at=held_at)
        access = meeting_get_for(actor=actor, pk=meeting.pk)
        items = {
            p.pk: mdo.item_add(
                actor=actor,
                access=access,
                patient_access=patient_access_for(actor=actor, pk=p.pk),
                question=f"Walker-MDO-vraag {p.his_id}",
            )
            for p in patients
        }
        mdo.participant_add(
            actor=actor,
            access=access,
            membership=Membership.objects.get(user=nurse),
            allowed=participant_candidates_for(actor=actor, access=access),
        )
        return meeting, access, items

    meeting, access, items = build("MDO De Linde (walker)")
    agreements = {
        pk: mdo.agreement_add(
            actor=actor,
            access=item_get_for(actor=actor, meeting=access, pk=item.pk, log=False),
            text=f"Walker-MDO-afspraak {item.patient.his_id}",
        )
        for pk, item in items.items()
    }
    closed, closed_access, closed_items = build("Gesloten MDO De Linde (walker)")
    mdo.meeting_close(actor=actor, access=closed_access)
    closed_access = meeting_get_for(actor=actor, pk=closed.pk)
    exports = {
        pk: item_his_export_create(
            actor=actor,
            access=item_get_for(actor=actor, meeting=closed_access, pk=item.pk, log=False),
        )
        for pk, item in closed_items.items()
    }
    extra = PatientFactory(practice=practice, his_id="linde-walker-mdo", first_name="Walker")
    return MeetingParts(
        meeting=meeting,
        closed=closed,
        items=items,
        agreements=agreements,
        closed_items=closed_items,
        exports=exports,
        new_patient_his_id=extra.his_id,
    )


def calls_of(patients, gp) -> CallParts:
    """The gp's video call about each patient, the gp in it, a chat line and a PDF shared, a
    working guest link; for the first patient also an expired and a revoked link. Live pushes
    wait for a commit that never comes."""
    from meetings import call_services as calls
    from meetings.call_access import call_get_for, token_hash

    actor = actor_of(gp)
    parts = {"calls": {}, "files": {}, "chat": {}, "guests": {}}
    tokens = {}
    for p in patients:
        call = calls.call_open_for_patient(
            actor=actor, access=patient_access_for(actor=actor, pk=p.pk)
        )
        access = call_get_for(actor=actor, uuid=call.uuid, log=False)
        attendance = calls.attendance_join(
            call_id=call.pk,
            peer=calls.new_peer(),
            channel_name="walker",
            name="Walker-huisarts",
            user=gp,
            membership=actor.membership,
        )
        chat, _created = calls.message_post(
            attendance=attendance, client_key=uuid.uuid4(), body=f"Walker-gesprek {p.his_id}"
        )
        shared, _created = calls.message_post(
            attendance=attendance,
            client_key=uuid.uuid4(),
            upload=SimpleUploadedFile(f"walker-gesprek-{p.his_id}.pdf", PDF),
        )
        links = {}
        for state in ("working", "expired", "revoked"):
            links[state], _token = calls.guest_invite(
                actor=actor,
                access=access,
                kind=CallGuest.Kind.GUEST,
                name=f"Walker-gast ({state})",
                channel=CallGuest.Channel.LINK,
                valid_hours=24,
            )
        parts["calls"][p.pk], parts["files"][p.pk] = call, shared
        parts["chat"][p.pk], parts["guests"][p.pk] = chat, links["working"]
        if not tokens:
            # The links' own tokens are shown once; give each a known one (only hashes are kept).
            for state, link in links.items():
                tokens[state] = f"walker-{state}-{uuid.uuid4().hex}"
                CallGuest.objects.filter(pk=link.pk).update(token_hash=token_hash(tokens[state]))
            CallGuest.objects.filter(pk=links["expired"].pk).update(
                expires_at=timezone.now() - datetime.timedelta(minutes=1)
            )
            calls.guest_revoke(actor=actor, access=access, guest_pk=links["revoked"].pk)
    return CallParts(**parts, tokens=tokens)


def measurement_alert_of(patient, gp):
    """A blood-pressure limit the gp set for ``patient`` and a reading over it: its alert."""
    actor = Actor(user=gp, membership=gp.memberships.get())
    access = patient_access_for(actor=actor, pk=patient.pk)
    threshold_set(actor=actor, access=access, kind="blood_pressure", high=Decimal(160))
    reading = measurement_record(
        actor=actor,
        access=access,
        kind="blood_pressure",
        value=Decimal(185),
        value2=Decimal(95),
        measured_at=timezone.now() - datetime.timedelta(hours=1),
        client_key=uuid.uuid4(),
    )
    alert = MeasurementAlert.objects.get(measurement=reading)
    alert.his_export = measurements_his_export_create(actor=actor, access=access)
    return alert


@pytest.fixture
def world(
    practice,
    gp,
    assistant,
    manager,
    nurse,
    physio,
    outsider,
    helpdesk,
    patient,
    shared_patient,
    nursing,
    physio_practice,
    mailoutbox,
    django_capture_on_commit_callbacks,
    private_files,
) -> World:
    # Added by hand, so the gp may also edit it (the positive control of patient-update).
    patient.source = PatientSource.MANUAL
    patient.save(update_fields=["source"])
    member = CareNetworkMemberFactory(patient=patient, user=nurse, organisation=nursing)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invitation_by(gp, physio_practice)
        request = account_request(gp)
    [link] = [
        INVITATION_LINK.search(m.body).group(0) for m in mailoutbox if invitation.email in m.to
    ]
    mailoutbox.clear()
    # Conversations. Their live pushes and e-mails wait for a commit that never comes.
    inbox = SharedInbox.objects.create(organisation=practice, name="Balie De Linde (walker)")
    SharedInboxMember.objects.create(inbox=inbox, user=assistant, added_by=gp)
    gp_actor = actor_of(gp)
    consultation = conversation_start(
        actor=gp_actor,
        kind=Conversation.Kind.CONSULTATION,
        subject="Consultatie longfunctie (walker)",
        body="Wie kijkt mee naar de spirometrie?",
        client_key=uuid.uuid4(),
        people=[Membership.objects.get(user=nurse)],
        inboxes=[inbox],
        patient_access=patient_access_for(actor=gp_actor, pk=patient.pk),
    )
    physio_actor = actor_of(physio)
    access_request = conversation_start(
        actor=physio_actor,
        kind=Conversation.Kind.CONVERSATION,
        subject="Toegang aanvragen",
        body="Mevrouw komt voor haar knie; graag toegang.",
        client_key=uuid.uuid4(),
        people=[Membership.objects.get(user=gp)],
        access_request=True,
    )
    pharmacy = OrganisationFactory(name="Apotheek De Brug (walker)", kind=OrganisationKind.PHARMACY)
    referral = referral_create(
        actor=gp_actor,
        patient_access=patient_access_for(actor=gp_actor, pk=patient.pk),
        to_organisation=pharmacy,
        question="Walker: medicatiebeoordeling graag.",
        send=True,
        files=[SimpleUploadedFile("walker-verwijsbrief.pdf", PDF)],
    )
    pharmacist = UserFactory(email="apotheker@debrug.example", first_name="Pieter")
    pharmacist_membership = MembershipFactory(
        user=pharmacist, organisation=pharmacy, role=Role.PROVIDER
    )
    pharmacist_actor = Actor(user=pharmacist, membership=pharmacist_membership)
    referral = referral_transition(actor=pharmacist_actor, referral=referral, action="accept")
    feedback = feedback_add(
        actor=pharmacist_actor,
        referral=referral,
        kind="start",
        findings="Walker: medicatiebeoordeling gedaan, interactie gevonden.",
        files=[SimpleUploadedFile("walker-medicatieoverzicht.pdf", PDF)],
    )
    acp_exports = [acp_with_export(gp, p, nurse) for p in (patient, shared_patient)]
    plans = {p.pk: health_plan_of(p, gp, nurse) for p in (patient, shared_patient)}
    alerts = {p.pk: measurement_alert_of(p, gp) for p in (patient, shared_patient)}
    questionnaire, responses = questionnaire_responses_of((patient, shared_patient), nurse)
    links, tokens = patient_links_of((patient, shared_patient), gp, questionnaire)
    return World(
        meetings=meetings_of(gp, nurse, (patient, shared_patient), practice),
        calls=calls_of((patient, shared_patient), gp),
        patient_links=links,
        patient_link_tokens=tokens,
        plans=plans,
        measurement_alerts=alerts,
        measurement_exports={pk: alert.his_export for pk, alert in alerts.items()},
        questionnaire=questionnaire,
        questionnaire_responses=responses,
        referral=referral,
        referral_feedback=feedback,
        referral_attachment=referral.attachments.get(feedback=None),
        # A delivery to the pharmacy's system that failed (the gp may try it again).
        referral_delivery=ReferralDelivery.objects.create(
            referral=referral,
            event=referral.events.get(action="send"),
            fhir_json={"resourceType": "Bundle"},
            status=ReferralDelivery.Status.FAILED,
            last_error="HTTP 500",
        ),
        referral_export=feedback_his_export_create(actor=gp_actor, feedback=feedback),
        practice=practice,
        patient=patient,
        member=member,
        shared_patient=shared_patient,
        shared_member=CareNetworkMember.objects.get(patient=shared_patient, user=nurse),
        extraction=Extraction.objects.create(
            practice=practice,
            uploaded_by=gp,
            file_name="linde-extractie-walker.json",
            size=2,
            sha256="0" * 64,
            content=b"{}",
            status="done",
        ),
        membership=Membership.objects.get(user=assistant, organisation=practice),
        invitation=invitation,
        invitation_token=link.rstrip("/").rsplit("/", 1)[-1],
        account_request=request,
        absence=AbsenceFactory(user=gp, message="Met vakantie naar Terschelling"),
        webauthn=Authenticator.objects.create(
            user=gp,
            type=Authenticator.Type.WEBAUTHN,
            data={"name": "Sleutel van Gerrit", "credential": {}},
        ),
        partner_import=PartnerImport.objects.create(
            practice=practice, file_name="partners.csv", content="", uploaded_by=helpdesk
        ),
        physio_membership=Membership.objects.get(user=physio),
        users={
            "gp": gp,
            "assistant": assistant,
            "manager": manager,
            "nurse": nurse,
            "physio": physio,
            "outsider": outsider,
            "helpdesk": helpdesk,
        },
        talk=talk_about(
            patient,
            gp,
            nurse,
            subject="Decubitus hiel links (walker)",
            body="Graag een wondfoto na de verbandwissel.",
            file_name="wondverslag-verborgen.pdf",
        ),
        shared_talk=talk_about(
            shared_patient,
            gp,
            nurse,
            subject="Insuline-instelling (walker)",
            body="De glucosedagcurve volgt.",
            file_name="dagcurve-zichtbaar.pdf",
        ),
        inbox=inbox,
        consultation=consultation,
        access_request=access_request,
        acp_export=acp_exports[0],
        shared_acp_export=acp_exports[1],
        ticket=ticket_with_screenshot(gp, practice),
        release_note=ReleaseNote.objects.create(
            version="9.9", date=datetime.date(2026, 12, 1), title="Walker", body="Nieuw."
        ),
        unsubscribe_token=unsubscribe_token(user=gp),
    )


def ticket_with_screenshot(gp, practice) -> Ticket:
    """The gp's question to the helpdesk, with a screenshot (a small PNG)."""
    import io

    from PIL import Image

    image = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 120, 200)).save(image, format="PNG")
    return ticket_create(
        user=gp,
        organisation=practice,
        subject="Walker: geheime vraag van Gerrit",
        question="Waarom ziet mijn assistente de agenda niet?",
        screenshot=SimpleUploadedFile("scherm.png", image.getvalue()),
    )


def state(client: Client) -> dict:
    """Everything a refused request could have changed (the access log excepted: refusals are
    logged on purpose)."""
    return {
        "patients": list(Patient.objects.order_by("pk").values()),
        "care_network": list(CareNetworkMember.objects.order_by("pk").values()),
        "memberships": list(Membership.objects.order_by("pk").values()),
        "account_requests": list(AccountRequest.objects.order_by("pk").values()),
        "invitations": list(Invitation.objects.order_by("pk").values()),
        "extractions": list(Extraction.objects.order_by("pk").values("pk", "status")),
        "partner_imports": list(PartnerImport.objects.order_by("pk").values()),
        "absences": list(Absence.objects.order_by("pk").values()),
        "authenticators": list(Authenticator.objects.order_by("pk").values("pk", "data")),
        "conversations": list(Conversation.objects.order_by("pk").values()),
        "participants": list(Participant.objects.order_by("pk").values()),
        "messages": list(Message.objects.order_by("pk").values()),
        "attachments": list(Attachment.objects.order_by("pk").values()),
        "read_states": list(ReadState.objects.order_by("pk").values()),
        "shared_inboxes": list(SharedInbox.objects.order_by("pk").values()),
        "inbox_members": list(SharedInboxMember.objects.order_by("pk").values()),
        "his_exports": list(HisExport.objects.order_by("pk").values("pk", "status")),
        "referrals": list(Referral.objects.order_by("pk").values()),
        "referral_events": list(ReferralEvent.objects.order_by("pk").values()),
        "feedback": list(Feedback.objects.order_by("pk").values()),
        "referral_attachments": list(ReferralAttachment.objects.order_by("pk").values()),
        "referral_deliveries": list(ReferralDelivery.objects.order_by("pk").values()),
        "acp_versions": list(AcpVersion.objects.order_by("pk").values()),
        "acp_shares": list(AcpShare.objects.order_by("pk").values()),
        "questionnaires": [
            list(model.objects.order_by("pk").values())
            for model in (Questionnaire, QuestionnaireResponse, PatientLink, PatientLinkToken)
        ],
        "health_plans": [
            list(model.objects.order_by("pk").values())
            for model in (HealthPlan, Problem, Goal, Action, PlanChange)
        ],
        "home_measurements": [
            list(model.objects.order_by("pk").values())
            for model in (HomeMeasurement, MeasurementThreshold, MeasurementAlert)
        ],
        "meetings": [
            list(model.objects.order_by("pk").values())
            for model in (
                Meeting,
                MeetingParticipant,
                AgendaItem,
                PreparationNote,
                Minutes,
                Agreement,
            )
        ],
        "calls": [
            list(model.objects.order_by("pk").values())
            for model in (Call, CallGuest, CallAttendance, CallMessage)
        ],
        "support": [
            list(model.objects.order_by("pk").values())
            for model in (Ticket, ReleaseNote, ReleaseNoteReader, ReleaseNoteMailing)
        ],
        "active_organisation": client.session.get(ACTIVE_ORGANISATION_SESSION_KEY),
    }


# --- Requests and outcomes --------------------------------------------------------------------


def client_for(viewpoint: str, world: World, secure_client) -> tuple[Client, World]:
    actor, target = VIEWPOINTS[viewpoint]
    client = Client()
    if actor is not None:
        # The login computes a TOTP code and allauth checks it a moment later, without
        # tolerance: across a period boundary that fails. Log in well inside a period.
        wait_for_fresh_period(1.5)
        secure_client(world.users[actor], client=client)
    return client, world.aimed_at(target)


def missing(kwargs: dict) -> dict:
    def bogus(value):
        if isinstance(value, int):
            return MISSING_INT
        return MISSING_UUID if isinstance(value, uuid.UUID) else MISSING_STR

    return {k: bogus(v) for k, v in kwargs.items()}


def send(client: Client, method: str, url: str, data: dict):
    if method == GET:
        return client.get(url, data)
    return client.post(url, data)


def outcome_of(response) -> str:
    location = response.headers.get("Location", "")
    if response.status_code == 302 and location.startswith(reverse("admin:login")):
        return ADMIN_LOGIN
    if response.status_code == 302 and location.startswith(reverse("account_login") + "?next="):
        return LOGIN
    return str(response.status_code)


def answer(response) -> str:
    location = response.headers.get("Location", "")
    return f"{response.status_code} {location}".strip()


def assert_no_secrets(response, world: World, what: str) -> None:
    body = response.content.decode(errors="replace")
    shown = [secret for secret in world.secrets if secret and secret in body]
    assert not shown, f"{what} shows De Linde's {shown}"


# --- The tests --------------------------------------------------------------------------------


def test_every_url_pattern_is_classified():
    problems = []
    for pattern in PATTERNS:
        rule = classify(pattern)
        where = f"{pattern.name!r} (/{pattern.route}, view {pattern.view})"
        if rule is None:
            problems.append(
                f"{where} is not classified: add it to TABLE in {TABLE_FILE} — how to build its "
                "kwargs, which methods to try and what 'refused' means for whom"
                + ("" if pattern.named else "; give the pattern a name first")
            )
            continue
        if isinstance(rule, Family):
            continue
        if bool(rule.kwargs) != bool(pattern.params):
            problems.append(
                f"{where} takes {pattern.params or 'no parameters'}, but its rule "
                + ("has no kwargs" if pattern.params else "builds kwargs")
            )
        if not rule.public and ANONYMOUS not in rule.refused:
            problems.append(f"{where}: say what anonymous gets, or mark it public=True")
        unknown = set(rule.refused) - set(VIEWPOINTS)
        if unknown or (rule.control and rule.control not in VIEWPOINTS):
            problems.append(f"{where}: unknown viewpoints {sorted(unknown) or rule.control}")
    names = {pattern.name for pattern in PATTERNS}
    problems += [
        f"{name!r} is in {TABLE_FILE} but no URL pattern has that name any more: remove it"
        for name in TABLE
        if name not in names
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("name", "viewpoint"), _table_cases(lambda rule: rule.refused))
def test_must_not_see(name, viewpoint, world, secure_client):
    rule = TABLE[name]
    expected = rule.refused[viewpoint]
    client, seen = client_for(viewpoint, world, secure_client)
    kwargs = rule.kwargs(seen) if rule.kwargs else {}
    url = reverse(name, kwargs=kwargs)
    before = state(client)
    for method in rule.methods:
        response = send(client, method, url, rule.body(seen))
        what = f"{method} {url} as {viewpoint}"
        got = outcome_of(response)
        if expected in (OWN_ONLY, INERT, ASKS_BIRTH_DATE):
            assert got == "200", f"{what}: expected 200, got {answer(response)}"
        elif expected == MAY_SEE_NOT_DO:
            assert got == "403", f"{what}: expected 403, got {answer(response)}"
        else:
            assert got == expected, f"{what}: expected {expected}, got {answer(response)}"
        if expected not in (INERT, MAY_SEE_NOT_DO):  # these may see the object itself
            assert_no_secrets(response, seen, what)
        if kwargs and expected in (NOT_FOUND, FORBIDDEN, LOGIN, ADMIN_LOGIN):
            other = send(client, method, reverse(name, kwargs=missing(kwargs)), rule.body(seen))
            assert outcome_of(other) == got, (
                f"{what}: {got} for the real object but {answer(other)} for a missing one"
            )
    assert state(client) == before, f"{name} as {viewpoint} changed something"


@pytest.mark.parametrize(
    ("name", "viewpoint"), _table_cases(lambda rule: [rule.control] if rule.control else [])
)
def test_may_see(name, viewpoint, world, secure_client):
    """The positive control: the walker's kwargs reach a real object someone may open."""
    rule = TABLE[name]
    client, seen = client_for(viewpoint, world, secure_client)
    url = reverse(name, kwargs=rule.kwargs(seen) if rule.kwargs else {})
    method = rule.methods[0]
    response = send(client, method, url, rule.body(seen))
    what = f"{method} {url} as {viewpoint}"
    assert response.status_code in (200, 302), f"{what}: {answer(response)}"
    location = response.headers.get("Location", "")
    assert not location.startswith("/accounts/"), f"{what} was sent to {location}"
    if response.status_code == 200 and OWN_ONLY in rule.refused.values():
        body = response.content.decode()
        assert any(secret in body for secret in seen.secrets), (
            f"{what} shows none of the world's objects, so 'shows nothing of De Linde's' "
            "proves nothing"
        )


@pytest.mark.parametrize("name", [name for name in TABLE_PATTERNS if TABLE[name].public])
def test_public_page(name, world):
    rule = TABLE[name]
    client = Client()
    kwargs = rule.kwargs(world) if rule.kwargs else {}
    for method in rule.methods:
        response = send(client, method, reverse(name, kwargs=kwargs), rule.body(world))
        assert response.status_code != 500
        assert outcome_of(response) != LOGIN, f"{name} is public but asks to log in"
        if kwargs:
            bogus = send(client, method, reverse(name, kwargs=missing(kwargs)), rule.body(world))
            assert bogus.status_code == 404, f"{name}: a made-up token gives {answer(bogus)}"


ADMIN_PAGES = ("admin:index", "admin:accounts_user_changelist")


@pytest.mark.parametrize("viewpoint", [*NON_STAFF, ANONYMOUS, "helpdesk"])
@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_admin_family(name, viewpoint, world, secure_client):
    """The admin site: non-staff are sent to the admin login, which refuses them."""
    [pattern] = [p for p in PATTERNS if p.name == name]
    assert classify(pattern) is ADMIN
    client, seen = client_for(viewpoint, world, secure_client)
    response = client.get(reverse(name))
    if viewpoint == "helpdesk":
        assert response.status_code == 200
        return
    assert outcome_of(response) == ADMIN_LOGIN, answer(response)
    assert_no_secrets(response, seen, name)
    then = client.get(response["Location"])
    expected = LOGIN if viewpoint == ANONYMOUS else FORBIDDEN
    assert outcome_of(then) == expected, f"the admin login answers {answer(then)}"


ALLAUTH_WITH_KEYS = [p for p in PATTERNS if p.params and classify(p) is ALLAUTH]
ALLAUTH_PAGES = [p for p in PATTERNS if not p.params and classify(p) is ALLAUTH]


@pytest.mark.parametrize("viewpoint", [ANONYMOUS, "outsider"])
@pytest.mark.parametrize("pattern", ALLAUTH_WITH_KEYS, ids=lambda p: p.name)
def test_allauth_family_with_a_bogus_key(pattern, viewpoint, world, secure_client):
    client, seen = client_for(viewpoint, world, secure_client)
    url = reverse(pattern.name, kwargs=dict.fromkeys(pattern.params, MISSING_STR))
    for method in ("GET", "POST"):
        response = send(client, method, url, {"password1": "x", "password2": "x"})
        assert response.status_code < 500, f"{method} {url}: {answer(response)}"
        assert_no_secrets(response, seen, url)


@pytest.mark.parametrize("pattern", ALLAUTH_PAGES, ids=lambda p: p.name)
def test_allauth_family_anonymous(pattern, world):
    response = Client().get(reverse(pattern.name))
    assert response.status_code < 500, answer(response)
    assert_no_secrets(response, world, pattern.name)


def test_walker_sees_the_whole_project():
    """A guard for the walker itself: it found the apps' URLs and the families."""
    names = {p.name for p in PATTERNS}
    assert {
        "network:patient-detail",
        "accounts:staff-list",
        "conversations:detail",
        "admin:index",
    } <= names
    assert ALLAUTH_WITH_KEYS and ALLAUTH_PAGES
    assert re.fullmatch(r"patienten/<int:pk>/", TABLE_PATTERNS["network:patient-detail"].route)


# --- Guest links of video calls: every token state ------------------------------------------

GUEST_URLS = {
    "meetings:guest": (GET, POST),
    "meetings:guest-file-upload": (POST,),
    "meetings:guest-file": (GET,),
}


def _guest_url(name: str, token: str, world: World) -> str:
    kwargs = {"token": token}
    if name == "meetings:guest-file":
        kwargs["file_pk"] = world.calls.files[world.patient.pk].pk
    return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize(
    ("link", "page"),
    [("expired", GONE), ("revoked", GONE), ("made-up", NOT_FOUND), ("working", "409")],
)
@pytest.mark.parametrize("viewpoint", ["nurse", ANONYMOUS])
def test_guest_link_tokens(link, page, viewpoint, world, secure_client):
    """A link that no longer works: its page says so (410), its files are not found (404); a
    made-up token of the right length: 404 everywhere. The link's cookie (the name its holder
    gave) opens nothing once the link is dead, and nobody signed in uses a guest link (409),
    nor does a guest who is not admitted reach the call's files."""
    from meetings.call_access import GUEST_COOKIE, guest_cookie_value

    client, seen = client_for(viewpoint, world, secure_client)
    if link == "made-up":
        token = uuid.uuid4().hex
    else:
        token = world.calls.tokens[link]
        guest = CallGuest.objects.get(token_hash=token_hash_of(token))
        client.cookies[GUEST_COOKIE] = guest_cookie_value(guest.pk, "Walker-gast")
    if viewpoint == ANONYMOUS and link == "working":
        page = "200"  # the name form (the cookie's name: straight to the waiting room)
    before = state(client)
    for name, methods in GUEST_URLS.items():
        for method in methods:
            body = {"name": "Walker-gast"} if name == "meetings:guest" else call_file_form(seen)
            response = send(client, method, _guest_url(name, token, seen), body)
            what = f"{method} {name} with a {link} link as {viewpoint}"
            expected = page if name == "meetings:guest" else NOT_FOUND
            if name == "meetings:guest-file-upload" and link == "working":
                expected = "409"  # a guest not in the call: "join the call first"
            assert outcome_of(response) == expected, f"{what}: {answer(response)}"
            assert_no_secrets(response, seen, what)
    after = state(client)
    assert after == before, f"a {link} guest link as {viewpoint} changed something"


def test_an_admitted_guest_opens_the_calls_file(world):
    """The positive control of the guest's file URLs: admitted and in the call, the working
    link's holder opens a file shared in it."""
    from meetings import call_services as calls
    from meetings.call_access import GUEST_COOKIE, guest_cookie_value

    token = world.calls.tokens["working"]
    guest = CallGuest.objects.get(token_hash=token_hash_of(token))
    peer = calls.new_peer()
    calls.attendance_join(
        call_id=guest.call_id, peer=peer, channel_name="walker", name="Walker-gast", guest=guest
    )
    calls.guest_admit(user=world.users["gp"], call_id=guest.call_id, peer=peer)
    client = Client()
    client.cookies[GUEST_COOKIE] = guest_cookie_value(guest.pk, "Walker-gast")
    response = client.get(_guest_url("meetings:guest-file", token, world))
    assert response.status_code == 200, answer(response)
    assert client.get(_guest_url("meetings:guest", token, world)).status_code == 200
