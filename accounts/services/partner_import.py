"""The practice's overview of its network partners (CSV): parse, preview, import.

Columns (header row, Dutch; separator ``;`` or ``,``)::

    organisatie;soort;agb_code;naam;email;hoofdzorgverlener

``soort`` is the kind in Dutch ("wijkverpleging", "fysiotherapie", …) or its code;
``hoofdzorgverlener`` is ja/nee. The preview reports every problem per row; the import runs
only when there are none, in one transaction, and is idempotent: organisations are matched on
AGB code, people on e-mail, so importing the same file twice creates nothing new.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

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
from accounts.services.invitations import invitation_issue
from accounts.services.staff import membership_add, staff_change_record
from accounts.staff_access import PARTNER_KINDS, require_helpdesk
from accounts.validators import validate_agb_code

COLUMNS = ("organisatie", "soort", "agb_code", "naam", "email", "hoofdzorgverlener")
ALLOWED_EXTENSIONS = (".csv", ".txt")
YES = {"ja", "j", "yes", "y", "1", "true", "x"}
NO = {"nee", "n", "no", "0", "false", ""}

KIND_ALIASES = {
    "wijkverpleging": OrganisationKind.DISTRICT_NURSING,
    "vvt": OrganisationKind.DISTRICT_NURSING,
    "thuiszorg": OrganisationKind.DISTRICT_NURSING,
    "fysiotherapie": OrganisationKind.PHYSIOTHERAPY,
    "apotheek": OrganisationKind.PHARMACY,
    "diëtetiek": OrganisationKind.DIETETICS,
    "dietetiek": OrganisationKind.DIETETICS,
    "diëtist": OrganisationKind.DIETETICS,
    "specialist ouderengeneeskunde": OrganisationKind.ELDERLY_CARE_PHYSICIAN,
    "so": OrganisationKind.ELDERLY_CARE_PHYSICIAN,
    "ggz": OrganisationKind.MENTAL_HEALTH,
    "sociaal domein": OrganisationKind.SOCIAL_DOMAIN,
    "overig": OrganisationKind.OTHER,
    **{kind: kind for kind in PARTNER_KINDS},
}


@dataclass
class Row:
    number: int
    organisation: str = ""
    kind: str = ""
    agb_code: str = ""
    name: str = ""
    email: str = ""
    lead: bool = False
    errors: list[str] = field(default_factory=list)


@dataclass
class Preview:
    rows: list[Row] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # about the file as a whole

    @property
    def is_valid(self) -> bool:
        return not self.errors and all(not row.errors for row in self.rows)

    @property
    def error_count(self) -> int:
        return len(self.errors) + sum(len(row.errors) for row in self.rows)


def partner_import_check_file(uploaded) -> str:
    """Size, type and encoding of an upload; returns the text or raises a Dutch error."""
    limit = settings.PARTNER_IMPORT_MAX_BYTES
    if uploaded.size > limit:
        raise ValidationError(
            _("The file is too large (%(size)d kB); at most %(limit)d kB is allowed.")
            % {"size": uploaded.size // 1024, "limit": limit // 1024}
        )
    if not uploaded.name.lower().endswith(ALLOWED_EXTENSIONS):
        raise ValidationError(_("Upload a CSV file (.csv), for example saved from Excel."))
    raw = uploaded.read()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes nearly everything
        raise ValidationError(_("The file cannot be read as text."))
    if "\x00" in text:
        raise ValidationError(_("This is not a CSV file."))
    return text


INFIX_WORDS = {"van", "de", "der", "den", "het", "'t", "te", "ter", "ten", "in", "op", "la", "le"}


def _split_name(name: str) -> tuple[str, str, str]:
    """ "Pieter de Boer" → ("Pieter", "de", "Boer"); Dutch infixes go in their own field."""
    parts = name.split()
    if len(parts) < 2:
        return name, "", ""
    first, rest = parts[0], parts[1:]
    infix = []
    while len(rest) > 1 and rest[0].lower() in INFIX_WORDS:
        infix.append(rest.pop(0).lower())
    return first, " ".join(infix), " ".join(rest)


def partner_import_preview(content: str) -> Preview:
    """Parse and check everything; writes nothing."""
    preview = Preview()
    if not content.strip():
        preview.errors.append(_("The file is empty."))
        return preview
    try:
        dialect = csv.Sniffer().sniff(content.splitlines()[0], delimiters=";,\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ";"
    reader = csv.reader(io.StringIO(content), delimiter=delimiter)
    header = [column.strip().lower() for column in next(reader, [])]
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        preview.errors.append(
            _("Missing columns: %(missing)s. The first row must be: %(columns)s.")
            % {"missing": ", ".join(missing), "columns": ";".join(COLUMNS)}
        )
        return preview
    index = {column: header.index(column) for column in COLUMNS}
    seen_emails: dict[str, int] = {}
    seen_agb: dict[str, str] = {}
    for number, values in enumerate(reader, start=2):
        if not any(value.strip() for value in values):
            continue
        values = values + [""] * (len(header) - len(values))
        get = {column: values[i].strip() for column, i in index.items()}
        row = Row(
            number=number,
            organisation=get["organisatie"],
            agb_code=get["agb_code"].replace(" ", ""),
            name=get["naam"],
            email=get["email"].lower(),
        )
        if not row.organisation:
            row.errors.append(_("organisation is empty"))
        kind = KIND_ALIASES.get(get["soort"].lower())
        if kind is None:
            row.errors.append(_("unknown kind “%(kind)s”") % {"kind": get["soort"]})
        row.kind = kind or ""
        try:
            validate_agb_code(row.agb_code)
        except ValidationError:
            row.errors.append(_("AGB code “%(agb)s” is not 8 digits") % {"agb": row.agb_code})
        else:
            other = seen_agb.setdefault(row.agb_code, row.organisation)
            if other.lower() != row.organisation.lower():
                row.errors.append(_("AGB code is also used for “%(org)s”") % {"org": other})
        if not row.name:
            row.errors.append(_("name is empty"))
        try:
            validate_email(row.email)
        except ValidationError:
            row.errors.append(_("e-mail address “%(email)s” is not valid") % {"email": row.email})
        else:
            if row.email in seen_emails:
                row.errors.append(
                    _("e-mail address also on row %(row)d") % {"row": seen_emails[row.email]}
                )
            seen_emails.setdefault(row.email, number)
        lead = get["hoofdzorgverlener"].lower()
        if lead in YES:
            row.lead = True
        elif lead not in NO:
            row.errors.append(_("lead provider must be “ja” or “nee”"))
        preview.rows.append(row)
    if not preview.rows:
        preview.errors.append(_("The file has a header but no rows."))
    # The import matches organisations on AGB code: one that is not a network partner (a GP
    # practice, the care group) must not receive the file's people.
    not_partners = dict(
        Organisation.objects.filter(agb_code__in=seen_agb)
        .exclude(kind__in=PARTNER_KINDS)
        .values_list("agb_code", "name")
    )
    for row in preview.rows:
        if row.agb_code in not_partners:
            row.errors.append(
                f"{not_partners[row.agb_code]}: "
                + _("You cannot invite people into this organisation.")
            )
    return preview


@transaction.atomic
def partner_import_apply(*, helpdesk_user, partner_import: PartnerImport) -> dict[str, int]:
    """Import everything or nothing. Existing organisations, people, memberships and open
    invitations are left as they are, so a second import of the same file creates nothing."""
    require_helpdesk(helpdesk_user, "accounts.change_partnerimport")
    partner_import = PartnerImport.objects.select_for_update().get(pk=partner_import.pk)
    if partner_import.applied_at is not None:
        # A second click (or a stale page) must not overwrite the record of what was done.
        raise ValidationError(_("This overview has already been imported."))
    preview = partner_import_preview(partner_import.content)
    if not preview.is_valid:
        raise ValidationError(
            _("The file has %(count)d problem(s); nothing was imported.")
            % {"count": preview.error_count}
        )
    counts = dict.fromkeys(
        ("organisations_created", "memberships_created", "invitations_created", "unchanged"), 0
    )
    practice = partner_import.practice
    for row in preview.rows:
        organisation = Organisation.objects.filter(agb_code=row.agb_code).first()
        if organisation is None:
            organisation = Organisation.objects.create(
                name=row.organisation,
                kind=row.kind,
                agb_code=row.agb_code,
                confirmed_at=timezone.now(),
            )
            counts["organisations_created"] += 1
        role = Role.LEAD if row.lead else Role.PROVIDER
        user = User.objects.filter(email__iexact=row.email).first()
        if user is not None:
            if Membership.objects.filter(
                user=user, organisation=organisation, is_active=True
            ).exists():
                counts["unchanged"] += 1
                continue
            membership_add(
                actor=helpdesk_user,
                user=user,
                organisation=organisation,
                role=role,
                has_patient_data_access=True,
            )
            counts["memberships_created"] += 1
            continue
        if (
            Invitation.objects.pending()
            .filter(organisation=organisation, email__iexact=row.email)
            .exists()
        ):
            counts["unchanged"] += 1
            continue
        first_name, infix, last_name = _split_name(row.name)
        invitation_issue(
            actor=helpdesk_user,
            organisation=organisation,
            inviting_organisation=practice,
            source=Invitation.Source.IMPORT,
            email=row.email,
            first_name=first_name,
            infix=infix,
            last_name=last_name,
            role=role,
            has_patient_data_access=True,
        )
        counts["invitations_created"] += 1
    partner_import.applied_at = timezone.now()
    partner_import.applied_by = helpdesk_user
    partner_import.summary = counts
    partner_import.save(update_fields=["applied_at", "applied_by", "summary"])
    staff_change_record(
        actor=helpdesk_user,
        action=StaffChange.Action.IMPORT_APPLIED,
        organisation=practice,
        file=partner_import.file_name,
        **counts,
    )
    return counts
