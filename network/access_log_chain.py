"""The access log's hash chain: its keys, the digest of one entry, and a walk that checks rows.

Each entry's ``hash`` is an HMAC-SHA256 over its content and the previous entry's hash, keyed
with ``ACCESS_LOG_HMAC_KEY``: a key that lives in the application's environment and never in
the database. Whoever owns the database can still edit rows, but can no longer compute the hashes
that would make the edit pass ``verify_access_log``.

Every entry names its key by a short id (the first 8 hex digits of the key's SHA-256), so the
key can be replaced: new entries use the new key, older entries still verify as long as their key
is listed in ``ACCESS_LOG_HMAC_OLD_KEYS``. Entries written before the chain had a key carry an
empty key id and a plain SHA-256 ("legacy"); the first keyed entry chains their last hash, so
they are covered too, and an unkeyed entry after a keyed one is a break (else a forger would
simply write unkeyed entries).

Seals (``network.access_log_seals``) are signed with a key derived from the chain key: one secret
covers both, and a seal's signature can never be mistaken for an entry's hash.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import hmac
import json
from dataclasses import dataclass

from django.conf import settings

GENESIS_HASH = "0" * 64
LEGACY_KEY_ID = ""
_SEAL_KEY_LABEL = b"regiozorg access-log seal v1"

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
# What a walk needs of each row (``QuerySet.values(*ROW_FIELDS)``).
ROW_FIELDS = ("id", "prev_hash", "hash", "key_id", *HASHED_FIELDS)


# --- Keys --------------------------------------------------------------------------------


def key_id_for(secret: bytes) -> str:
    return hashlib.sha256(secret).hexdigest()[:8]


@dataclass(frozen=True)
class ChainKeys:
    current_id: str
    current: bytes
    # Every key that may have made an entry or a seal still kept, by key id.
    by_id: dict[str, bytes]

    def seal_key(self, key_id: str) -> bytes | None:
        secret = self.by_id.get(key_id)
        if secret is None:
            return None
        return hmac.digest(secret, _SEAL_KEY_LABEL, "sha256")


@functools.lru_cache(maxsize=4)
def _chain_keys(current: str, old: tuple[str, ...]) -> ChainKeys:
    by_id = {key_id_for(key.encode()): key.encode() for key in old}
    current_id = key_id_for(current.encode())
    by_id[current_id] = current.encode()
    return ChainKeys(current_id=current_id, current=current.encode(), by_id=by_id)


def access_log_keys() -> ChainKeys:
    """The keys in the settings, derived once per key set (the writer asks on every write)."""
    return _chain_keys(settings.ACCESS_LOG_HMAC_KEY, tuple(settings.ACCESS_LOG_HMAC_OLD_KEYS))


# --- One entry ---------------------------------------------------------------------------


def _canonical(value):
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    return value


def entry_digest(content: dict, prev_hash: str, key: bytes | None = None) -> str:
    """HMAC-SHA256 of the entry with ``key``; without a key the legacy plain SHA-256."""
    payload = {name: _canonical(content.get(name)) for name in HASHED_FIELDS}
    payload["prev_hash"] = prev_hash
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if key is None:
        return hashlib.sha256(encoded.encode()).hexdigest()
    return hmac.digest(key, encoded.encode(), "sha256").hex()


# --- A walk ------------------------------------------------------------------------------


class ChainWalk:
    """Follows rows in id order from ``prev_hash`` and remembers the first one that does not hold.

    After a break it carries on from the broken row's hash, so that it still counts every row
    and knows the newest (which the seals are compared with).
    """

    def __init__(self, keys: ChainKeys, *, prev_hash: str = GENESIS_HASH, keyed: bool = False):
        self.keys = keys
        self.prev_hash = prev_hash
        self.keyed = keyed  # a keyed entry has been seen: no unkeyed one may follow
        self.checked = 0  # rows before the first break
        self.total = 0
        self.legacy = 0
        self.head_id: int | None = None
        self.broken_id: int | None = None
        self.problem = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None

    def add(self, row: dict) -> None:
        problem = self._problem(row)
        if problem and self.broken_id is None:
            self.broken_id, self.problem = row["id"], problem
        if self.broken_id is None:
            self.checked += 1
        self.total += 1
        self.prev_hash = row["hash"]
        self.head_id = row["id"]
        if row["key_id"] == LEGACY_KEY_ID:
            self.legacy += 1
        else:
            self.keyed = True

    def _problem(self, row: dict) -> str:
        if row["prev_hash"] != self.prev_hash:
            return "previous hash does not match"
        if row["key_id"] == LEGACY_KEY_ID:
            if self.keyed:
                return "an unkeyed (plain SHA-256) entry after keyed entries"
            key = None
        else:
            key = self.keys.by_id.get(row["key_id"])
            if key is None:
                return f"made with an unknown key (key id {row['key_id']})"
        if entry_digest(row, self.prev_hash, key) != row["hash"]:
            return "content does not match its hash"
        return ""
