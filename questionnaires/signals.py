"""What the questionnaires app tells the floors above it, without importing them.

``measurement_alerts_changed`` (kwargs ``practice_id``): an alert about the home measurements
of a patient of this practice was raised or handled. Sent after the commit;
``regiozorg.live_start`` turns it into a push that makes the open start pages of the practice's
staff fetch *Signalen thuismetingen* again (through its own access rule: the push carries no
data)."""

from django.dispatch import Signal

measurement_alerts_changed = Signal()
