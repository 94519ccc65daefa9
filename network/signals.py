"""Signals other apps listen to. ``patient_access_changed``: someone may have lost access to a
patient (care-network membership ended, patient hidden), sent after commit with ``user_ids``."""

from django.db import transaction
from django.dispatch import Signal

patient_access_changed = Signal()


def patient_access_changed_send(*, user_ids) -> None:
    """After commit: the open live connections of these people re-check what they may see."""
    ids = sorted(set(user_ids))
    if ids:
        transaction.on_commit(
            lambda: patient_access_changed.send(sender=None, user_ids=ids), robust=True
        )
