"""Seals of the access log: its newest entry, signed and kept outside the database.

A keyed chain stops anyone without the key from rewriting entries, but not from deleting the
newest entries or emptying the table: what is left is still a valid chain. So every few minutes
(and at least daily) ``access_log_seal`` appends a seal to a file in ``ACCESS_LOG_SEAL_DIR``, a
volume the database owner cannot reach: the time, the newest entry's id, hash and key id, the
number of entries, and the previous seal's signature (seals chain too), signed with HMAC-SHA256
under a key derived from the chain key. ``verify_access_log`` compares the chain with the last
seal whose signature holds; a seal line that does not hold is itself reported.

One JSON line per seal, one file per day (UTC), each write fsync'ed. A seal is only written when
the chain from the previous seal's newest entry to the current one holds: deleting sealed entries
or breaking the chain stops the sealing (``AccessLogSealRefused``) instead of blessing the damage.
"""

from __future__ import annotations

import datetime
import fcntl
import hmac
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from accounts.email import email_send
from network.access_log_chain import GENESIS_HASH, ROW_FIELDS, ChainWalk, access_log_keys
from network.models import AccessLogEntry

SEAL_VERSION = 1
FILE_PREFIX = "access-log-seals-"
_SIGNED = ("v", "at", "head_id", "head_hash", "head_key_id", "entries", "prev", "key_id")


class AccessLogSealRefused(Exception):
    """The chain does not hold against the last seal; sealing it now would hide that."""


@dataclass(frozen=True)
class Seal:
    at: str  # ISO 8601, UTC
    head_id: int | None  # None: the log was empty
    head_hash: str
    head_key_id: str
    entries: int
    prev: str  # the previous seal's signature ("" for the first)
    key_id: str
    sig: str
    where: str = ""  # file and line it was read from

    @property
    def label(self) -> str:
        return f"the seal of {self.at} ({self.where})" if self.where else f"the seal of {self.at}"

    def line(self) -> str:
        record = {"v": SEAL_VERSION, **asdict(self)}
        del record["where"]
        return json.dumps(record, sort_keys=True, separators=(",", ":"))

    def mismatch(
        self, *, found_hash: str | None, newest_id: int | None, entries_up_to_head: int | None
    ) -> str:
        """What does not hold in the log against this seal, naming the entry ("" if all holds).

        ``found_hash``: the hash of the entry with the sealed id now (None: no such entry);
        ``newest_id``: the newest entry now; ``entries_up_to_head``: entries up to the sealed
        one now (None: not counted).
        """
        if self.head_id is None:
            return ""
        if newest_id is None:
            return (
                f"the log is empty, but {self.label} covers {self.entries} entries up to "
                f"#{self.head_id}: the log was truncated"
            )
        if found_hash is None:
            if newest_id < self.head_id:
                return (
                    f"entry #{self.head_id}, the newest at {self.label}, is missing and the log "
                    f"now ends at #{newest_id}: the newest entries were deleted after the seal"
                )
            return (
                f"entry #{self.head_id}, the newest at {self.label}, is missing: entries were "
                "deleted after the seal"
            )
        if found_hash != self.head_hash:
            return (
                f"entry #{self.head_id} no longer has the hash {self.label} recorded: the chain "
                "up to it was rewritten and recomputed"
            )
        if entries_up_to_head is not None and entries_up_to_head != self.entries:
            return (
                f"{entries_up_to_head} entries up to #{self.head_id}, but {self.label} counted "
                f"{self.entries}: entries were deleted or inserted after the seal"
            )
        return ""


def _signature(record: dict, seal_key: bytes) -> str:
    signed = json.dumps(
        {name: record[name] for name in _SIGNED}, sort_keys=True, separators=(",", ":")
    )
    return hmac.digest(seal_key, signed.encode(), "sha256").hex()


def _sign(**fields) -> Seal:
    keys = access_log_keys()
    record = {"v": SEAL_VERSION, **fields, "key_id": keys.current_id}
    return Seal(
        **fields, key_id=keys.current_id, sig=_signature(record, keys.seal_key(keys.current_id))
    )


def _parse(line: str, where: str) -> tuple[Seal | None, str]:
    """The seal on ``line`` and "" if its signature holds; else what is wrong with it."""
    try:
        record = json.loads(line)
        if record.get("v") != SEAL_VERSION:
            raise ValueError("unknown version")
        seal = Seal(
            **{name: record[name] for name in _SIGNED if name != "v"},
            sig=record["sig"],
            where=where,
        )
        seal_key = access_log_keys().seal_key(seal.key_id)
        if seal_key is None:
            return seal, f"{where}: signed with an unknown key (key id {seal.key_id})"
        if not hmac.compare_digest(_signature(record, seal_key), str(seal.sig)):
            return seal, f"{where}: the signature does not match: altered"
    except (ValueError, KeyError, TypeError, AttributeError):
        return None, f"{where}: not a seal"
    return seal, ""


def _files(directory: Path) -> list[Path]:
    return sorted(directory.glob(f"{FILE_PREFIX}*.jsonl")) if directory.is_dir() else []


def _lines(path: Path) -> Iterator[tuple[str, str]]:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            yield f"{path.name} line {number}", line


# --- Reading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SealsRead:
    last: Seal | None  # the newest seal whose signature holds
    problems: tuple[str, ...]
    seals: int


def access_log_seals_read() -> SealsRead:
    """Every seal in ``ACCESS_LOG_SEAL_DIR``, in order: signatures, the chain of seals, and that
    the sealed log never shrank."""
    directory = Path(settings.ACCESS_LOG_SEAL_DIR)
    last = None
    problems = []
    count = 0
    prev_sig = None
    for path in _files(directory):
        for where, line in _lines(path):
            count += 1
            seal, problem = _parse(line, where)
            if problem:
                problems.append(problem)
            if seal is None:
                continue
            if prev_sig is not None and seal.prev != prev_sig:
                problems.append(
                    f"{where}: does not follow the seal before it: seals were removed or reordered"
                )
            prev_sig = seal.sig
            if problem:
                continue
            if last is not None and (
                (seal.head_id or 0) < (last.head_id or 0) or seal.entries < last.entries
            ):
                problems.append(f"{where}: seals a shorter log than {last.label}")
            last = seal
    return SealsRead(last=last, problems=tuple(problems), seals=count)


def _last_written(directory: Path) -> tuple[Seal | None, str]:
    """The newest seal line (to chain to) and "" if its signature holds."""
    for path in reversed(_files(directory)):
        lines = list(_lines(path))
        if lines:
            where, line = lines[-1]
            return _parse(line, where)
    return None, ""


# --- Writing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SealResult:
    seal: Seal
    written: bool  # False: the head had not moved and today already has a seal


@contextmanager
def _sealing(directory: Path):
    """One sealer at a time (beat, a retried task, the command): seals chain one after the
    other. A file lock in the seal directory; nothing in the database, so writers never wait."""
    directory.mkdir(mode=0o750, parents=True, exist_ok=True)
    with (directory / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _append(path: Path, line: str) -> None:
    created = not path.exists()
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(descriptor, (line + "\n").encode())
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    if created:  # the new file's name must survive a crash too
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def _entries_since(last: Seal, head_id: int | None) -> int:
    """Entries added since ``last``, after checking the chain from its newest entry on.

    Raises AccessLogSealRefused when the sealed entry is gone or changed, or the chain after
    it does not hold.
    """
    if last.head_id is None:
        rows = AccessLogEntry.objects.filter(id__lte=head_id or 0)
        walk = ChainWalk(access_log_keys(), prev_hash=GENESIS_HASH)
    else:
        rows = AccessLogEntry.objects.filter(id__gte=last.head_id, id__lte=head_id or 0)
        walk = None
    for row in rows.order_by("id").values(*ROW_FIELDS).iterator(chunk_size=2000):
        if walk is None:  # the first row must be the sealed one
            found = row["hash"] if row["id"] == last.head_id else None
            mismatch = last.mismatch(found_hash=found, newest_id=head_id, entries_up_to_head=None)
            if mismatch:
                raise AccessLogSealRefused(mismatch)
            walk = ChainWalk(access_log_keys(), prev_hash=row["hash"], keyed=bool(row["key_id"]))
            continue
        walk.add(row)
    if walk is None:  # not even the sealed entry is there
        raise AccessLogSealRefused(
            last.mismatch(found_hash=None, newest_id=head_id, entries_up_to_head=None)
        )
    if not walk.ok:
        raise AccessLogSealRefused(f"entry #{walk.broken_id}: {walk.problem}")
    return walk.total


def access_log_seal(*, force: bool = False) -> SealResult:
    """Seal the newest committed entry to today's seal file (see the module's docstring).

    Reads the newest entry without the writers' advisory lock: writers take ids inside that lock
    and hold it until they commit, so a snapshot always sees a prefix of the chain, and its
    newest entry has every earlier one committed before it. Idempotent unless ``force``: an
    unchanged head already sealed today is not sealed again.
    """
    directory = Path(settings.ACCESS_LOG_SEAL_DIR)
    with _sealing(directory):
        last, last_problem = _last_written(directory)
        head = AccessLogEntry.objects.order_by("-id").values("id", "hash", "key_id").first()
        head_id = head["id"] if head else None
        now = timezone.now().astimezone(datetime.UTC)
        path = directory / f"{FILE_PREFIX}{now:%Y-%m-%d}.jsonl"
        if last is not None and not last_problem:
            if not force and last.head_id == head_id and path.exists():
                return SealResult(last, written=False)
            entries = last.entries + _entries_since(last, head_id)
        else:
            # The first seal (or the last one does not hold, which verify reports): trust the
            # log as it is; verify_access_log walks the whole chain.
            entries = AccessLogEntry.objects.filter(id__lte=head_id or 0).count()
        seal = _sign(
            at=now.isoformat(timespec="seconds"),
            head_id=head_id,
            head_hash=head["hash"] if head else "",
            head_key_id=head["key_id"] if head else "",
            entries=entries,
            prev=last.sig if last is not None else "",
        )
        _append(path, seal.line())
        return SealResult(seal, written=True)


def access_log_officer_mail(*, seal: Seal | None = None, problems: tuple[str, ...] = ()) -> None:
    """E-mail the security officer (``ACCESS_LOG_SEAL_EMAIL``) the day's seal, or what is wrong.

    A copy of the seal outside the operators' reach: if the seal files were rolled back as
    well, the mailed seal still shows what the log held."""
    if not settings.ACCESS_LOG_SEAL_EMAIL:
        return
    email_send(
        to=list(settings.ACCESS_LOG_SEAL_EMAIL),
        template="network/email/access_log_seal",
        context={"seal": seal, "seal_line": seal.line() if seal else "", "problems": problems},
    )
