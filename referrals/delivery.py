"""Delivering a referral to the receiving organisation's own system, as FHIR.

When the receiving organisation has an active :class:`ReferralEndpoint`, each step the practice
takes — sending, cancelling, closing — stores the referral's Bundle (ServiceRequest + Task, with
the Task's status at that step) as a :class:`ReferralDelivery` in the step's transaction, and
queues its delivery after commit. The Bundle carries only what the matrix lets the receiver see
(``referrals.fhir``), and storing it is logged as an export of the patient's data.

Delivery is ``his.delivery.deliver``: safe to repeat, one idempotency key per
delivery, retried with backoff on 5xx and network errors; the practice sees the status on the
referral page. Without an endpoint nothing is queued: the referral lives in Regiozorg and can
still be downloaded as FHIR.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from his.delivery import DeliveryTexts, deliver, give_up
from his.models import validate_fhir_url
from network.access import Actor, relationship_of
from network.access_log import access_log_write
from network.models import AccessAction, DataCategory
from referrals.fhir import referral_bundle
from referrals.models import Referral, ReferralDelivery, ReferralEndpoint, ReferralEvent
from referrals.states import Party, parties_of

# The practice's steps the receiver's system must hear of.
DELIVERED_ACTIONS = ("send", "cancel", "close")

TEXTS = DeliveryTexts(
    bad_address=lambda: _(
        "The receiver's address for referrals is not valid; the helpdesk can correct it."
    ),
    refused=lambda reason: (
        _("The receiver's system refused the referral (%(reason)s).") % {"reason": reason}
    ),
    retrying=lambda reason: _("Not delivered yet (%(reason)s); trying again.") % {"reason": reason},
    gave_up=lambda attempts, reason: (
        _(
            "The receiver's system did not take the referral after %(attempts)d attempts "
            "(%(reason)s)."
        )
        % {"attempts": attempts, "reason": reason}
    ),
)


def referral_endpoint_for(*, organisation_id: int) -> ReferralEndpoint | None:
    return ReferralEndpoint.objects.filter(organisation_id=organisation_id, is_active=True).first()


def referral_delivery_queue(
    *, actor: Actor, referral: Referral, event: ReferralEvent
) -> ReferralDelivery | None:
    """Inside the step's transaction: store the Bundle as it is now and queue its delivery."""
    if event.action not in DELIVERED_ACTIONS:
        return None
    if referral_endpoint_for(organisation_id=referral.to_organisation_id) is None:
        return None
    delivery = ReferralDelivery.objects.create(
        referral=referral, event=event, fhir_json=referral_bundle(referral)
    )
    _log_and_queue(actor=actor, referral=referral, delivery=delivery)
    return delivery


def _log_and_queue(*, actor: Actor, referral: Referral, delivery: ReferralDelivery) -> None:
    """Sending the Bundle out is an export of the patient's data: log it, then queue the post
    for after the commit."""
    access_log_write(
        actor=actor,
        action=AccessAction.EXPORT,
        relationship=relationship_of(actor, referral.patient),
        patient=referral.patient,
        data=[DataCategory.IDENTITY, DataCategory.EPISODES, "referral"],
        object_ref=f"referral-delivery:{delivery.pk}",
    )
    from referrals.tasks import referral_deliver_task

    transaction.on_commit(lambda: referral_deliver_task.delay(delivery.pk))


@transaction.atomic
def referral_delivery_retry(*, actor: Actor, referral: Referral, pk) -> ReferralDelivery:
    """*Opnieuw proberen* by the practice: a delivery that failed for good goes out again —
    the same Bundle with the same idempotency key, so a receiver that did store it keeps one."""
    if Party.SENDER not in parties_of(actor, referral):
        raise PermissionDenied
    try:
        delivery = referral.deliveries.select_for_update().get(pk=pk)
    except (ReferralDelivery.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if delivery.status != ReferralDelivery.Status.FAILED:
        raise ValidationError(_("This delivery has not failed."), code="state")
    if _superseded(delivery):
        raise ValidationError(SUPERSEDED, code="state")
    if referral_endpoint_for(organisation_id=referral.to_organisation_id) is None:
        raise ValidationError(
            _("The receiver no longer has a referral connection; download the referral instead."),
            code="endpoint",
        )
    delivery.status, delivery.last_error = ReferralDelivery.Status.PENDING, ""
    delivery.save(update_fields=["status", "last_error"])
    _log_and_queue(actor=actor, referral=referral, delivery=delivery)
    return delivery


def _superseded(delivery: ReferralDelivery) -> bool:
    """A later step of the referral has its own delivery. Each Bundle carries the whole
    referral as it was then (its ServiceRequest and Task are updated in place at the
    receiver), so an older one that goes out late — a retry after the close went through —
    would only set the receiver's Task back."""
    later = ReferralDelivery.objects.filter(referral_id=delivery.referral_id, pk__gt=delivery.pk)
    return later.exists()


SUPERSEDED = gettext_lazy("Not sent: a later step of this referral went instead.")


def referral_deliver(*, delivery_id: int) -> ReferralDelivery:
    """Post one stored delivery to the receiver's system. Safe to repeat."""
    delivery = ReferralDelivery.objects.select_related("referral").get(pk=delivery_id)
    if delivery.status != ReferralDelivery.Status.PENDING:
        return delivery  # sent, or given up: never post again
    if _superseded(delivery):
        ReferralDelivery.objects.filter(pk=delivery.pk, status=delivery.status).update(
            status=ReferralDelivery.Status.FAILED, last_error=str(SUPERSEDED)
        )
        delivery.refresh_from_db()
        return delivery
    endpoint = referral_endpoint_for(organisation_id=delivery.referral.to_organisation_id)
    if endpoint is None:
        return delivery  # switched off meanwhile: the referral is in Regiozorg all the same
    return deliver(delivery, endpoint=endpoint, validate_url=validate_fhir_url, texts=TEXTS)


def referral_delivery_fail(*, delivery_id: int, reason: str) -> None:
    give_up(ReferralDelivery, delivery_id, reason=reason, texts=TEXTS)
