"""The seed process of bench_live.py: users, conversations (through the services) and
session cookies, written to a JSON file for the clients."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path


def seed_users(count: int, offset: int = 0):
    """Users of ten district-nursing organisations (provider role: may message, no patient data,
    so no second factor; demo accounts besides); ``offset`` numbers them after earlier seeds.
    Returns memberships in user order."""
    from django.contrib.auth.hashers import make_password

    from accounts.levels import Role
    from accounts.models import Membership, Organisation, OrganisationKind, User

    organisations = Organisation.objects.bulk_create(
        Organisation(
            name=f"Wijkverpleging Bench {offset + i}", kind=OrganisationKind.DISTRICT_NURSING
        )
        for i in range(10)
    )
    password = make_password(None)
    users = User.objects.bulk_create(
        User(
            email=f"live{offset + i}@bench.nl",
            first_name="Bench",
            last_name=f"Gebruiker {offset + i}",
            password=password,
            is_demo_account=True,
        )
        for i in range(count)
    )
    Membership.objects.bulk_create(
        Membership(user=user, organisation=organisations[i % 10], role=Role.PROVIDER)
        for i, user in enumerate(users)
    )
    return list(
        Membership.objects.filter(user__in=users)
        .select_related("user", "organisation")
        .order_by("user_id")
    )


def seed_conversations(memberships, conversations: int) -> list[list[int]]:
    """``conversations`` conversations without patient through ``conversation_start``; the users
    are dealt out over them in turn. Returns the user ids per conversation, starter first."""
    from conversations.services.messages import conversation_start
    from network.access import Actor

    groups: list[list] = [[] for _ in range(conversations)]
    for i, membership in enumerate(memberships):
        groups[i % conversations].append(membership)
    ids = []
    for n, group in enumerate(groups):
        conversation = conversation_start(
            actor=Actor(user=group[0].user, membership=group[0]),
            kind="conversation",
            subject=f"Overleg bench {n}",
            body="Eerste bericht van de bench.",
            client_key=uuid.uuid4(),
            people=group[1:],
        )
        ids.append([conversation.pk, *[m.user_id for m in group]])
    return ids


def session_cookies(users) -> dict[int, str]:
    from django.conf import settings
    from django.test import Client

    cookies = {}
    for user in users:
        client = Client()
        client.force_login(user)
        cookies[user.pk] = (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
    return cookies


def seed_main(args) -> None:
    import django

    django.setup()
    from django.conf import settings

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    t0 = time.perf_counter()
    memberships = seed_users(args.clients, args.seed_offset)
    conversations = (
        seed_conversations(memberships, args.conversations) if args.conversations else []
    )
    cookies = session_cookies([m.user for m in memberships])
    Path(args.seed_file).write_text(
        json.dumps({"conversations": conversations, "cookies": cookies})
    )
    print(
        f"seeded {len(memberships)} users, {len(conversations)} conversations (services), "
        f"{len(cookies)} sessions in {time.perf_counter() - t0:.1f}s",
        flush=True,
    )
