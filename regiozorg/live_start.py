"""Live refreshes of start-page blocks that other apps' events change: a delivery that fails
in a Celery task (his.delivery.delivery_failed) tells the open pages of the organisation's
people, and a health-plan action added, handed over or marked done
(careplans.signals.actions_changed) tells its owners' pages, and a home-measurement alert raised
or handled (questionnaires.signals.measurement_alerts_changed) tells the pages of the patient's
practice staff with patient-data access. The start page then fetches the block again through
its own access rule. The push carries no data.
"""

from __future__ import annotations

from accounts.models import Membership
from careplans.signals import actions_changed
from conversations import realtime
from his.delivery import delivery_failed
from his.models import HisExport
from questionnaires.signals import measurement_alerts_changed
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


def measurement_alerts_changed_for_practice(sender, practice_id, **kwargs) -> None:
    # Those who may have the block; whether they still do is asked again when it is fetched.
    user_ids = (
        Membership.objects.active()
        .filter(organisation_id=practice_id, has_patient_data_access=True)
        .values_list("user_id", flat=True)
    )
    realtime.measurement_alerts_changed(list(user_ids))


def connect() -> None:
    actions_changed.connect(health_plan_actions_changed, dispatch_uid="start-actions")
    measurement_alerts_changed.connect(
        measurement_alerts_changed_for_practice, dispatch_uid="start-measurement-alerts"
    )
    delivery_failed.connect(his_export_failed, sender=HisExport, dispatch_uid="start-his")
    delivery_failed.connect(
        referral_delivery_failed, sender=ReferralDelivery, dispatch_uid="start-referrals"
    )
