"""Live refreshes of start-page blocks that other apps' events change: a delivery that fails
in a Celery task (his.delivery.delivery_failed) tells the open pages of the organisation's
people, and a health-plan action added, handed over or marked done
(careplans.signals.actions_changed) tells its owners' pages. The start page then fetches the
block again through its own access rule. The push carries no data.
"""

from __future__ import annotations

from accounts.models import Membership
from careplans.signals import actions_changed
from conversations import realtime
from his.delivery import delivery_failed
from his.models import HisExport
from referrals.models import ReferralDelivery


def _members_of(organisation_id) -> list[int]:
    if organisation_id is None:
        return []
    return list(
        Membership.objects.active()
        .filter(organisation_id=organisation_id)
        .values_list("user_id", flat=True)
    )


def his_export_failed(sender, pk, **kwargs) -> None:
    practice_id = HisExport.objects.filter(pk=pk).values_list("practice_id", flat=True).first()
    realtime.his_changed(_members_of(practice_id))


def referral_delivery_failed(sender, pk, **kwargs) -> None:
    row = (
        ReferralDelivery.objects.filter(pk=pk)
        .values_list("referral_id", "referral__practice_id")
        .first()
    )
    if row is not None:
        referral_id, practice_id = row
        realtime.referrals_changed(_members_of(practice_id), referral_id)


def health_plan_actions_changed(sender, user_ids, **kwargs) -> None:
    realtime.actions_changed(user_ids)


def connect() -> None:
    actions_changed.connect(health_plan_actions_changed, dispatch_uid="start-actions")
    delivery_failed.connect(his_export_failed, sender=HisExport, dispatch_uid="start-his")
    delivery_failed.connect(
        referral_delivery_failed, sender=ReferralDelivery, dispatch_uid="start-referrals"
    )
