"""The practice's overview of its network partners: upload, dry-run preview, import.

The helpdesk works in the admin: upload (the preview shows every row and its problems, nothing
is written), then import (one transaction; importing the same overview again adds nothing).
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

import accounts.services.invitations as invitations
import accounts.services.partner_import as partner_import_service
from accounts.levels import Role
from accounts.models import (
    Invitation,
    Membership,
    Organisation,
    OrganisationKind,
    PartnerImport,
    StaffChange,
    User,
)
from accounts.services.partner_import import partner_import_check_file, partner_import_preview

pytestmark = pytest.mark.django_db

A = StaffChange.Action
HEADER = "organisatie;soort;agb_code;naam;email;hoofdzorgverlener"
VALID = "\n".join(
    [
        HEADER,
        # A new organisation, with its lead provider and a colleague.
        "Apotheek De Brug;apotheek;06012345;Marije Dijkstra;m.dijkstra@apotheekdebrug.nl;ja",
        "Apotheek De Brug;apotheek;06012345;Pieter de Boer;p.deboer@apotheekdebrug.nl;nee",
        # An organisation that exists already (found on its AGB code, the name may differ).
        "Thuiszorg Friesland B.V.;wijkverpleging;03011111;Dirk Hoekstra;"
        "d.hoekstra@thuiszorg.nl;nee",
        # Someone with an account already: a membership, not an invitation.
        "Thuiszorg Friesland B.V.;wijkverpleging;03011111;Foppe Hiemstra;FYSIO@fysiocentrum.nl;nee",
        # Someone who already works there: left as is.
        "Thuiszorg Friesland B.V.;wijkverpleging;03011111;Nynke Wiersma;wijk@thuiszorg.nl;ja",
    ]
)


def _in_dutch(msgid: str, **params) -> str:
    with translation.override("nl"):
        text = gettext(msgid)
    return text % params if params else text


def _csv(text: str, name: str = "netwerkpartners.csv", encoding: str = "utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def _state() -> tuple[int, int, int, int]:
    """What an import writes: organisations, memberships, invitations, users."""
    return (
        Organisation.objects.count(),
        Membership.objects.count(),
        Invitation.objects.count(),
        User.objects.count(),
    )


@pytest.fixture
def world(gp, nurse, physio, helpdesk):
    """The practice, the nurse (lead of Thuiszorg Friesland), the physio with an account."""
    return gp, nurse, physio


@pytest.fixture
def admin(client, helpdesk):
    client.force_login(helpdesk)
    return client


def _upload(admin, practice, uploaded):
    return admin.post(
        reverse("admin:accounts_partnerimport_add"), {"practice": practice.pk, "file": uploaded}
    )


def _uploaded(admin, practice, text, **kwargs) -> PartnerImport:
    response = _upload(admin, practice, _csv(text, **kwargs))
    assert response.status_code == 302, response.context["adminform"].form.errors
    partner_import = PartnerImport.objects.latest("pk")
    assert response["Location"] == reverse(
        "admin:accounts_partnerimport_change", args=[partner_import.pk]
    )
    return partner_import


def _apply(admin, partner_import):
    return admin.post(reverse("admin:accounts_partnerimport_apply", args=[partner_import.pk]))


def _apply_url(partner_import) -> str:
    return reverse("admin:accounts_partnerimport_apply", args=[partner_import.pk])


# --- The happy path ---------------------------------------------------------------------------


def test_upload_shows_a_preview_and_writes_nothing(admin, practice, world, helpdesk):
    before = _state()

    partner_import = _uploaded(admin, practice, VALID)
    page = admin.get(reverse("admin:accounts_partnerimport_change", args=[partner_import.pk]))

    assert page.status_code == 200
    assert partner_import.uploaded_by == helpdesk
    assert partner_import.practice == practice
    assert partner_import.file_name == "netwerkpartners.csv"
    assert partner_import.applied_at is None
    preview = page.context["preview"]
    assert preview.is_valid
    assert [row.number for row in preview.rows] == [2, 3, 4, 5, 6]
    assert [row.errors for row in preview.rows] == [[]] * 5
    assert [row.lead for row in preview.rows] == [True, False, False, False, True]
    assert preview.rows[0].kind == OrganisationKind.PHARMACY
    assert preview.rows[3].email == "fysio@fysiocentrum.nl"
    html = page.content.decode()
    for text in ("Apotheek De Brug", "m.dijkstra@apotheekdebrug.nl", "Dirk Hoekstra"):
        assert text in html
    assert _apply_url(partner_import) in html  # the import button
    assert _state() == before
    assert not Organisation.objects.filter(agb_code="06012345").exists()


def test_import_creates_organisations_memberships_and_invitations(
    admin,
    practice,
    nursing,
    world,
    helpdesk,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    _gp, nurse, physio = world
    partner_import = _uploaded(admin, practice, VALID)
    organisations, memberships, invitations, users = _state()

    with django_capture_on_commit_callbacks(execute=True):
        response = _apply(admin, partner_import)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:accounts_partnerimport_changelist")
    assert _state() == (organisations + 1, memberships + 1, invitations + 3, users)
    # The new organisation: active straight away (the practice vouches for it).
    pharmacy = Organisation.objects.get(agb_code="06012345")
    assert (pharmacy.name, pharmacy.kind) == ("Apotheek De Brug", OrganisationKind.PHARMACY)
    assert pharmacy.is_active
    assert pharmacy.confirmed_at is not None
    # Invitations for new people, with the lead provider role where the file says "ja".
    rows = {
        invitation.email: invitation
        for invitation in Invitation.objects.select_related("organisation")
    }
    assert set(rows) == {
        "m.dijkstra@apotheekdebrug.nl",
        "p.deboer@apotheekdebrug.nl",
        "d.hoekstra@thuiszorg.nl",
    }
    assert rows["m.dijkstra@apotheekdebrug.nl"].role == Role.LEAD
    assert rows["p.deboer@apotheekdebrug.nl"].role == Role.PROVIDER
    assert rows["d.hoekstra@thuiszorg.nl"].organisation == nursing
    for invitation in rows.values():
        assert invitation.source == Invitation.Source.IMPORT
        assert invitation.inviting_organisation == practice
        assert invitation.status == Invitation.Status.PENDING
        assert invitation.send_count == 1
        assert invitation.has_patient_data_access
    assert rows["m.dijkstra@apotheekdebrug.nl"].first_name == "Marije"
    deboer = rows["p.deboer@apotheekdebrug.nl"]
    assert (deboer.infix, deboer.last_name) == ("de", "Boer")
    # The physiotherapist with an account now also works for the nursing organisation.
    membership = Membership.objects.get(user=physio, organisation=nursing)
    assert membership.role == Role.PROVIDER
    assert membership.is_active
    # The nurse was already there: her membership is untouched.
    assert Membership.objects.get(user=nurse, organisation=nursing).role == Role.LEAD
    # E-mails: one invitation each, with the link; a notice for the physiotherapist.
    recipients = sorted(message.to[0] for message in mailoutbox)
    assert recipients == sorted([*rows, physio.email])
    for message in mailoutbox:
        if message.to[0] in rows:
            assert "/uitnodiging/" in message.body
            assert '<html lang="nl"' in message.alternatives[0][0]
    # Recorded, and the import remembers what it did.
    partner_import.refresh_from_db()
    assert partner_import.applied_by == helpdesk
    assert partner_import.applied_at is not None
    summary = {
        "organisations_created": 1,
        "memberships_created": 1,
        "invitations_created": 3,
        "unchanged": 1,
    }
    assert partner_import.summary == summary
    change = StaffChange.objects.get(action=A.IMPORT_APPLIED)
    assert change.actor == helpdesk
    assert change.organisation == practice
    assert change.details == {"file": "netwerkpartners.csv", **summary}
    assert StaffChange.objects.filter(action=A.INVITATION_SENT, actor=helpdesk).count() == 3


def test_importing_the_same_overview_twice_creates_nothing_new(
    admin, practice, world, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _apply(admin, _uploaded(admin, practice, VALID))
    after_first = _state()
    mails = len(mailoutbox)
    tokens = set(Invitation.objects.values_list("token_hash", flat=True))

    second = _uploaded(admin, practice, VALID)
    with django_capture_on_commit_callbacks(execute=True):
        response = _apply(admin, second)

    assert response.status_code == 302
    assert _state() == after_first
    assert len(mailoutbox) == mails  # nobody is mailed twice
    assert set(Invitation.objects.values_list("token_hash", flat=True)) == tokens
    second.refresh_from_db()
    assert second.summary == {
        "organisations_created": 0,
        "memberships_created": 0,
        "invitations_created": 0,
        "unchanged": 5,
    }


def test_an_applied_overview_cannot_be_applied_again(
    admin, practice, world, mailoutbox, django_capture_on_commit_callbacks
):
    partner_import = _uploaded(admin, practice, VALID)
    with django_capture_on_commit_callbacks(execute=True):
        _apply(admin, partner_import)
    partner_import.refresh_from_db()
    applied = (partner_import.applied_at, partner_import.summary)
    page = admin.get(reverse("admin:accounts_partnerimport_change", args=[partner_import.pk]))
    assert _apply_url(partner_import) not in page.content.decode()
    before, mails = _state(), len(mailoutbox)

    with django_capture_on_commit_callbacks(execute=True):
        response = _apply(admin, partner_import)

    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:accounts_partnerimport_change", args=[partner_import.pk]
    )
    partner_import.refresh_from_db()
    assert (partner_import.applied_at, partner_import.summary) == applied
    assert _state() == before
    assert len(mailoutbox) == mails
    assert StaffChange.objects.filter(action=A.IMPORT_APPLIED).count() == 1


# --- Bad input: a clear message, nothing written -----------------------------------------------


def test_missing_columns_are_named_and_the_import_is_refused(
    admin, practice, world, mailoutbox, django_capture_on_commit_callbacks
):
    text = "organisatie;soort;naam;email\nApotheek De Brug;apotheek;Marije Dijkstra;m@brug.nl\n"
    partner_import = _uploaded(admin, practice, text)
    before = _state()

    page = admin.get(reverse("admin:accounts_partnerimport_change", args=[partner_import.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        refused = _apply(admin, partner_import)

    preview = page.context["preview"]
    assert not preview.is_valid
    assert preview.rows == []
    assert preview.errors == [
        _in_dutch(
            "Missing columns: %(missing)s. The first row must be: %(columns)s.",
            missing="agb_code, hoofdzorgverlener",
            columns=HEADER,
        )
    ]
    assert "agb_code, hoofdzorgverlener" in page.content.decode()
    assert _apply_url(partner_import) not in page.content.decode()
    assert refused.status_code == 302
    assert refused["Location"] == reverse(
        "admin:accounts_partnerimport_change", args=[partner_import.pk]
    )
    partner_import.refresh_from_db()
    assert partner_import.applied_at is None
    assert _state() == before
    assert mailoutbox == []
    assert not StaffChange.objects.filter(action=A.IMPORT_APPLIED).exists()


BAD_ROWS = "\n".join(
    [
        HEADER,
        "Apotheek De Brug;apotheek;06012345;Marije Dijkstra;m.dijkstra@apotheekdebrug.nl;ja",
        "Apotheek Noord;apotheek;1234;Anna Noord;anna@apotheeknoord.nl;nee",
        "Tandarts Zuid;tandarts;08012345;Tom Zuid;tom@tandartszuid.nl;nee",
        "Fysio West;fysiotherapie;04022222;Wim West;geen-email;nee",
        "Fysio West;fysiotherapie;04022222;Wil West;M.Dijkstra@apotheekdebrug.nl;nee",
        "Fysio West;fysiotherapie;04022222;Wouter West;wouter@fysiowest.nl;misschien",
    ]
)


def test_bad_rows_are_listed_per_row_and_the_import_is_refused(
    admin, practice, world, mailoutbox, django_capture_on_commit_callbacks
):
    partner_import = _uploaded(admin, practice, BAD_ROWS)
    before = _state()

    page = admin.get(reverse("admin:accounts_partnerimport_change", args=[partner_import.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        refused = _apply(admin, partner_import)

    preview = page.context["preview"]
    assert not preview.is_valid
    assert preview.errors == []
    errors = {row.number: row.errors for row in preview.rows}
    assert errors == {
        2: [],
        3: [_in_dutch("AGB code “%(agb)s” is not 8 digits", agb="1234")],
        4: [_in_dutch("unknown kind “%(kind)s”", kind="tandarts")],
        5: [_in_dutch("e-mail address “%(email)s” is not valid", email="geen-email")],
        6: [_in_dutch("e-mail address also on row %(row)d", row=2)],
        7: [_in_dutch("lead provider must be “ja” or “nee”")],
    }
    assert preview.error_count == 5
    html = page.content.decode()
    for row_errors in errors.values():
        for error in row_errors:
            assert error in html
    assert _apply_url(partner_import) not in html
    assert refused.status_code == 302
    assert _state() == before
    assert mailoutbox == []
    partner_import.refresh_from_db()
    assert partner_import.applied_at is None


def test_the_same_agb_code_for_two_organisations_is_an_error(world):
    preview = partner_import_preview(
        "\n".join(
            [
                HEADER,
                "Apotheek De Brug;apotheek;06012345;Marije Dijkstra;m@brug.nl;ja",
                "Apotheek Noord;apotheek;06012345;Anna Noord;anna@noord.nl;nee",
            ]
        )
    )

    assert preview.rows[0].errors == []
    assert preview.rows[1].errors == [
        _in_dutch("AGB code is also used for “%(org)s”", org="Apotheek De Brug")
    ]


def test_a_gp_practice_agb_code_cannot_be_used_to_join_the_practice(
    admin, practice, world, mailoutbox, django_capture_on_commit_callbacks
):
    # The practice's own AGB code, under a partner kind: importing it would put outsiders
    # into the GP practice. The preview flags the row; nothing is imported.
    text = "\n".join(
        [HEADER, f"Thuiszorg X;wijkverpleging;{practice.agb_code};Xander X;x@thuiszorgx.nl;ja"]
    )
    partner_import = _uploaded(admin, practice, text)
    before = _state()

    page = admin.get(reverse("admin:accounts_partnerimport_change", args=[partner_import.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        _apply(admin, partner_import)

    [row] = page.context["preview"].rows
    assert len(row.errors) == 1
    assert practice.name in row.errors[0]
    assert _state() == before
    assert not Invitation.objects.filter(organisation=practice).exists()
    assert mailoutbox == []


def test_a_file_of_10_mb_is_refused_before_anything_is_stored(admin, practice, world):
    row = "Apotheek De Brug;apotheek;06012345;Marije Dijkstra;m.dijkstra@apotheekdebrug.nl;ja\n"
    big = HEADER + "\n" + row * (10 * 1024 * 1024 // len(row) + 1)
    assert len(big) > 10 * 1024 * 1024

    response = _upload(admin, practice, _csv(big))

    assert response.status_code == 200
    assert "file" in response.context["adminform"].form.errors
    assert not PartnerImport.objects.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("netwerkpartners.csv", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)) * 4),
        ("netwerkpartners.csv", b"organisatie;soort\x00\x00\x00;agb_code\n"),
        ("netwerkpartners.xlsx", HEADER.encode()),
        ("netwerkpartners", HEADER.encode()),
    ],
    ids=["binary", "nul-bytes", "xlsx-name", "no-extension"],
)
def test_a_file_that_is_not_csv_is_refused(admin, practice, world, name, content):
    response = _upload(admin, practice, SimpleUploadedFile(name, content))

    assert response.status_code == 200
    assert "file" in response.context["adminform"].form.errors
    assert not PartnerImport.objects.exists()


def test_only_a_gp_practice_can_deliver_an_overview(admin, nursing, world):
    response = _upload(admin, nursing, _csv(VALID))

    assert response.status_code == 200
    assert "practice" in response.context["adminform"].form.errors
    assert not PartnerImport.objects.exists()


def test_the_import_is_one_transaction(
    admin, practice, world, monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    """If the third row fails, the organisation and invitations of rows 1–2 are rolled back."""
    partner_import = _uploaded(admin, practice, VALID)
    before = _state()
    real_issue = invitations.invitation_issue
    calls = []

    def failing_issue(**kwargs):
        calls.append(kwargs["email"])
        if len(calls) == 3:
            raise RuntimeError("mail server on fire")
        return real_issue(**kwargs)

    monkeypatch.setattr(partner_import_service, "invitation_issue", failing_issue)
    admin.raise_request_exception = False

    with django_capture_on_commit_callbacks(execute=True):
        response = _apply(admin, partner_import)

    assert response.status_code == 500
    assert calls == [
        "m.dijkstra@apotheekdebrug.nl",
        "p.deboer@apotheekdebrug.nl",
        "d.hoekstra@thuiszorg.nl",
    ]
    assert _state() == before
    assert not Organisation.objects.filter(agb_code="06012345").exists()
    assert not StaffChange.objects.filter(
        action__in=[A.INVITATION_CREATED, A.IMPORT_APPLIED]
    ).exists()
    assert mailoutbox == []
    partner_import.refresh_from_db()
    assert partner_import.applied_at is None


def test_a_refused_row_during_the_import_rolls_everything_back_with_a_message(
    admin, practice, world, monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    """A ValidationError mid-way (say, a clash found only while writing) is shown, not a 500."""
    partner_import = _uploaded(admin, practice, VALID)
    before = _state()
    real_issue = invitations.invitation_issue
    calls = []

    def failing_issue(**kwargs):
        calls.append(kwargs["email"])
        if len(calls) == 3:
            raise ValidationError("Rij 4 botst.")
        return real_issue(**kwargs)

    monkeypatch.setattr(partner_import_service, "invitation_issue", failing_issue)

    with django_capture_on_commit_callbacks(execute=True):
        response = _apply(admin, partner_import)

    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:accounts_partnerimport_change", args=[partner_import.pk]
    )
    assert _state() == before
    assert mailoutbox == []
    partner_import.refresh_from_db()
    assert partner_import.applied_at is None


def test_a_normal_user_cannot_upload_or_import(admin, client, practice, world):
    partner_import = _uploaded(admin, practice, VALID)
    admin.logout()
    gp, _nurse, _physio = world
    client.force_login(gp)
    before = _state()

    upload = _upload(client, practice, _csv(VALID))
    apply = _apply(client, partner_import)

    # Not staff: the admin sends them to log in.
    for response in (upload, apply):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    assert PartnerImport.objects.count() == 1
    assert _state() == before
    partner_import.refresh_from_db()
    assert partner_import.applied_at is None


# --- The parser on its own --------------------------------------------------------------------


@pytest.mark.parametrize("separator", [";", ","])
def test_preview_reads_semicolon_and_comma_separated_files(separator):
    text = "\n".join(
        [
            separator.join(
                ["Organisatie", "Soort", "AGB_code", "Naam", "Email", "Hoofdzorgverlener"]
            ),
            separator.join(
                ["Apotheek De Brug", "Apotheek", "0601 2345", "Marije Dijkstra", "m@brug.nl", "Ja"]
            ),
            "",  # empty lines are skipped
            separator.join(
                ["Fysio West", "physiotherapy", "04022222", "Wim West", "w@west.nl", ""]
            ),
        ]
    )

    preview = partner_import_preview(text)

    assert preview.is_valid, [row.errors for row in preview.rows]
    assert [
        (row.number, row.organisation, row.kind, row.agb_code, row.lead) for row in preview.rows
    ] == [
        (2, "Apotheek De Brug", OrganisationKind.PHARMACY, "06012345", True),
        (4, "Fysio West", OrganisationKind.PHYSIOTHERAPY, "04022222", False),
    ]


def test_preview_of_a_header_without_rows_or_an_empty_file():
    assert not partner_import_preview("").is_valid
    assert not partner_import_preview(HEADER + "\n").is_valid


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", "\ufeff"), ("utf-8", ""), ("cp1252", "")],
    ids=["utf-8-bom", "utf-8", "cp1252"],
)
def test_excel_encodings_are_read(encoding, prefix):
    text = prefix + "\n".join(
        [HEADER, "Diëtistenpraktijk Café;diëtetiek;05012345;José Hélène;jose@dietist.nl;ja"]
    )
    uploaded = _csv(text, encoding=encoding)

    content = partner_import_check_file(uploaded)
    preview = partner_import_preview(content)

    assert preview.is_valid, preview.errors
    [row] = preview.rows
    assert row.organisation == "Diëtistenpraktijk Café"
    assert row.name == "José Hélène"
    assert row.kind == OrganisationKind.DIETETICS


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("Pieter de Boer", ("Pieter", "de", "Boer")),
        ("Anne van der Meer", ("Anne", "van der", "Meer")),
        ("Sjoukje Hoekstra", ("Sjoukje", "", "Hoekstra")),
        ("Jan De Vries-Bakker", ("Jan", "de", "Vries-Bakker")),
        ("Tjitske", ("Tjitske", "", "")),
    ],
)
def test_imported_names_put_dutch_infixes_in_their_own_field(name, parts):
    from accounts.services.partner_import import _split_name

    assert _split_name(name) == parts
