"""The demo region: every app's demo data, run in the order of the floors.

Each app seeds only its own models (``<app>/demo.py``) and gets what it needs from the floors
below as arguments: the accounts first (organisations, people, memberships), then the patients
and their care networks, then the conversations and the referrals that start from them.
Idempotent as a whole; refused in production mode.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from accounts.demo import demo_accounts, demo_email
from accounts.models import Membership, Organisation, User
from careplans.demo_acp import demo_acp
from careplans.demo_plan import demo_health_plan
from conversations.demo import demo_conversations
from meetings.demo import demo_meetings
from network.demo import demo_patients, gp_actor
from questionnaires.demo_library import demo_questionnaires
from questionnaires.demo_measurements import demo_measurements
from referrals.demo import demo_referrals


@transaction.atomic
def demo_seed() -> dict[str, int]:
    """Create or update the demo region. Returns counts of what exists afterwards."""
    if not settings.DEMO_DATA_ALLOWED:
        raise RuntimeError("Demo data is refused in production mode.")

    organisations = demo_accounts()
    patients = demo_patients(organisations)
    demo_conversations(organisations=organisations, email=demo_email, actor_for=gp_actor)
    demo_referrals(organisations=organisations, email=demo_email, actor_for=gp_actor)
    demo_acp(organisations=organisations, email=demo_email, actor_for=gp_actor)
    demo_health_plan(organisations=organisations, email=demo_email)
    demo_measurements(organisations=organisations, email=demo_email, actor_for=gp_actor)
    demo_questionnaires(organisations=organisations, email=demo_email)
    demo_meetings(organisations=organisations, email=demo_email, actor_for=gp_actor)

    return {
        "organisations": Organisation.objects.count(),
        "users": User.objects.filter(is_demo_account=True).count(),
        "memberships": Membership.objects.count(),
        "patients": patients,
    }
