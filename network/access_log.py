"""Writing and verifying the access log (NEN 7513).

Every entry's ``hash`` is SHA-256 over its content and the previous entry's hash, so editing,
removing or reordering rows breaks the chain and ``manage.py verify_access_log`` names the first
broken entry. Writes take a transaction-scoped advisory lock on PostgreSQL so concurrent writers
(more Daphne processes, Celery workers) still form one chain.

A failing write raises :class:`AccessLogUnavailable`; callers let it propagate, so patient data
is never shown without its log entry (fail closed).
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from network.models import (
    AccessAction,
    AccessLogEntry,
    AccessOutcome,
    AccessRelationship,
    Patient,
)

GENESIS_HASH = "0" * 64
# Any constant: the key of the advisory lock that serialises writers of the chain.
_ADVISORY_LOCK_KEY = 7513

HASHED_FIELDS = (
    "at",
    "user_id",
    "user_label",
    "organisation_id",
    "organisation_label",
    "responsible_user_id",
    "role",
    "patient_id",
    "data",
    "object_ref",
    "action",
    "relationship",
    "outcome",
    "query",
    "ip_address",
    "user_agent",
    "request_id",
)


class AccessLogUnavailable(Exception):
    """The access log could not be written; the data must not be shown."""


def _canonical(value):
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    return value


def entry_digest(content: dict, prev_hash: str) -> str:
    payload = {name: _canonical(content.get(name)) for name in HASHED_FIELDS}
    payload["prev_hash"] = prev_hash
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


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
    """Append ``lines`` for ``actor`` to the chain, in order, atomically."""
    now = timezone.now()
    base = _actor_fields(actor)
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
                digest = entry_digest(content, prev_hash)
                entries.append(AccessLogEntry(**content, prev_hash=prev_hash, hash=digest))
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
    checked: int
    broken_id: int | None = None
    problem: str = ""
    # The newest entry: keep it elsewhere (the nightly task logs it) so that deleting the
    # newest entries, which leaves a shorter but valid chain, is noticed too.
    head_id: int | None = None
    head_hash: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def access_log_verify(*, chunk_size: int = 2000) -> ChainReport:
    """Walk the whole chain in id order; report the first entry that does not hold."""
    prev_hash = GENESIS_HASH
    checked = 0
    head_id = None
    rows = AccessLogEntry.objects.order_by("id").values("id", "prev_hash", "hash", *HASHED_FIELDS)
    for row in rows.iterator(chunk_size=chunk_size):
        if row["prev_hash"] != prev_hash:
            return ChainReport(checked, row["id"], "previous hash does not match")
        if entry_digest(row, prev_hash) != row["hash"]:
            return ChainReport(checked, row["id"], "content does not match its hash")
        prev_hash = row["hash"]
        head_id = row["id"]
        checked += 1
    return ChainReport(checked, head_id=head_id, head_hash=prev_hash if checked else "")


__all__ = [
    "AccessAction",
    "AccessLogUnavailable",
    "ChainReport",
    "LogLine",
    "access_log_names_shown",
    "access_log_verify",
    "access_log_write",
    "access_log_write_many",
]
