"""What the care plans tell the floors above them, without importing them.

``actions_changed`` (kwargs ``user_ids``): health-plan actions of these people were added, handed
over, changed or marked done. Sent after the commit; ``regiozorg.live_start`` turns it into a
push that makes their open start pages fetch *Mijn acties* again (through its own access rule:
the push carries no data)."""

from django.dispatch import Signal

actions_changed = Signal()
