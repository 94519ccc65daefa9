"""Strict parsing of environment variables.

A typo in production configuration must stop the process at start-up with a message that
names the variable, never fall back silently to a default (``DEBUG=flase`` is not "off").
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_MISSING = object()


class Env:
    def __init__(self, environ: Mapping[str, str] | None = None):
        self.environ = os.environ if environ is None else environ

    def _raw(self, name: str, default):
        value = self.environ.get(name)
        if value is None or value.strip() == "":
            if default is _MISSING:
                raise ImproperlyConfigured(f"Environment variable {name} is required.")
            return None
        return value.strip()

    def str(self, name: str, default=_MISSING) -> str:
        value = self._raw(name, default)
        return default if value is None else value

    def bool(self, name: str, default=_MISSING) -> bool:
        value = self._raw(name, default)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ImproperlyConfigured(
            f"Environment variable {name}={value!r} is not a boolean "
            f"(use one of {sorted(_TRUE | _FALSE)})."
        )

    def int(self, name: str, default=_MISSING, *, minimum: int | None = None) -> int:
        value = self._raw(name, default)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise ImproperlyConfigured(
                f"Environment variable {name}={value!r} is not a whole number."
            ) from None
        if minimum is not None and number < minimum:
            raise ImproperlyConfigured(
                f"Environment variable {name}={number} must be at least {minimum}."
            )
        return number

    def list(self, name: str, default=_MISSING) -> list[str]:
        value = self._raw(name, default)
        if value is None:
            return list(default)
        return [item.strip() for item in value.split(",") if item.strip()]

    def choice(self, name: str, choices: tuple[str, ...], default=_MISSING) -> str:
        value = self._raw(name, default)
        if value is None:
            return default
        if value not in choices:
            raise ImproperlyConfigured(
                f"Environment variable {name}={value!r} must be one of {', '.join(choices)}."
            )
        return value
