"""Writing and verifying the access log (NEN 7513).

Every entry's ``hash`` is an HMAC-SHA256 over its content and the previous entry's hash, with a
key that is not in the database (``network.access_log_chain``), so editing, removing or
reordering rows breaks the chain, and whoever owns the database cannot recompute it.
``manage.py verify_access_log`` names the first broken entry and checks the chain against its
last seal (``network.access_log_seals``): a signed copy of the chain's newest entry kept outside
the database, which also catches deleting the newest entries or emptying the log. Writes take a
transaction-scoped advisory lock on PostgreSQL so concurrent writers (more processes, Celery
workers) still form one chain; sealing never takes it.

A failing write raises :class:`AccessLogUnavailable`; callers let it propagate, so patient data
is never shown without its log entry (fail closed).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from network.access_log_chain import (
    GENESIS_HASH,
    ROW_FIELDS,
    ChainWalk,
    access_log_keys,
    entry_digest,
)
from network.access_log_seals import Seal, access_log_seals_read
from network.models import (
    AccessAction,
    AccessLogEntry,
    AccessOutcome,
    AccessRelationship,
    Patient,
)

# The role stored for the patient acting for themselves (a snapshot, like every role: Dutch,
# the language of the log).
PATIENT_SELF_ROLE = "patiënt zelf"

# Any constant: the key of the advisory lock that serialises writers of the chain.
_ADVISORY_LOCK_KEY = 7513


class AccessLogUnavailable(Exception):
    """The access log could not be written; the data must not be shown."""


def _clean_ip(value: str | None) -> str | None:
    """The address exactly as GenericIPAddressField stores it, so the hash matches the row."""
    text = (value or "").strip().split("%", 1)[0]  # no IPv6 zone id ("fe80::1%eth0")
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return clean_ipv6_address(text) if address.version == 6 else str(address)


def _actor_fields(actor) -> dict:
    user = actor.user
    if user is None:  # the patient acting for themselves (network.access.PatientSelfActor)
        organisation = actor.organisation
        return {
            "user_id": None,
            "user_label": actor.patient.name[:300],
            "organisation_id": organisation.pk if organisation else None,
            "organisation_label": organisation.name[:200] if organisation else "",
            "responsible_user_id": actor.responsible_user_id,
            "role": PATIENT_SELF_ROLE,
            "ip_address": _clean_ip(actor.ip_address),
            "user_agent": (actor.user_agent or "")[:300],
            "request_id": (actor.request_id or "")[:64],
        }
    membership = actor.membership
    organisation = membership.organisation if membership else None
    responsible = membership.acts_for_id if membership and membership.acts_for_id else user.pk
    role_parts = [membership.position_label] if membership else []
    role_parts += user.function_labels[:1]
    return {
        "user_id": user.pk,
        "user_label": f"{user.full_name} <{user.email}>"[:300],
        "organisation_id": organisation.pk if organisation else None,
        "organisation_label": organisation.name[:200] if organisation else "",
        "responsible_user_id": responsible,
        "role": " · ".join(str(p) for p in role_parts if p)[:100],
        "ip_address": _clean_ip(actor.ip_address),
        "user_agent": (actor.user_agent or "")[:300],
        "request_id": (actor.request_id or "")[:64],
    }


@dataclass(frozen=True)
class LogLine:
    """One thing done, before it is chained into the log."""

    action: str
    relationship: str
    outcome: str = AccessOutcome.ALLOWED
    patient_id: int | None = None
    data: Sequence[str] = ()
    object_ref: str = ""
    query: str = ""


def access_log_write_many(*, actor, lines: Iterable[LogLine]) -> list[AccessLogEntry]:
    """Append ``lines`` for ``actor`` to the chain, in order, atomically.

    Ids are taken inside the advisory lock, which is held until commit: entries become visible
    in id order, so every snapshot sees a prefix of the chain (what ``access_log_seal`` relies on
    to read the newest entry without the lock).
    """
    now = timezone.now()
    base = _actor_fields(actor)
    keys = access_log_keys()
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_KEY])
            prev_hash = (
                AccessLogEntry.objects.order_by("-id").values_list("hash", flat=True).first()
                or GENESIS_HASH
            )
            entries = []
            for line in lines:
                content = {
                    **base,
                    "at": now,
                    "patient_id": line.patient_id,
                    "data": ",".join(line.data)[:200],
                    "object_ref": line.object_ref[:100],
                    "action": str(line.action),
                    "relationship": str(line.relationship),
                    "outcome": str(line.outcome),
                    "query": line.query[:200],
                }
                digest = entry_digest(content, prev_hash, keys.current)
                entries.append(
                    AccessLogEntry(
                        **content, prev_hash=prev_hash, hash=digest, key_id=keys.current_id
                    )
                )
                prev_hash = digest
            return AccessLogEntry.objects.bulk_create(entries)
    except DatabaseError as exc:
        raise AccessLogUnavailable(str(exc)) from exc


def access_log_write(
    *,
    actor,
    action: str,
    relationship: str = AccessRelationship.NONE,
    outcome: str = AccessOutcome.ALLOWED,
    patient: Patient | None = None,
    patient_id: int | None = None,
    data: Sequence[str] = (),
    object_ref: str = "",
    query: str = "",
) -> AccessLogEntry:
    line = LogLine(
        action=action,
        relationship=relationship,
        outcome=outcome,
        patient_id=patient.pk if patient is not None else patient_id,
        data=tuple(data),
        object_ref=object_ref,
        query=query,
    )
    return access_log_write_many(actor=actor, lines=[line])[0]


def access_log_names_shown(
    *, actor, shown: Iterable[tuple[int, str]], data: Sequence[str], object_ref: str
) -> None:
    """A list page names patients: one read per (patient id, relationship) shown, all in one
    write for the page."""
    lines = [
        LogLine(
            action=AccessAction.READ,
            relationship=relationship,
            patient_id=patient_id,
            data=tuple(data),
            object_ref=object_ref,
        )
        for patient_id, relationship in shown
    ]
    if lines:
        access_log_write_many(actor=actor, lines=lines)


@dataclass(frozen=True)
class ChainReport:
    checked: int  # entries before the first break (all of them when the chain holds)
    broken_id: int | None = None
    problem: str = ""
    head_id: int | None = None
    head_hash: str = ""
    total: int = 0
    legacy: int = 0  # entries from before the chain had a key (plain SHA-256)
    # The last seal whose signature holds, and what does not hold against it or in the seals.
    sealed: Seal | None = None
    seal_problems: tuple[str, ...] = ()
    # Not a break, but a risk: e.g. the application's database role could rewrite the log.
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.broken_id is None and not self.seal_problems


def access_log_verify(*, chunk_size: int = 2000) -> ChainReport:
    """Walk the whole chain in id order; report the first entry that does not hold, and what
    does not hold against the last seal (deleted newest entries, an emptied log, a chain
    recomputed from some entry on)."""
    # Seals first: a seal written during the walk may name entries the walk does not see.
    seals = access_log_seals_read()
    sealed = seals.last
    walk = ChainWalk(access_log_keys())
    sealed_hash = None
    up_to_seal = 0
    rows = AccessLogEntry.objects.order_by("id").values(*ROW_FIELDS)
    for row in rows.iterator(chunk_size=chunk_size):
        walk.add(row)
        if sealed is not None and sealed.head_id is not None and row["id"] <= sealed.head_id:
            up_to_seal += 1
            if row["id"] == sealed.head_id:
                sealed_hash = row["hash"]
    seal_problems = list(seals.problems)
    if sealed is not None:
        mismatch = sealed.mismatch(
            found_hash=sealed_hash, newest_id=walk.head_id, entries_up_to_head=up_to_seal
        )
        if mismatch:
            seal_problems.append(mismatch)
    return ChainReport(
        walk.checked,
        walk.broken_id,
        walk.problem,
        head_id=walk.head_id,
        head_hash=walk.prev_hash if walk.total else "",
        total=walk.total,
        legacy=walk.legacy,
        sealed=sealed,
        seal_problems=tuple(seal_problems),
        warnings=_privilege_warnings(),
    )


def _privilege_warnings() -> tuple[str, ...]:
    """The application should connect as a role that can only add to the log and read it."""
    if connection.vendor != "postgresql":
        return ()
    table = AccessLogEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, has_table_privilege(%s, 'UPDATE'),"
            " has_table_privilege(%s, 'DELETE'), has_table_privilege(%s, 'TRUNCATE')"
            " FROM pg_roles WHERE rolname = current_user",
            [table] * 3,
        )
        role, superuser, *rights = cursor.fetchone()
    can = [name for name, has in zip(("UPDATE", "DELETE", "TRUNCATE"), rights, strict=True) if has]
    if not (superuser or can):
        return ()
    what = "is a superuser" if superuser else f"may {', '.join(can)} the access log"
    return (
        f"the database role {role} {what}; connect the application as the role that "
        "manage.py db_app_role makes (INSERT and SELECT on the log only)",
    )


__all__ = [
    "GENESIS_HASH",
    "AccessAction",
    "AccessLogUnavailable",
    "ChainReport",
    "LogLine",
    "access_log_names_shown",
    "access_log_verify",
    "access_log_write",
    "access_log_write_many",
    "entry_digest",
]
