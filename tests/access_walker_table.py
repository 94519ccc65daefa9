"""The access walker's table: for every URL of the project, who must be refused, and how.

``tests/test_access_walker.py`` walks every URL pattern the resolver knows and looks each one up
here, first by its full name (``network:patient-detail``), then by family (the admin site and
allauth, which have their own access checks). A pattern found in neither fails
``test_every_url_pattern_is_classified`` — so a new screen is never left out.

Adding a URL: add one entry to ``TABLE`` with

* ``kwargs`` — how to fill the path parameters from the :class:`World` (``None`` when the
  pattern takes none). The world's objects all belong to practice De Linde; ``w.patient`` is
  De Linde's patient that network partners must not see (for the ``*-visible`` viewpoints it is
  the visible patient with the district nurse in the care network instead). ``w.talk`` is the
  gp's conversation with the district nurse about ``w.patient`` (a message with a PDF, a HIS
  export); it is swapped along with the patient.
* ``methods`` — what to try: GET, and POST for views that change something (with ``body``, a
  plausible form, so a missing check would really change something).
* ``refused`` — viewpoint (``VIEWPOINTS``) → outcome (``NOT_FOUND``, ``FORBIDDEN``, ``LOGIN``,
  ...), for everyone who must not see or do it. Every refused request must leave the database
  as it was, give the same answer for a missing object and show none of the world's secrets
  (except where the outcome says they may see the object).
* ``public=True`` — only for pages an anonymous visitor may open; every other entry must say
  what ``anonymous`` gets.
* ``control`` — who may: must get 200 or a redirect, so the walker cannot pass by being broken.
"""

from __future__ import annotations

import dataclasses
import datetime
import uuid
from collections.abc import Callable, Mapping

from django.utils import timezone

from accounts.levels import Level

GET, POST = "GET", "POST"

# --- Outcomes: what "refused" means ---------------------------------------------------------
NOT_FOUND = "404"  # not theirs: the same answer as for an object that does not exist
FORBIDDEN = "403"  # signed in, may not use this screen at all (the same for a missing object)
MAY_SEE_NOT_DO = "403-may-see"  # may see the object, may not do this with it (a missing one: 404)
LOGIN = "login"  # anonymous: 302 to the login page (/accounts/login/?next=...)
ADMIN_LOGIN = "admin-login"  # 302 to the admin login, which sends non-staff away
OWN_ONLY = "200-own-only"  # the page opens, and shows nothing of De Linde's
INERT = "200-inert"  # the page opens (a token link), and doing anything there changes nothing
# The patient's questionnaire link: it asks for the date of birth first (a browser signed in to
# Regiozorg is told to log out first), shows none of the world's secrets, and a form posted
# without that step changes nothing.
ASKS_BIRTH_DATE = "200-asks-birth-date"
GONE = "410"  # a token link that existed and no longer works (expired, revoked): it says so

# --- Viewpoints: an actor (fixture of tests/conftest.py) and the patient they reach for ------
ANONYMOUS = "anonymous"
HIDDEN, SHARED = "hidden", "shared"
VIEWPOINTS: dict[str, tuple[str | None, str]] = {
    "gp": ("gp", HIDDEN),  # level A of De Linde, patient data: may see everything here
    "assistant": ("assistant", HIDDEN),  # level E of De Linde, no patient-data access
    "manager": ("manager", HIDDEN),  # level B+ of De Linde: billing only
    "outsider": ("outsider", HIDDEN),  # level A of another practice
    "outsider-visible": ("outsider", SHARED),  # ... reaching for the visible patient
    "physio": ("physio", HIDDEN),  # provider, in no care network
    "physio-visible": ("physio", SHARED),  # ... reaching for the visible patient
    "nurse": ("nurse", HIDDEN),  # lead provider, IN the care network of the not-visible patient
    "nurse-visible": ("nurse", SHARED),  # ... and of the visible one, which she may see
    "helpdesk": ("helpdesk", HIDDEN),  # staff in the helpdesk group
    ANONYMOUS: (None, HIDDEN),
}
NON_STAFF = ("gp", "assistant", "manager", "outsider", "nurse", "physio")


@dataclasses.dataclass(frozen=True)
class Talk:
    """A conversation of the gp with the district nurse about one patient of De Linde."""

    conversation: object
    message: object  # the first message, with ``attachment``
    attachment: object  # a PDF
    his_export: object  # a SOEP note of the conversation, to download (no HIS connected)


@dataclasses.dataclass(frozen=True)
class PlanParts:
    """One patient's health plan in the world."""

    problem: object
    goal: object
    action: object  # owned by the nurse
    export: object  # the gp's note of the plan for the HIS (no HIS connected)
    owner_pk: int  # the nurse's membership: a valid owner of a new action

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.problem.title, self.goal.description, self.action.description)


@dataclasses.dataclass(frozen=True)
class MeetingParts:
    """The MDOs of the world, chaired by the gp, with the nurse taking part: ``meeting`` is
    open, ``closed`` is closed; both have an agenda item about each patient (by patient pk)."""

    meeting: object
    closed: object
    items: Mapping[int, object]  # of ``meeting``, by patient pk
    agreements: Mapping[int, object]  # one per item of ``meeting``, by patient pk
    closed_items: Mapping[int, object]  # of ``closed``, by patient pk
    exports: Mapping[int, object]  # the HIS note of each item of ``closed``, by patient pk
    new_patient_his_id: str  # a patient of De Linde not on the agenda yet

    def secrets(self, patient_pk: int) -> tuple[str, ...]:
        return (self.items[patient_pk].question, self.agreements[patient_pk].text)


@dataclasses.dataclass(frozen=True)
class CallParts:
    """Video calls of the world, by patient pk: the gp's open call about each patient, the gp
    in it (admitted), with a chat line and a PDF the gp shared, and a working guest link. For
    the not-visible patient's call also links that no longer work, and their tokens."""

    calls: Mapping[int, object]
    files: Mapping[int, object]  # the shared PDF (a CallMessage with a file)
    chat: Mapping[int, object]  # the chat line (a CallMessage with a body)
    guests: Mapping[int, object]  # a working guest link (its token is not needed)
    # "working", "expired", "revoked": tokens of links of the not-visible patient's call.
    tokens: Mapping[str, str]

    def secrets(self, patient_pk: int) -> tuple[str, ...]:
        return (self.files[patient_pk].original_name, self.chat[patient_pk].body)


@dataclasses.dataclass(frozen=True)
class World:
    """What the walker requests; built by the ``world`` fixture of the walker."""

    practice: object  # De Linde
    patient: object  # the not-visible patient of De Linde (source: added by hand)
    member: object  # the nurse's care-network membership of ``patient``
    shared_patient: object  # visible, the nurse in its care network
    shared_member: object
    extraction: object  # an extraction of De Linde
    membership: object  # the assistant's membership of De Linde
    invitation: object  # sent by the gp from De Linde to a physiotherapist
    invitation_token: str  # its link's token, from the e-mail
    account_request: object  # a pending new-account request of De Linde
    absence: object  # the gp's absence
    webauthn: object  # the gp's security key (allauth Authenticator)
    partner_import: object  # De Linde's network-partner overview (admin)
    physio_membership: object  # a provider someone might try to add to a care network
    users: Mapping[str, object]
    # Conversations. The nurse takes part in both talks; in ``talk`` (about the not-visible
    # patient, whose care network she is in) she must still get a 404.
    talk: Talk
    shared_talk: Talk  # about the visible patient
    inbox: object  # De Linde's shared inbox; the assistant reads it
    consultation: object  # the gp asks the nurse and De Linde's inbox about ``patient`` (open)
    access_request: object  # the physio asks De Linde for access to a patient (no patient yet)
    # Referrals. The gp referred ``patient`` to a pharmacy none of the viewpoints work for:
    # everyone but the practice is "not referred to" (sent, so not hidden as a draft).
    referral: object
    referral_feedback: object  # the pharmacy took it into treatment and reported back
    referral_attachment: object  # the gp's letter with the referral (a PDF)
    referral_delivery: object  # its delivery to the pharmacy's system, failed
    referral_export: object  # the gp's SOEP note of that feedback (no HIS connected)
    # Advance care plans (PZP): each patient has one, shared with the nurse; the note of an
    # export to the HIS of each (no HIS connected). Swapped along with the patient.
    acp_export: object = None
    shared_acp_export: object = None
    # Health plans, by patient pk: both patients have one (problem → goal → action for the
    # nurse, and a note for the HIS); kwargs take the one of ``w.patient``.
    plans: Mapping[int, PlanParts] = dataclasses.field(default_factory=dict)
    # Home measurements, by patient pk: both patients have a blood-pressure limit and a reading
    # over it, with its open alert; kwargs take the one of ``w.patient``.
    measurement_alerts: Mapping[int, object] = dataclasses.field(default_factory=dict)
    # ... and a note of those readings for the HIS (no HIS connected), by patient pk.
    measurement_exports: Mapping[int, object] = dataclasses.field(default_factory=dict)
    # Questionnaires: the MRC scale in the library, and by patient pk one filled-in response
    # (by the nurse); kwargs take the one of ``w.patient``.
    questionnaire: object = None
    questionnaire_responses: Mapping[int, object] = dataclasses.field(default_factory=dict)
    # ... and by patient pk a questionnaire the gp sent them, open, and its link's token.
    patient_links: Mapping[int, object] = dataclasses.field(default_factory=dict)
    patient_link_tokens: Mapping[int, str] = dataclasses.field(default_factory=dict)
    # MDOs (meetings): see MeetingParts.
    meetings: MeetingParts | None = None
    # Video calls: see CallParts.
    calls: CallParts | None = None
    # Support: the gp's question to the helpdesk (per user: everyone else gets a 404), a release
    # note, and the signed link in the gp's release-note e-mail that stops those e-mails.
    ticket: object = None
    release_note: object = None
    unsubscribe_token: str = ""

    def aimed_at(self, target: str) -> World:
        """The world as seen from a viewpoint: ``shared`` swaps in the visible patient."""
        if target == SHARED:
            return dataclasses.replace(
                self,
                patient=self.shared_patient,
                member=self.shared_member,
                talk=self.shared_talk,
                acp_export=self.shared_acp_export,
            )
        return self

    @property
    def secrets(self) -> tuple[str, ...]:
        """Strings no refused answer may contain (none of them is echoed from a request)."""
        return (
            self.patient.first_name,
            self.patient.his_id,
            self.patient.bsn,
            self.extraction.file_name,
            self.invitation.email,
            self.account_request.email,
            self.webauthn.data["name"],
            self.talk.conversation.subject,
            self.talk.message.body,
            self.talk.attachment.original_name,
            self.consultation.subject,
            self.inbox.name,  # other organisations' inbox management lists only their own
            self.referral.question,
            self.referral_feedback.findings,
            self.referral_attachment.original_name,
            *self.plans[self.patient.pk].secrets,
            *(
                [self.questionnaire_responses[self.patient.pk].interpretation]
                if self.questionnaire_responses
                else []
            ),
            *(self.meetings.secrets(self.patient.pk) if self.meetings else ()),
            *(self.calls.secrets(self.patient.pk) if self.calls else ()),
            *((self.ticket.subject, self.ticket.question) if self.ticket else ()),
        )


Kwargs = Callable[[World], dict]
Body = Callable[[World], dict]


def _no_body(w: World) -> dict:
    return {}


@dataclasses.dataclass(frozen=True)
class Rule:
    """How the walker treats one URL name."""

    kwargs: Kwargs | None = None
    methods: tuple[str, ...] = (GET,)
    body: Body = _no_body
    refused: Mapping[str, str] = dataclasses.field(default_factory=dict)
    public: bool = False
    control: str | None = "gp"
    note: str = ""


@dataclasses.dataclass(frozen=True)
class Family:
    """URLs with their own access checks (a library's), classified by name prefix.

    A pattern belongs to the family only if its view comes from ``views_from``: a view of our
    own that happens to share the prefix must be listed in ``TABLE``.
    """

    label: str
    prefixes: tuple[str, ...]
    views_from: tuple[str, ...]


ADMIN = Family("admin site: staff only, checked by admin_view", ("admin:",), ("django.",))
ALLAUTH = Family(
    "allauth: its own login, tokens and keys",
    ("account_", "mfa_", "usersessions_", "socialaccount_", "headless:", "idp:"),
    ("allauth.",),
)
FAMILIES = (ADMIN, ALLAUTH)


# --- Kwargs and bodies ---------------------------------------------------------------------


def patient_pk(w: World) -> dict:
    return {"pk": w.patient.pk}


def patient_form(w: World) -> dict:
    return {
        "initials": "W.",
        "first_name": "Wander",
        "surname": "Wandelaar",
        "gender": "male",
        "birth_date": "1950-06-01",
        "bsn": "",
        "street": "Dorpsstraat 1",
        "postal_code": "9051 AB",
        "city": "Stiens",
        "phone": "",
    }


def talk_pk(w: World) -> dict:
    return {"pk": w.talk.conversation.pk}


def conversation_form(w: World) -> dict:
    return {
        "patient": w.patient.pk,
        "kind": "conversation",
        "subject": "Walker: nieuw gesprek",
        "body": "Mag ik meekijken?",
        "client_key": "6c3a0c1e-9b1a-4c55-8f0e-0d6b7a4b2f10",
        "people": [w.physio_membership.pk],
    }


def referral_pk(w: World) -> dict:
    return {"pk": w.referral.pk}


def referral_form(w: World) -> dict:
    return {
        "to_organisation": w.referral.to_organisation_id,
        "urgency": "routine",
        "question": "Walker: graag medicatiebeoordeling.",
    }


def feedback_form(w: World) -> dict:
    return {"kind": "start", "findings": "Walker: bevindingen", "advice": "Walker: advies"}


def message_form(w: World) -> dict:
    return {"body": "Walker: een bericht", "client_key": "0f8d5c3a-2e4b-4d8c-9a51-3c7e2b1d9f42"}


def patient_choice(w: World) -> dict:
    return {"patient": w.patient.pk}


def acp_form(w: World) -> dict:
    return {
        "based_on": 1,
        "conversation_date": "2026-11-20",
        "capacity": "unknown",
        "goal": "symptoms",
        "resuscitation": "do",
        "ventilation": "unknown",
        "icu": "unknown",
        "hospital": "unknown",
        "antibiotics": "unknown",
        "blood_products": "unknown",
        "other": "unknown",
        "icd_present": "no",
        "icd_agreement": "not_discussed",
        "death_place": "home",
        "euthanasia": "unknown",
        "organ_donation": "unknown",
        "earlier_differ": "unknown",
    }


def measurement_form(w: World) -> dict:
    """A plausible blood pressure, measured just now (a fresh client key each time)."""
    now = timezone.localtime() - datetime.timedelta(minutes=1)
    return {
        "kind": "blood_pressure",
        "value": "150",
        "value2": "90",
        "date": now.date().isoformat(),
        "time": now.strftime("%H:%M"),
        "client_key": str(uuid.uuid4()),
    }


def meeting_kwargs(w: World) -> dict:
    return {"pk": w.meetings.meeting.pk}


def meeting_item_kwargs(w: World) -> dict:
    return {"pk": w.meetings.meeting.pk, "item_pk": w.meetings.items[w.patient.pk].pk}


def closed_item_kwargs(w: World) -> dict:
    return {"pk": w.meetings.closed.pk, "item_pk": w.meetings.closed_items[w.patient.pk].pk}


def call_kwargs(w: World) -> dict:
    return {"room": w.calls.calls[w.patient.pk].uuid}


# A minimal one-page PDF: what the walker tries to share in a call.
CALL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n"
)


def call_file_form(w: World) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {
        "file": SimpleUploadedFile("walker-in-gesprek.pdf", CALL_PDF),
        "client_key": str(uuid.uuid4()),
    }


def plan_kwargs(part: str = "", name: str = ""):
    """The kwargs of a health-plan URL: the patient, and ``name`` = the pk of one ``part`` of
    their plan."""

    def kwargs(w: World) -> dict:
        found = {"pk": w.patient.pk}
        if part:
            found[name] = getattr(w.plans[w.patient.pk], part).pk
        return found

    return kwargs


def action_form(w: World) -> dict:
    return {
        "version": "1",
        "description": "Walker: een actie",
        "owner": w.plans[w.patient.pk].owner_pk,
        "due_date": "2030-01-01",
        "status": "open",
    }


# --- Who is refused, per kind of object -------------------------------------------------------

# Everyone on a guest link whose link no longer works (the table's rows; the tokens that work
# and made-up ones: test_guest_link_tokens in the walker).
EVERYONE = ("gp", "assistant", "manager", "outsider", "physio", "nurse", "helpdesk", ANONYMOUS)

PATIENT_REFUSED = {
    "outsider": NOT_FOUND,
    "outsider-visible": NOT_FOUND,
    "physio": NOT_FOUND,
    "physio-visible": NOT_FOUND,
    "nurse": NOT_FOUND,
    "assistant": NOT_FOUND,
    ANONYMOUS: LOGIN,
}
# What only the practice may do with a patient the nurse (in the network) may see.
PRACTICE_ONLY_REFUSED = {**PATIENT_REFUSED, "nurse-visible": MAY_SEE_NOT_DO}
# Lists that everyone collaborating may open: they show their own, nothing of De Linde's.
PATIENT_LIST_REFUSED = {
    "outsider": OWN_ONLY,
    "outsider-visible": OWN_ONLY,
    "physio": OWN_ONLY,
    "physio-visible": OWN_ONLY,
    "nurse": OWN_ONLY,
    "assistant": OWN_ONLY,
    ANONYMOUS: LOGIN,
}
# Staff management of De Linde (staff_access): who may not manage staff at all → 403 (also the
# forms); another practice's manager reaching for De Linde's object → 404, and their own lists
# show nothing of De Linde's.
STAFF_SCREEN_REFUSED = {
    "nurse": FORBIDDEN,
    "physio": FORBIDDEN,
    "assistant": FORBIDDEN,
    "manager": FORBIDDEN,
    ANONYMOUS: LOGIN,
}
STAFF_REFUSED = {**STAFF_SCREEN_REFUSED, "outsider": NOT_FOUND}
STAFF_LIST_REFUSED = {**STAFF_SCREEN_REFUSED, "outsider": OWN_ONLY}
# Invitations: every inviter sees their own organisation's; a physio (provider, no inviter) and
# level B+ may not invite at all. Level E of De Linde may: collaboration includes inviting.
INVITATION_SCREEN_REFUSED = {"physio": FORBIDDEN, "manager": FORBIDDEN, ANONYMOUS: LOGIN}
INVITATION_REFUSED = {**INVITATION_SCREEN_REFUSED, "outsider": NOT_FOUND, "nurse": NOT_FOUND}
INVITATION_LIST_REFUSED = {**INVITATION_SCREEN_REFUSED, "outsider": OWN_ONLY, "nurse": OWN_ONLY}
# The gp's own things (absence, security key): everyone else gets a 404.
OWN_THINGS_REFUSED = {
    "outsider": NOT_FOUND,
    "nurse": NOT_FOUND,
    "physio": NOT_FOUND,
    "assistant": NOT_FOUND,
    ANONYMOUS: LOGIN,
}
# A user's own questions to the helpdesk: everyone else (the helpdesk too, who answers them in
# the admin) gets a 404 for the gp's ticket, and their own list shows none of them.
OWN_TICKET_REFUSED = {
    **dict.fromkeys((v for v in VIEWPOINTS if v not in ("gp", ANONYMOUS)), NOT_FOUND),
    ANONYMOUS: LOGIN,
}
OWN_TICKETS_LIST_REFUSED = {
    **dict.fromkeys((v for v in VIEWPOINTS if v not in ("gp", ANONYMOUS)), OWN_ONLY),
    ANONYMOUS: LOGIN,
}
# Custom admin views: admin_view sends everyone without helpdesk rights to the admin login.
ADMIN_REFUSED = dict.fromkeys((*NON_STAFF, ANONYMOUS), ADMIN_LOGIN)
ANONYMOUS_ONLY = {ANONYMOUS: LOGIN}
# Conversations (conversations.access): one must take part — oneself or through a shared inbox —
# and, for a conversation about a patient, also see the patient. Level B+ and the helpdesk have
# no messages at all: 403 for every conversation screen (the same for a missing one).
NO_MESSAGES = {"manager": FORBIDDEN, "helpdesk": FORBIDDEN, ANONYMOUS: LOGIN}
CONVERSATION_REFUSED = {
    "outsider": NOT_FOUND,
    "outsider-visible": NOT_FOUND,
    "physio": NOT_FOUND,
    "physio-visible": NOT_FOUND,
    "nurse": NOT_FOUND,  # takes part, in the care network, but the patient is not visible
    "assistant": NOT_FOUND,  # De Linde's, but no patient-data access and not taking part
    **NO_MESSAGES,
}
# Inbox pages: everyone with messages has one; it lists none of the world's conversations.
CONVERSATION_LIST_REFUSED = {
    "outsider": OWN_ONLY,
    "outsider-visible": OWN_ONLY,
    "physio": OWN_ONLY,  # lists the physio's own access request only
    "physio-visible": OWN_ONLY,
    "nurse": OWN_ONLY,  # the talk about the visible patient, not the other
    "assistant": OWN_ONLY,  # reads De Linde's inbox, but may not see the consultation's patient
    **NO_MESSAGES,
}
# HIS export: only the patient's own practice. A participant who may see the conversation gets
# 403; for anyone else it does not exist (the view starts from the access rule: 404 also for
# those without messages).
HIS_EXPORT_REFUSED = {
    **CONVERSATION_REFUSED,
    "nurse-visible": MAY_SEE_NOT_DO,
    "manager": NOT_FOUND,
    "helpdesk": NOT_FOUND,
}
# Managing shared inboxes: level A or a lead provider, own organisation only.
INBOX_SCREEN_REFUSED = {
    "physio": FORBIDDEN,
    "assistant": FORBIDDEN,
    "manager": FORBIDDEN,
    "helpdesk": FORBIDDEN,
    ANONYMOUS: LOGIN,
}
INBOX_REFUSED = {**INBOX_SCREEN_REFUSED, "outsider": NOT_FOUND, "nurse": NOT_FOUND}
# Referrals (referrals.access): the referring practice's staff with patient data, and the
# receiving organisation (its team). Nobody here works for the receiving pharmacy: all 404.
REFERRAL_REFUSED = {
    "outsider": NOT_FOUND,
    "outsider-visible": NOT_FOUND,
    "physio": NOT_FOUND,
    "physio-visible": NOT_FOUND,
    "nurse": NOT_FOUND,
    "nurse-visible": NOT_FOUND,
    "assistant": NOT_FOUND,  # De Linde's, but no patient-data access
    "manager": FORBIDDEN,  # billing only: no collaboration screens
    ANONYMOUS: LOGIN,
}
REFERRAL_LIST_REFUSED = {
    "outsider": OWN_ONLY,
    "physio": OWN_ONLY,
    "nurse": OWN_ONLY,
    "assistant": OWN_ONLY,
    "manager": FORBIDDEN,
    ANONYMOUS: LOGIN,
}

# MDOs (meetings.access): participants only — the rest get 404 as for a meeting that does not
# exist; within a meeting, an agenda item only for who sees its patient (network.access). The
# nurse takes part in the world's MDOs: she sees the meeting, but nothing about the patient
# she may not see. Level B+ has no collaboration screens at all (403).
MEETING_REFUSED = {
    "outsider": NOT_FOUND,
    "outsider-visible": NOT_FOUND,
    "physio": NOT_FOUND,
    "physio-visible": NOT_FOUND,
    "assistant": NOT_FOUND,  # De Linde's, but not taking part
    "manager": FORBIDDEN,
    ANONYMOUS: LOGIN,
}
# What the chair does with the meeting as a whole: a participant may see it, not do it.
MEETING_CHAIR_REFUSED = {
    **MEETING_REFUSED,
    "nurse": MAY_SEE_NOT_DO,
    "nurse-visible": MAY_SEE_NOT_DO,
}
# An agenda item: the nurse takes part, but may not see the not-visible patient.
MEETING_ITEM_REFUSED = {**MEETING_REFUSED, "nurse": NOT_FOUND}
# ... and what only the chair does with an item (minutes, agreements, health-plan actions).
MEETING_ITEM_CHAIR_REFUSED = {**MEETING_ITEM_REFUSED, "nurse-visible": MAY_SEE_NOT_DO}


TABLE: dict[str, Rule] = {
    # --- regiozorg ---------------------------------------------------------------------------
    "home": Rule(refused=ANONYMOUS_ONLY),
    "start-block": Rule(
        kwargs=lambda w: {"key": "conversations"},
        refused=ANONYMOUS_ONLY,
        note="each block reads through its app's access rule; tests/test_start_page.py checks "
        "that an outsider's blocks show nothing of another's patients",
    ),
    "healthz": Rule(public=True, control=None, note="load balancer; 200 or 503"),
    # The installable web app's shell (regiozorg/pwa.py): no user, no patient, so not no-store.
    "pwa-manifest": Rule(public=True, control=None, note="the web app manifest"),
    "pwa-service-worker": Rule(public=True, control=None, note="static/js/sw.js at the root"),
    "pwa-offline": Rule(public=True, control=None, note="the page the worker shows offline"),
    "email-not-offered": Rule(
        methods=(GET, POST),
        body=lambda w: {"action_add": "", "email": "aanvaller@example.org"},
        refused=dict.fromkeys((*VIEWPOINTS, ANONYMOUS), NOT_FOUND),
        control=None,
        note="allauth's e-mail page (an unconfirmed primary address) is not offered",
    ),
    # --- accounts: own profile -------------------------------------------------------------
    "accounts:profile": Rule(refused=ANONYMOUS_ONLY),
    "accounts:absence-create": Rule(
        methods=(POST,),
        body=lambda w: {"start": "2030-01-07", "end": "2030-01-11", "message": "Vakantie"},
        refused=ANONYMOUS_ONLY,
    ),
    "accounts:absence-delete": Rule(
        kwargs=lambda w: {"pk": w.absence.pk}, methods=(POST,), refused=OWN_THINGS_REFUSED
    ),
    "accounts:push-subscribe": Rule(
        methods=(POST,),
        body=lambda w: {
            "endpoint": "https://fcm.googleapis.com/fcm/send/walker",
            "p256dh": "B" + "A" * 86,
            "auth": "A" * 22,
        },
        refused=ANONYMOUS_ONLY,
        control=None,
        note="one's own device only; needs VAPID keys, so tests/accounts/test_push.py is the "
        "positive control",
    ),
    "accounts:push-unsubscribe": Rule(
        methods=(POST,),
        body=lambda w: {"endpoint": "https://fcm.googleapis.com/fcm/send/walker"},
        refused=ANONYMOUS_ONLY,
        note="removes only the signed-in person's own device (another's: the same answer)",
    ),
    "accounts:colleague-search": Rule(body=lambda w: {"q": "Postma"}, refused=ANONYMOUS_ONLY),
    "accounts:language": Rule(
        methods=(POST,),
        body=lambda w: {"language": "en", "next": "/"},
        public=True,
        note="the language switch works before logging in",
    ),
    # --- support: the helpdesk's contact form, My questions, help, release notes ----------
    "support:ticket-create": Rule(
        methods=(GET, POST),
        body=lambda w: {"subject": "Vraag", "question": "Werkt het?"},
        refused=ANONYMOUS_ONLY,
        note="signed-in users only (exempt from the second-factor set-up, under /contact/)",
    ),
    "support:ticket-list": Rule(refused=OWN_TICKETS_LIST_REFUSED),
    "support:ticket-detail": Rule(
        kwargs=lambda w: {"pk": w.ticket.pk}, refused=OWN_TICKET_REFUSED, note="per user"
    ),
    "support:help-index": Rule(refused=ANONYMOUS_ONLY),
    "support:help-article": Rule(kwargs=lambda w: {"key": "mdo_video"}, refused=ANONYMOUS_ONLY),
    "support:release-notes": Rule(refused=ANONYMOUS_ONLY),
    "support:release-notes-follow": Rule(
        methods=(POST,), body=lambda w: {"follows": "on"}, refused=ANONYMOUS_ONLY
    ),
    "support:release-note-dismiss": Rule(
        kwargs=lambda w: {"pk": w.release_note.pk}, methods=(POST,), refused=ANONYMOUS_ONLY
    ),
    "support:unsubscribe": Rule(
        kwargs=lambda w: {"token": w.unsubscribe_token},
        methods=(GET, POST),
        public=True,
        control=ANONYMOUS,
        note="the signed link from the e-mail is the secret; a tampered one is a 400",
    ),
    # --- accounts: staff management and invitations (accounts.staff_access) ----------------
    "accounts:staff-list": Rule(refused=STAFF_LIST_REFUSED),
    "accounts:account-request": Rule(refused=STAFF_SCREEN_REFUSED),
    "accounts:level-change": Rule(
        kwargs=lambda w: {"pk": w.membership.pk},
        methods=(GET, POST),
        body=lambda w: {"level": Level.A, "remarks": "Mag alles"},
        refused=STAFF_REFUSED,
    ),
    "accounts:patient-data-access": Rule(
        kwargs=lambda w: {"pk": w.membership.pk},
        methods=(POST,),
        body=lambda w: {"granted": "on"},
        refused=STAFF_REFUSED,
    ),
    "accounts:invitation-list": Rule(refused=INVITATION_LIST_REFUSED),
    "accounts:invitation-create": Rule(refused=INVITATION_SCREEN_REFUSED),
    "accounts:invitation-resend": Rule(
        kwargs=lambda w: {"pk": w.invitation.pk}, methods=(POST,), refused=INVITATION_REFUSED
    ),
    "accounts:invitation-revoke": Rule(
        kwargs=lambda w: {"pk": w.invitation.pk}, methods=(POST,), refused=INVITATION_REFUSED
    ),
    "accounts:invitation-accept": Rule(
        kwargs=lambda w: {"token": w.invitation_token},
        methods=(GET, POST),
        refused={"outsider": INERT, "nurse": INERT, "physio": INERT},
        public=True,
        control=ANONYMOUS,
        note="the link is the secret; an unknown token is a 404; signed in as someone else: "
        "'log out first', and nothing happens",
    ),
    # --- network: organisation, patients, care network, access log -------------------------
    "network:organisation-switch": Rule(
        methods=(POST,),
        body=lambda w: {"organisation": w.practice.pk},
        refused={"outsider": NOT_FOUND, "nurse": NOT_FOUND, "physio": NOT_FOUND, **ANONYMOUS_ONLY},
        note="switching into an organisation one is not a member of",
    ),
    "network:patient-list": Rule(
        body=lambda w: {"q": w.patient.surname}, refused=PATIENT_LIST_REFUSED
    ),
    "network:patient-create": Rule(
        methods=(GET, POST),
        body=patient_form,
        refused={
            "assistant": FORBIDDEN,
            "manager": FORBIDDEN,
            "nurse": FORBIDDEN,
            "physio": FORBIDDEN,
            **ANONYMOUS_ONLY,
        },
    ),
    "network:patient-detail": Rule(kwargs=patient_pk, refused=PATIENT_REFUSED),
    "network:patient-update": Rule(
        kwargs=patient_pk, methods=(GET, POST), body=patient_form, refused=PRACTICE_ONLY_REFUSED
    ),
    "network:patient-medical": Rule(kwargs=patient_pk, refused=PATIENT_REFUSED),
    "network:patient-print": Rule(kwargs=patient_pk, refused=PATIENT_REFUSED),
    "network:patient-visibility": Rule(
        kwargs=patient_pk,
        methods=(POST,),
        body=lambda w: {"visible": "0" if w.patient.is_visible else "1"},
        refused=PRACTICE_ONLY_REFUSED,
    ),
    "network:patient-network": Rule(kwargs=patient_pk, refused=PATIENT_REFUSED),
    "network:patient-network-candidates": Rule(
        kwargs=patient_pk, body=lambda w: {"q": "Hiemstra"}, refused=PATIENT_REFUSED
    ),
    "network:patient-network-add": Rule(
        kwargs=patient_pk,
        methods=(POST,),
        body=lambda w: {"membership": w.physio_membership.pk, "note": "Erbij"},
        refused=PATIENT_REFUSED,
    ),
    "network:patient-network-end": Rule(
        kwargs=lambda w: {"pk": w.patient.pk, "member_pk": w.member.pk},
        methods=(GET, POST),
        body=lambda w: {"reason": "Zorg afgerond"},
        refused=PATIENT_REFUSED,
    ),
    "network:patient-access-log": Rule(kwargs=patient_pk, refused=PRACTICE_ONLY_REFUSED),
    "network:patient-access-log-export": Rule(kwargs=patient_pk, refused=PRACTICE_ONLY_REFUSED),
    # --- network: HIS extractions --------------------------------------------------------------
    "network:extraction-list": Rule(
        refused={
            "outsider": OWN_ONLY,
            "assistant": FORBIDDEN,
            "manager": FORBIDDEN,
            "nurse": FORBIDDEN,
            "physio": FORBIDDEN,
            **ANONYMOUS_ONLY,
        }
    ),
    "network:extraction-detail": Rule(
        kwargs=lambda w: {"pk": w.extraction.pk},
        refused={
            "outsider": NOT_FOUND,
            "assistant": NOT_FOUND,
            "manager": NOT_FOUND,
            "nurse": NOT_FOUND,
            "physio": NOT_FOUND,
            **ANONYMOUS_ONLY,
        },
    ),
    # --- referrals ------------------------------------------------------------------------
    "referrals:list": Rule(refused=REFERRAL_LIST_REFUSED),
    "referrals:create": Rule(
        kwargs=patient_pk,
        methods=(GET, POST),
        body=referral_form,
        refused=PRACTICE_ONLY_REFUSED,
        note="only the patient's own practice refers; a partner who sees the patient gets 403",
    ),
    "referrals:detail": Rule(kwargs=referral_pk, refused=REFERRAL_REFUSED),
    "referrals:transition": Rule(
        kwargs=lambda w: {"pk": w.referral.pk, "action": "cancel"},
        methods=(POST,),
        refused=REFERRAL_REFUSED,
    ),
    "referrals:feedback": Rule(
        kwargs=referral_pk,
        methods=(POST,),
        body=feedback_form,
        refused=REFERRAL_REFUSED,
        control=None,
        note="only the receiving organisation gives feedback; none of the viewpoints is one",
    ),
    "referrals:colleague-add": Rule(
        kwargs=referral_pk,
        methods=(POST,),
        body=lambda w: {"membership": "1"},
        refused=REFERRAL_REFUSED,
        control=None,
        note="only the receivers add colleagues, while in treatment; none of the viewpoints is one",
    ),
    "referrals:fhir": Rule(kwargs=referral_pk, refused=REFERRAL_REFUSED),
    "referrals:edit": Rule(
        kwargs=referral_pk,
        methods=(GET, POST),
        body=lambda w: {"question": "Walker: aangepast", "urgency": "routine"},
        refused=REFERRAL_REFUSED,
        note="only a draft changes; the world's referral is in treatment, so the gp is sent back",
    ),
    "referrals:delivery-retry": Rule(
        kwargs=lambda w: {"pk": w.referral.pk, "delivery_pk": w.referral_delivery.pk},
        methods=(POST,),
        refused=REFERRAL_REFUSED,
    ),
    "referrals:attachment": Rule(
        kwargs=lambda w: {"pk": w.referral.pk, "attachment_pk": w.referral_attachment.pk},
        refused=REFERRAL_REFUSED,
    ),
    "referrals:feedback-his": Rule(
        kwargs=lambda w: {"pk": w.referral.pk, "feedback_pk": w.referral_feedback.pk},
        methods=(POST,),
        body=lambda w: {"icpc_code": ""},
        refused=REFERRAL_REFUSED,
    ),
    "referrals:feedback-his-download": Rule(
        kwargs=lambda w: {"pk": w.referral.pk, "export_pk": w.referral_export.pk},
        refused=REFERRAL_REFUSED,
    ),
    "referrals:question": Rule(
        kwargs=referral_pk,
        methods=(POST,),
        body=lambda w: {
            "body": "Walker: een vraag",
            "client_key": "8a1f6a52-3c1e-4b7e-9d3f-5e2a7c9b1d40",
        },
        refused=REFERRAL_REFUSED,
        note="the gp may ask once someone took it into treatment: until then a message, no change",
    ),
    # --- careplans: the advance care plan (PZP) ------------------------------------------------
    # Read by the practice and by whom the patient chose (the nurse, for the visible patient);
    # recorded and exported by the practice only. Not chosen, or the patient not visible: 404.
    "careplans:acp-detail": Rule(kwargs=patient_pk, refused=PATIENT_REFUSED),
    "careplans:acp-history": Rule(kwargs=patient_pk, refused=PATIENT_REFUSED),
    "careplans:acp-version": Rule(
        kwargs=lambda w: {"pk": w.patient.pk, "number": 1}, refused=PATIENT_REFUSED
    ),
    "careplans:acp-compare": Rule(kwargs=patient_pk, refused=PATIENT_REFUSED),
    "careplans:acp-pdf": Rule(kwargs=patient_pk, refused=PATIENT_REFUSED),
    "careplans:acp-edit": Rule(
        kwargs=patient_pk,
        methods=(GET, POST),
        body=acp_form,
        refused=PRACTICE_ONLY_REFUSED,
        note="the nurse reads the plan the patient shared with her, but never records it",
    ),
    "careplans:acp-fhir": Rule(kwargs=patient_pk, refused=PRACTICE_ONLY_REFUSED),
    "careplans:acp-his": Rule(kwargs=patient_pk, methods=(POST,), refused=PRACTICE_ONLY_REFUSED),
    "careplans:acp-his-download": Rule(
        kwargs=lambda w: {"pk": w.patient.pk, "export_pk": w.acp_export.pk},
        refused=PRACTICE_ONLY_REFUSED,
    ),
    # --- careplans: the health plan (everyone who sees the patient; exports: the practice) ---
    # --- questionnaires: everyone who sees the patient reads and fills them in ----------------
    "questionnaires:results": Rule(kwargs=lambda w: {"pk": w.patient.pk}, refused=PATIENT_REFUSED),
    "questionnaires:fill": Rule(
        kwargs=lambda w: {"pk": w.patient.pk, "questionnaire_pk": w.questionnaire.pk},
        methods=(GET, POST),
        body=lambda w: {"q-1": "3", "client_key": "7a1f3c1e-0000-4000-8000-000000000001"},
        refused=PATIENT_REFUSED,
    ),
    "questionnaires:response": Rule(
        kwargs=lambda w: {
            "pk": w.patient.pk,
            "response_pk": w.questionnaire_responses[w.patient.pk].pk,
        },
        refused=PATIENT_REFUSED,
    ),
    "questionnaires:response-fhir": Rule(
        kwargs=lambda w: {
            "pk": w.patient.pk,
            "response_pk": w.questionnaire_responses[w.patient.pk].pk,
        },
        refused=PRACTICE_ONLY_REFUSED,
    ),
    "questionnaires:response-his-export": Rule(
        kwargs=lambda w: {
            "pk": w.patient.pk,
            "response_pk": w.questionnaire_responses[w.patient.pk].pk,
        },
        methods=(POST,),
        refused=PRACTICE_ONLY_REFUSED,
    ),
    "questionnaires:link-send": Rule(
        kwargs=patient_pk,
        methods=(GET, POST),
        body=lambda w: {
            "questionnaire": w.questionnaire.pk,
            "channel": "email",
            "email": "walker@example.nl",
            "due_date": (timezone.localdate() + datetime.timedelta(days=7)).isoformat(),
            "client_key": str(uuid.uuid4()),
        },
        refused=PATIENT_REFUSED,
    ),
    "questionnaires:link-revoke": Rule(
        kwargs=lambda w: {"pk": w.patient.pk, "link_pk": w.patient_links[w.patient.pk].pk},
        methods=(POST,),
        refused=PATIENT_REFUSED,
    ),
    # The patient's own page: no account, the token is the first secret and the date of birth
    # the second. Everyone without that step gets the date-of-birth question (signed in: "log out
    # first") and nothing else.
    "questionnaires:patient-link": Rule(
        kwargs=lambda w: {"token": w.patient_link_tokens[w.patient.pk]},
        methods=(GET, POST),
        body=lambda w: {"1": "4", "action": "submit", "client_key": str(uuid.uuid4())},
        refused={
            "gp": ASKS_BIRTH_DATE,
            "outsider": ASKS_BIRTH_DATE,
            "outsider-visible": ASKS_BIRTH_DATE,
            "physio": ASKS_BIRTH_DATE,
            "nurse": ASKS_BIRTH_DATE,
            "nurse-visible": ASKS_BIRTH_DATE,
            ANONYMOUS: ASKS_BIRTH_DATE,
        },
        public=True,
        control=ANONYMOUS,
        note="an unknown token is a 404; answers posted before the date of birth change nothing",
    ),
    "admin:questionnaires_questionnaire_export": Rule(
        kwargs=lambda w: {"pk": w.questionnaire.pk},
        refused=ADMIN_REFUSED,
        control="helpdesk",
    ),
    "admin:questionnaires_questionnaire_import": Rule(
        methods=(GET, POST),
        refused=ADMIN_REFUSED,
        control="helpdesk",
    ),
    "healthplan:plan": Rule(kwargs=plan_kwargs(), refused=PATIENT_REFUSED),
    "healthplan:problem-create": Rule(
        kwargs=plan_kwargs(),
        methods=(POST,),
        body=lambda w: {"title": "Walker: een probleem", "icpc_code": "R95"},
        refused=PATIENT_REFUSED,
    ),
    "healthplan:problem-edit": Rule(
        kwargs=plan_kwargs("problem", "problem_pk"),
        methods=(GET, POST),
        body=lambda w: {"version": "1", "title": "Walker: ander", "status": "resolved"},
        refused=PATIENT_REFUSED,
    ),
    "healthplan:goal-create": Rule(
        kwargs=plan_kwargs("problem", "problem_pk"),
        methods=(POST,),
        body=lambda w: {"description": "Walker: een doel", "target_value": "1"},
        refused=PATIENT_REFUSED,
    ),
    "healthplan:goal-edit": Rule(
        kwargs=plan_kwargs("goal", "goal_pk"),
        methods=(GET, POST),
        body=lambda w: {"version": "1", "description": "Walker: ander doel", "status": "active"},
        refused=PATIENT_REFUSED,
    ),
    "healthplan:action-create": Rule(
        kwargs=plan_kwargs("goal", "goal_pk"),
        methods=(POST,),
        body=action_form,
        refused=PATIENT_REFUSED,
    ),
    "healthplan:action-edit": Rule(
        kwargs=plan_kwargs("action", "action_pk"),
        methods=(GET, POST),
        body=action_form,
        refused=PATIENT_REFUSED,
    ),
    "healthplan:action-status": Rule(
        kwargs=plan_kwargs("action", "action_pk"),
        methods=(POST,),
        body=lambda w: {"status": "done"},
        refused=PATIENT_REFUSED,
    ),
    "healthplan:plan-fhir": Rule(kwargs=plan_kwargs(), refused=PRACTICE_ONLY_REFUSED),
    "healthplan:plan-his-export": Rule(
        kwargs=plan_kwargs(), methods=(POST,), refused=PRACTICE_ONLY_REFUSED
    ),
    "healthplan:plan-his-export-download": Rule(
        kwargs=plan_kwargs("export", "export_pk"), refused=PRACTICE_ONLY_REFUSED
    ),
    # --- questionnaires: home measurements (read by whom the matrix allows measurements; ----
    # entered by the practice and district nurses; limits, alerts and the export: the practice)
    "measurements:page": Rule(kwargs=patient_pk, refused=PATIENT_REFUSED),
    "measurements:practice-alerts": Rule(
        refused={
            "outsider": OWN_ONLY,  # another practice's gp: their own practice's alerts
            "outsider-visible": OWN_ONLY,
            "physio": FORBIDDEN,
            "physio-visible": FORBIDDEN,
            "nurse": FORBIDDEN,
            "nurse-visible": FORBIDDEN,
            "assistant": FORBIDDEN,  # De Linde's, without patient-data access
            "manager": FORBIDDEN,
            ANONYMOUS: LOGIN,
        },
        note="the practice's own staff with patient-data access: every open alert of its patients",
    ),
    "measurements:enter": Rule(
        kwargs=patient_pk,
        methods=(GET, POST),
        body=measurement_form,
        refused=PATIENT_REFUSED,
        note="the nurse in the care network of the visible patient enters readings too",
    ),
    "measurements:thresholds": Rule(
        kwargs=patient_pk,
        methods=(GET, POST),
        body=lambda w: {"kind": "weight", "low": "50", "high": "90", "count": "1"},
        refused=PRACTICE_ONLY_REFUSED,
    ),
    "measurements:alert-handle": Rule(
        kwargs=lambda w: {"pk": w.patient.pk, "alert_pk": w.measurement_alerts[w.patient.pk].pk},
        methods=(POST,),
        refused=PRACTICE_ONLY_REFUSED,
    ),
    "measurements:fhir": Rule(kwargs=patient_pk, refused=PRACTICE_ONLY_REFUSED),
    "measurements:his-export": Rule(
        kwargs=patient_pk, methods=(POST,), refused=PRACTICE_ONLY_REFUSED
    ),
    "measurements:his-export-download": Rule(
        kwargs=lambda w: {
            "pk": w.patient.pk,
            "export_pk": w.measurement_exports[w.patient.pk].pk,
        },
        refused=PRACTICE_ONLY_REFUSED,
    ),
    # --- meetings: the MDO (participants; per agenda item, who sees its patient) -------------
    "meetings:list": Rule(
        refused={"manager": FORBIDDEN, ANONYMOUS: LOGIN},
        note="titles and dates of one's own MDOs only, no patient; tests/meetings checks whose",
    ),
    "meetings:create": Rule(
        methods=(GET, POST),
        body=lambda w: {"title": "Walker-MDO", "held_on": "2026-12-11", "held_time": "15:00"},
        refused={"manager": FORBIDDEN, ANONYMOUS: LOGIN},
        note="everyone who collaborates may chair an MDO of their own organisation",
    ),
    "meetings:detail": Rule(
        kwargs=meeting_kwargs,
        refused={**MEETING_REFUSED, "nurse": OWN_ONLY},
        note="the nurse takes part: the page opens without the patient she may not see",
    ),
    "meetings:report": Rule(kwargs=meeting_kwargs, refused={**MEETING_REFUSED, "nurse": OWN_ONLY}),
    "meetings:status": Rule(
        kwargs=meeting_kwargs,
        methods=(POST,),
        body=lambda w: {"action": "close"},
        refused=MEETING_CHAIR_REFUSED,
    ),
    "meetings:participant-add": Rule(
        kwargs=meeting_kwargs,
        methods=(POST,),
        body=lambda w: {"membership": w.membership.pk},
        refused=MEETING_CHAIR_REFUSED,
    ),
    "meetings:item-add": Rule(
        kwargs=meeting_kwargs,
        methods=(POST,),
        body=lambda w: {
            "patient_number": w.meetings.new_patient_his_id,
            "question": "Walker: een vraag",
        },
        refused=MEETING_CHAIR_REFUSED,
    ),
    "meetings:note-save": Rule(
        kwargs=meeting_item_kwargs,
        methods=(POST,),
        body=lambda w: {"text": "Walker: voorbereiding"},
        refused=MEETING_ITEM_REFUSED,
    ),
    "meetings:minutes-save": Rule(
        kwargs=meeting_item_kwargs,
        methods=(POST,),
        body=lambda w: {"text": "Walker: verslag"},
        refused=MEETING_ITEM_CHAIR_REFUSED,
    ),
    "meetings:agreement-add": Rule(
        kwargs=meeting_item_kwargs,
        methods=(POST,),
        body=lambda w: {"text": "Walker: afspraak"},
        refused=MEETING_ITEM_CHAIR_REFUSED,
    ),
    "meetings:agreement-action": Rule(
        kwargs=lambda w: {
            "pk": w.meetings.meeting.pk,
            "agreement_pk": w.meetings.agreements[w.patient.pk].pk,
        },
        methods=(POST,),
        refused=MEETING_ITEM_CHAIR_REFUSED,
    ),
    "meetings:item-his-export": Rule(
        kwargs=closed_item_kwargs,
        methods=(POST,),
        refused=MEETING_ITEM_CHAIR_REFUSED,
        note="only the patient's own practice exports; the nurse who sees the patient: 403",
    ),
    "meetings:item-his-export-download": Rule(
        kwargs=lambda w: {
            **closed_item_kwargs(w),
            "export_pk": w.meetings.exports[w.patient.pk].pk,
        },
        refused=MEETING_ITEM_CHAIR_REFUSED,
    ),
    # --- meetings: video calls. A patient's call: everyone who may see the patient (the gp of
    # the world is in each, admitted); an MDO's call: its participants, as meetings:detail. ----
    "meetings:call-meeting-start": Rule(
        kwargs=meeting_kwargs,
        methods=(POST,),
        refused=MEETING_REFUSED,
        note="the nurse takes part in the MDO, so she may start its call",
    ),
    "meetings:call-patient-start": Rule(
        kwargs=lambda w: {"patient_pk": w.patient.pk}, methods=(POST,), refused=PATIENT_REFUSED
    ),
    "meetings:call-conversation-start": Rule(
        kwargs=lambda w: {"conversation_pk": w.talk.conversation.pk},
        methods=(POST,),
        refused=CONVERSATION_REFUSED,
        note="a conversation's call: whoever may see the conversation",
    ),
    "meetings:call": Rule(kwargs=call_kwargs, refused=PATIENT_REFUSED),
    "meetings:call-end": Rule(kwargs=call_kwargs, methods=(POST,), refused=PATIENT_REFUSED),
    "meetings:call-guest-invite": Rule(
        kwargs=call_kwargs,
        methods=(POST,),
        body=lambda w: {
            "name": "Walker-gast",
            "kind": "guest",
            "channel": "link",
            "valid_hours": "2",
            "client_key": str(uuid.uuid4()),
        },
        refused=PATIENT_REFUSED,
    ),
    "meetings:call-guest-revoke": Rule(
        kwargs=lambda w: {**call_kwargs(w), "guest_pk": w.calls.guests[w.patient.pk].pk},
        methods=(POST,),
        refused=PATIENT_REFUSED,
    ),
    "meetings:call-file-upload": Rule(
        kwargs=call_kwargs, methods=(POST,), body=call_file_form, refused=PATIENT_REFUSED
    ),
    "meetings:call-file": Rule(
        kwargs=lambda w: {**call_kwargs(w), "file_pk": w.calls.files[w.patient.pk].pk},
        refused=PATIENT_REFUSED,
    ),
    # The guest's pages: no account, the token is the key. A link that no longer works says so
    # on its page (410) and opens no file (404), for everyone, signed in or not; a made-up token
    # is a 404 (test_public_page). Working links: test_guest_link_tokens.
    "meetings:guest": Rule(
        kwargs=lambda w: {"token": w.calls.tokens["expired"]},
        methods=(GET, POST),
        body=lambda w: {"name": "Walker-gast"},
        refused=dict.fromkeys(EVERYONE, GONE),
        public=True,
        control=None,
    ),
    "meetings:guest-file-upload": Rule(
        kwargs=lambda w: {"token": w.calls.tokens["revoked"]},
        methods=(POST,),
        body=call_file_form,
        refused=dict.fromkeys(EVERYONE, NOT_FOUND),
        public=True,
        control=None,
    ),
    "meetings:guest-file": Rule(
        kwargs=lambda w: {
            "token": w.calls.tokens["expired"],
            "file_pk": w.calls.files[w.patient.pk].pk,
        },
        refused=dict.fromkeys(EVERYONE, NOT_FOUND),
        public=True,
        control=None,
    ),
    # --- conversations: inboxes, starting, one conversation ---------------------------------
    "conversations:inbox": Rule(refused=CONVERSATION_LIST_REFUSED),
    "conversations:consultations": Rule(refused=CONVERSATION_LIST_REFUSED),
    "referrals:new-badge": Rule(
        refused=ANONYMOUS_ONLY, note="a number only; tests/test_start_page.py checks what it counts"
    ),
    "conversations:unread-badge": Rule(
        refused=ANONYMOUS_ONLY, note="numbers only; tests/conversations checks what they count"
    ),
    "conversations:recipient-search": Rule(body=lambda w: {"q": "Postma"}, refused=NO_MESSAGES),
    "conversations:create": Rule(
        methods=(GET, POST),
        body=conversation_form,
        refused={**PATIENT_REFUSED, **NO_MESSAGES},
        note="about w.patient: who may not see the patient may not start about them",
    ),
    "conversations:detail": Rule(kwargs=talk_pk, refused=CONVERSATION_REFUSED),
    "conversations:message-create": Rule(
        kwargs=talk_pk, methods=(POST,), body=message_form, refused=CONVERSATION_REFUSED
    ),
    "conversations:flag": Rule(
        kwargs=talk_pk,
        methods=(POST,),
        body=lambda w: {"flagged": "1"},
        refused=CONVERSATION_REFUSED,
    ),
    "conversations:close": Rule(
        kwargs=talk_pk,
        methods=(POST,),
        body=lambda w: {"closed": "1"},
        refused=CONVERSATION_REFUSED,
    ),
    "conversations:pick-up": Rule(
        kwargs=lambda w: {"pk": w.consultation.pk},
        methods=(POST,),
        refused={**CONVERSATION_REFUSED, "nurse-visible": NOT_FOUND},
        note="the consultation is about the not-visible patient for every viewpoint",
    ),
    "conversations:access-grant": Rule(
        kwargs=lambda w: {"pk": w.access_request.pk},
        methods=(POST,),
        body=patient_choice,
        refused={
            **CONVERSATION_REFUSED,
            "physio": MAY_SEE_NOT_DO,  # asked for it; only the practice grants
            "physio-visible": MAY_SEE_NOT_DO,
            "nurse-visible": NOT_FOUND,
        },
    ),
    "conversations:attachment": Rule(
        kwargs=lambda w: {"pk": w.talk.conversation.pk, "attachment_pk": w.talk.attachment.pk},
        refused=CONVERSATION_REFUSED,
    ),
    "conversations:his-export": Rule(
        kwargs=talk_pk,
        methods=(POST,),
        body=lambda w: {"icpc_code": "T90"},
        refused=HIS_EXPORT_REFUSED,
    ),
    "conversations:his-export-download": Rule(
        kwargs=lambda w: {"pk": w.talk.conversation.pk, "export_pk": w.talk.his_export.pk},
        refused=HIS_EXPORT_REFUSED,
    ),
    # --- conversations: managing shared inboxes --------------------------------------------
    "conversations:inbox-list": Rule(
        refused={**INBOX_SCREEN_REFUSED, "outsider": OWN_ONLY, "nurse": OWN_ONLY},
        note="GET only: a POST creates an inbox of one's own organisation, which is allowed",
    ),
    "conversations:inbox-members": Rule(kwargs=lambda w: {"pk": w.inbox.pk}, refused=INBOX_REFUSED),
    "conversations:inbox-member-change": Rule(
        kwargs=lambda w: {"pk": w.inbox.pk},
        methods=(POST,),
        body=lambda w: {"user": w.users["assistant"].pk, "action": "remove"},
        refused=INBOX_REFUSED,
    ),
    # --- allauth views that reach for one user's object (listed, not left to the family) -------
    "mfa_edit_webauthn": Rule(
        kwargs=lambda w: {"pk": w.webauthn.pk},
        methods=(GET, POST),
        body=lambda w: {"name": "Overgenomen"},
        refused=OWN_THINGS_REFUSED,
    ),
    "mfa_remove_webauthn": Rule(
        kwargs=lambda w: {"pk": w.webauthn.pk}, methods=(GET, POST), refused=OWN_THINGS_REFUSED
    ),
    # --- admin: our own views inside the admin site ----------------------------------------
    "admin:support_ticket_screenshot": Rule(
        kwargs=lambda w: {"pk": w.ticket.pk},
        refused=ADMIN_REFUSED,
        control="helpdesk",
        note="the screenshot of a question, for the helpdesk who answers it",
    ),
    "admin:login": Rule(
        refused={**dict.fromkeys(NON_STAFF, FORBIDDEN), **ANONYMOUS_ONLY},
        control="helpdesk",
        note="accounts.views.admin_login: allauth login for anonymous, 403 for non-staff",
    ),
    "admin:accounts_accountrequest_approve": Rule(
        kwargs=lambda w: {"pk": w.account_request.pk},
        methods=(POST,),
        refused=ADMIN_REFUSED,
        control="helpdesk",
    ),
    "admin:accounts_accountrequest_reject": Rule(
        kwargs=lambda w: {"pk": w.account_request.pk},
        methods=(POST,),
        body=lambda w: {"reason": "Onbekend"},
        refused=ADMIN_REFUSED,
        control="helpdesk",
    ),
    "admin:accounts_accountrequest_change": Rule(
        kwargs=lambda w: {"object_id": str(w.account_request.pk)},
        refused=ADMIN_REFUSED,
        control="helpdesk",
    ),
    "admin:accounts_partnerimport_apply": Rule(
        kwargs=lambda w: {"pk": w.partner_import.pk},
        methods=(POST,),
        refused=ADMIN_REFUSED,
        control=None,
    ),
    "admin:auth_user_password_change": Rule(
        kwargs=lambda w: {"id": str(w.users["assistant"].pk)},
        methods=(GET, POST),
        body=lambda w: {"password1": "Overgenomen-99-x", "password2": "Overgenomen-99-x"},
        refused={**ADMIN_REFUSED, "helpdesk": NOT_FOUND},
        control=None,
        note="accounts.admin.UserAdmin.user_change_password: the helpdesk never sets a "
        "password (it sends a reset link); only a superuser, outside the product, has the page",
    ),
    "admin:accounts_partnerimport_change": Rule(
        kwargs=lambda w: {"object_id": str(w.partner_import.pk)},
        refused=ADMIN_REFUSED,
        control="helpdesk",
    ),
}
