"""The other side's open pages hear of a referral event at once (their list refreshes)."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from referrals.services import referral_transition
from tests.conversations.conftest import actor_for
from tests.conversations.test_consumers import connected
from tests.referrals.conftest import refer

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_receivers_page_hears_of_a_new_referral_and_the_practice_of_acceptance(
    gp, nurse, patient, nursing, cookie_of
):
    nurse_cookie, gp_cookie = cookie_of(nurse), cookie_of(gp)
    nurse_actor = actor_for(nurse)

    async def scenario():
        async with connected(nurse_cookie) as nurse_socket, connected(gp_cookie) as gp_socket:
            referral = await database_sync_to_async(refer)(gp, patient, nursing)
            assert await nurse_socket.next("referrals") == {
                "type": "referrals",
                "referral": referral.pk,
            }
            await database_sync_to_async(referral_transition)(
                actor=nurse_actor, referral=referral, action="accept"
            )
            assert await gp_socket.next("referrals") == {
                "type": "referrals",
                "referral": referral.pk,
            }

    async_to_sync(scenario)()
