"""The cache: Redis, and while Redis does not answer, a table in the database.

allauth keeps its rate limits (failed logins per address and per account) in the default cache.
With a plain ``RedisCache`` a stopped Redis turned every login POST into a 500. Failing open
(no limits while Redis is away) would hand an attacker who can upset Redis unlimited password
guesses; so the limits move to the database instead, which every web process shares, and keep
holding. Presence and the e-mail "already sent" marks follow along; they are small.

When a Redis call fails with a connection error or a timeout, this process uses the database
table for ``COOLDOWN`` seconds (``CACHE_FALLBACK_SECONDS``, 30 by default) without asking Redis
again — so a hanging Redis costs one socket timeout per window, not one per call — and logs a
warning once per window.
After the window it tries Redis again. Counters written to the table while Redis was away are
not copied back: at worst a rate-limit window starts afresh once, when Redis returns.

The table (``FALLBACK_TABLE``) is created by migration ``accounts.0004``.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref

from asgiref.sync import sync_to_async
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

FALLBACK_TABLE = "accounts_cache_fallback"
FALLBACK_SECONDS = 30
# Rate-limit entries must not be culled away while they still count; the table only grows by
# what a few minutes of an outage write, and expired rows are culled.
FALLBACK_MAX_ENTRIES = 100_000
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)
# Options that Django's Redis client consumes itself; the rest configures the connection.
_CLIENT_OPTIONS = ("serializer", "pool_class", "parser_class")


class FailoverCache(RedisCache):
    """``RedisCache`` that falls back to ``DatabaseCache`` while Redis does not answer.

    ``OPTIONS`` may hold ``COOLDOWN`` (seconds); the rest goes to the Redis client as usual.
    """

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS", {}))
        self._fallback_seconds = options.pop("COOLDOWN", FALLBACK_SECONDS)
        super().__init__(server, {**params, "OPTIONS": options})
        self._fallback = DatabaseCache(
            FALLBACK_TABLE,
            {
                # The same keys as in Redis, so a caller cannot tell the two apart.
                "KEY_PREFIX": self.key_prefix,
                "VERSION": self.version,
                "KEY_FUNCTION": params.get("KEY_FUNCTION"),
                "TIMEOUT": params.get("TIMEOUT", 300),
                "OPTIONS": {"MAX_ENTRIES": FALLBACK_MAX_ENTRIES},
            },
        )
        self._down_until = 0.0
        self._async_clients = weakref.WeakKeyDictionary()  # event loop -> redis.asyncio.Redis

    @property
    def redis_down(self) -> bool:
        return time.monotonic() < self._down_until

    def _call(self, name: str, *args, **kwargs):
        if not self.redis_down:
            try:
                return getattr(super(), name)(*args, **kwargs)
            except REDIS_DOWN as exc:
                self._went_down(exc)
        return getattr(self._fallback, name)(*args, **kwargs)

    def _went_down(self, exc: Exception) -> None:
        self._down_until = time.monotonic() + self._fallback_seconds
        logger.warning(
            "Redis cache unavailable (%s): using the database for %s s", exc, self._fallback_seconds
        )

    def _async_client(self):
        """One asyncio Redis client per event loop (a Daphne has one), with the same
        connection options as the sync client."""
        import redis.asyncio

        loop = asyncio.get_running_loop()
        client = self._async_clients.get(loop)
        if client is None:
            options = {k: v for k, v in self._options.items() if k not in _CLIENT_OPTIONS}
            client = redis.asyncio.Redis.from_url(self._servers[0], **options)
            self._async_clients[loop] = client
        return client

    async def aset(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        """``set`` on the caller's event loop, without a thread: a socket's presence ping
        costs one Redis round trip and no database connection. While Redis is away, the
        table, from a worker thread."""
        if not self.redis_down:
            redis_key = self.make_and_validate_key(key, version=version)
            seconds = self.get_backend_timeout(timeout)
            try:
                client = self._async_client()
                if seconds == 0:
                    await client.delete(redis_key)
                else:
                    await client.set(redis_key, self._cache._serializer.dumps(value), ex=seconds)
                return
            except REDIS_DOWN as exc:
                self._went_down(exc)
        await sync_to_async(self._fallback.set, thread_sensitive=False)(
            key, value, timeout, version
        )

    async def aset_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        """``set_many`` on the caller's event loop: one pipelined round trip for all the keys
        (the presence of every page a Daphne serves, once a second). Returns the keys not set,
        as ``set_many`` does (none)."""
        if not data:
            return []
        if not self.redis_down:
            seconds = self.get_backend_timeout(timeout)
            try:
                pipe = self._async_client().pipeline(transaction=False)
                for key, value in data.items():
                    redis_key = self.make_and_validate_key(key, version=version)
                    if seconds == 0:
                        pipe.delete(redis_key)
                    else:
                        pipe.set(redis_key, self._cache._serializer.dumps(value), ex=seconds)
                await pipe.execute()
                return []
            except REDIS_DOWN as exc:
                self._went_down(exc)
        return await sync_to_async(self._fallback.set_many, thread_sensitive=False)(
            data, timeout, version
        )

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call("get", key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", key, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", key, version)

    def incr(self, key, delta=1, version=None):
        return self._call("incr", key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", keys, version)

    def clear(self):
        return self._call("clear")
