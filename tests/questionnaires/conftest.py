"""Fixtures for the questionnaires app's tests: ``login(user)`` gives that user's own client
with a secure session (from the conversations tests)."""

from tests.conversations.conftest import login  # noqa: F401  (a fixture)
