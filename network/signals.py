"""Signals other apps listen to. ``patient_access_changed``: someone may have lost access to a
patient (care-network membership ended, patient hidden), sent after commit with ``user_ids``."""

from django.dispatch import Signal

patient_access_changed = Signal()
