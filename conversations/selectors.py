"""Reads of the conversations app. Everything starts from ``conversations.access``."""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Left, NullIf

from accounts.levels import LEVEL_CAPABILITIES, ROLE_CAPABILITIES, Capability
from accounts.models import Membership, OrganisationKind, User
from accounts.presence import absences_today_prefetch
from conversations.access import (
    Actor,
    conversations_log_listed,
    conversations_visible_to,
    with_relationship_facts,
)
from conversations.models import (
    Conversation,
    Message,
    Participant,
    ReadState,
    SharedInbox,
    SharedInboxMember,
)

CONVERSATIONS_PER_PAGE = 25
MESSAGES_SHOWN = 50
CATCH_UP_LIMIT = 200
RECIPIENTS_SHOWN = 15
TABS = ("inbox", "flagged", "archive")


def _read_upto(actor: Actor):
    return Subquery(
        ReadState.objects.filter(conversation=OuterRef("pk"), user_id=actor.user.pk).values(
            "last_read_message_id"
        )[:1],
        output_field=IntegerField(),
    )


def _with_unread(conversations: QuerySet, actor: Actor) -> QuerySet:
    """Annotate ``unread`` (messages by others after the reader's mark) and ``is_flagged``."""
    unread = (
        Message.objects.filter(conversation=OuterRef("pk"), id__gt=OuterRef("read_upto"))
        .exclude(author_id=actor.user.pk)
        .order_by()
        .values("conversation")
        .annotate(n=Count("id"))
        .values("n")
    )
    flagged = ReadState.objects.filter(
        conversation=OuterRef("pk"), user_id=actor.user.pk, is_flagged=True
    )
    return conversations.annotate(
        read_upto=Coalesce(_read_upto(actor), Value(0)),
        unread=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)),
        is_flagged=Exists(flagged),
    )


# Enough for the preview's first line; a 10,000-character message is not fetched whole.
PREVIEW_SOURCE_CHARS = 300


def _with_last_message(conversations: QuerySet) -> QuerySet:
    """Annotate the inbox preview: the start of the last message and its author. Subqueries on
    the message's primary key (``last_message_id``), so the page's rows stay one query."""
    last = Message.objects.filter(pk=OuterRef("last_message_id"))
    return conversations.annotate(
        last_body=Subquery(last.values(start=Left("body", PREVIEW_SOURCE_CHARS))[:1]),
        last_author_id=Subquery(last.values("author_id")[:1]),
        last_author_name=Subquery(
            last.values(
                given=Coalesce(NullIf(F("author__first_name"), Value("")), F("author__last_name"))
            )[:1]
        ),
    )


MAX_SEARCH_TERMS = 5


def search_terms(query: str) -> list[tuple[str, bool]]:
    """What a user typed as (word, leave_out) pairs: ``-woord`` leaves a word out. Only letters
    and digits get through, so nothing typed can change the query syntax."""
    terms = []
    for token in query.split():
        negate = token.startswith("-") and len(token) > 1
        terms += [(word.lower(), negate) for word in re.findall(r"[^\W_]+", token)]
    return terms[:MAX_SEARCH_TERMS]


def _meaningful_on_postgresql(terms: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """Drop the words Dutch full-text search ignores ("de", "het", "en" …): kept, a stop word
    would match nothing and a search for "de wond" would find nothing at all. One query."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT numnode(to_tsquery('dutch'::regconfig, word || ':*')) > 0 "
            "FROM unnest(%s::text[]) WITH ORDINALITY AS t(word, n) ORDER BY n",
            [[word for word, _negate in terms]],
        )
        keep = [row[0] for row in cursor.fetchall()]
    return [term for term, kept in zip(terms, keep, strict=True) if kept]


def _search(conversations: QuerySet, query: str) -> QuerySet:
    """Subjects and message text. Every word must occur somewhere in the conversation (its
    subject or any message), ``-woord`` must occur nowhere. On PostgreSQL: Dutch full-text
    search, each word as a prefix ("wond" finds "wonden" and "wondzorg"), through the GIN
    indexes of migration 0003; elsewhere: parts of words, case-insensitive."""
    terms = search_terms(query)
    if not terms:
        return conversations
    if connection.vendor == "postgresql":
        terms = _meaningful_on_postgresql(terms)
    for word, negate in terms:
        if connection.vendor == "postgresql":
            # Uncorrelated sub-selects, so PostgreSQL finds the matches through the GIN indexes
            # once instead of running the text search per conversation.
            words = SearchQuery(f"{word}:*", config="dutch", search_type="raw")
            in_messages = (
                Message.objects.annotate(document=SearchVector("body", config="dutch"))
                .filter(document=words)
                .values("conversation_id")
            )
            in_subjects = (
                Conversation.objects.annotate(document=SearchVector("subject", config="dutch"))
                .filter(document=words)
                .values("pk")
            )
            found = Q(pk__in=in_messages) | Q(pk__in=in_subjects)
        else:
            in_messages = Message.objects.filter(conversation=OuterRef("pk"), body__icontains=word)
            found = Q(subject__icontains=word) | Exists(in_messages)
        conversations = conversations.filter(~found if negate else found)
    return conversations


def inbox_page(
    *,
    actor: Actor,
    kind: str,
    tab: str = "inbox",
    query: str = "",
    with_patient: str = "",
    patient_id: int | None = None,
    person_id: int | None = None,
    page=None,
    around: int | None = None,
    log: bool = True,
) -> Page:
    """One page of the inbox: constant queries whatever the number of conversations.

    Without a ``page``, the first one, or with ``around`` the one that holds that conversation
    (the side list next to an open conversation shows it). ``log=False`` leaves the access log
    of the patients the page names to the caller, who writes it together with its own entry
    (``conversation_log_read(listed=…)``); ``log_ref`` on the page is what to log it as."""
    conversations = conversations_visible_to(actor).filter(kind=kind)
    if patient_id:
        conversations = conversations.filter(patient_id=patient_id)
    if person_id:
        conversations = conversations.filter(
            Exists(
                Participant.objects.filter(
                    conversation=OuterRef("pk"), user_id=person_id, left_at__isnull=True
                )
            )
        )
    if tab == "archive":
        conversations = conversations.filter(closed_at__isnull=False)
    else:
        conversations = conversations.filter(closed_at__isnull=True)
    if with_patient == "yes":
        conversations = conversations.filter(patient__isnull=False)
    elif with_patient == "no":
        conversations = conversations.filter(patient__isnull=True)
    if query:
        conversations = _search(conversations, query)
    if tab == "flagged":
        conversations = conversations.filter(
            Exists(
                ReadState.objects.filter(
                    conversation=OuterRef("pk"), user_id=actor.user.pk, is_flagged=True
                )
            )
        )
    # One query for the ordered ids of every match (a few thousand integers at most for one
    # person), paged here; then only the rows shown are fetched and annotated. So the filters
    # and the search run once, not again for a count, and unread counts are not worked out for
    # the conversations on other pages.
    ids = list(
        conversations.order_by(F("last_message_at").desc(nulls_last=True), "-pk").values_list(
            "pk", flat=True
        )
    )
    if page is None and around in ids:
        page = ids.index(around) // CONVERSATIONS_PER_PAGE + 1
    shown = Paginator(ids, CONVERSATIONS_PER_PAGE).get_page(page)
    wanted = list(shown.object_list)
    rows = with_relationship_facts(
        _with_last_message(_with_unread(Conversation.objects.filter(pk__in=wanted), actor)), actor
    ).select_related("patient", "created_by", "picked_up_by")
    by_pk = {row.pk: row for row in rows}
    shown.object_list = [by_pk[pk] for pk in wanted if pk in by_pk]
    shown.log_ref = f"{kind}_list:page={shown.number}"
    if log:
        conversations_log_listed(
            actor=actor, conversations=shown.object_list, object_ref=shown.log_ref
        )
    return shown


CORRESPONDENTS_LIMIT = 200


def correspondents_for(*, actor: Actor, kind: str) -> list:
    """People the actor shares open or closed conversations of this kind with, by name — the
    choices of the inbox's person filter. One query; capped for people in very many."""
    shared = Participant.objects.filter(
        user_id=OuterRef("pk"),
        left_at__isnull=True,
        conversation__in=conversations_visible_to(actor).filter(kind=kind).values("pk"),
    )
    return list(
        User.objects.filter(Exists(shared))
        .exclude(pk=actor.user.pk)
        .only("pk", "first_name", "initials", "infix", "last_name")
        .order_by("last_name", "first_name", "pk")[:CORRESPONDENTS_LIMIT]
    )


def unread_counts(*, actor: Actor) -> dict[str, int]:
    """Conversations with unread messages, per kind — for the navigation badges."""
    rows = (
        _with_unread(conversations_visible_to(actor).filter(closed_at__isnull=True), actor)
        .filter(unread__gt=0)
        .values("kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = dict.fromkeys(Conversation.Kind.values, 0)
    counts.update({row["kind"]: row["n"] for row in rows})
    return counts


def consultation_state_counts(*, actor: Actor) -> dict[str, int]:
    rows = (
        conversations_visible_to(actor)
        .filter(kind=Conversation.Kind.CONSULTATION)
        .values("state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = dict.fromkeys(Conversation.ConsultationState.values, 0)
    counts.update({row["state"]: row["n"] for row in rows})
    return counts


def _messages(conversation: Conversation) -> QuerySet[Message]:
    return (
        Message.objects.filter(conversation=conversation)
        .select_related("author", "author_organisation")
        .prefetch_related("attachments")
    )


def conversation_messages(
    *, conversation: Conversation, before: int | None = None
) -> tuple[list, bool]:
    """The latest messages (or those before ``before``), oldest first; and whether older exist."""
    messages = _messages(conversation)
    if before:
        messages = messages.filter(id__lt=before)
    rows = list(messages.order_by("-id")[: MESSAGES_SHOWN + 1])
    return list(reversed(rows[:MESSAGES_SHOWN])), len(rows) > MESSAGES_SHOWN


def messages_after(*, conversation: Conversation, after: int) -> list:
    """What a (re)connecting client missed: everything after the last id it has."""
    return list(_messages(conversation).filter(id__gt=after).order_by("id")[:CATCH_UP_LIMIT])


def recipient_user_ids(*, conversation_id: int) -> set[int]:
    """Everyone who reads the conversation now: people, and members of its shared inboxes.

    One statement, run for every message sent (who gets the inbox push): written as SQL so a
    send does not build two ORM querysets for it."""
    participant = Participant._meta.db_table
    member = SharedInboxMember._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.user_id FROM {participant} p "  # noqa: S608 (table names only)
            "WHERE p.conversation_id = %s AND p.left_at IS NULL AND p.user_id IS NOT NULL "
            f"UNION SELECT m.user_id FROM {member} m JOIN {participant} p "
            "ON p.inbox_id = m.inbox_id WHERE p.conversation_id = %s AND p.left_at IS NULL",
            [conversation_id, conversation_id],
        )
        return {row[0] for row in cursor.fetchall()}


def participants_of(*, conversation: Conversation) -> list[Participant]:
    """Current participants with today's absences (for the presence markers)."""
    return list(
        Participant.objects.filter(conversation=conversation, left_at__isnull=True)
        .select_related("user", "inbox", "organisation")
        .prefetch_related(absences_today_prefetch())
        .order_by("joined_at", "pk")
    )


def read_marks(*, conversation: Conversation) -> list[ReadState]:
    """How far each person has read (for "gelezen door"). One query for everyone."""
    return list(
        ReadState.objects.filter(conversation=conversation, last_read_message_id__gt=0)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user_id")
    )


def readers_per_message(
    *, read_marks: list[ReadState], messages: list[Message], exclude_user_id: int
) -> dict[int, list[User]]:
    """Each reader under the last of ``messages`` they have read ("gelezen door …"), the
    viewer left out. Their own messages do not count (one has read what one wrote): a reader
    stands under the last message by someone else that they have read. Someone who read past
    the messages shown (a page of older ones) stands under the last shown; someone who has not
    reached the first shown is not named."""
    newest_first = sorted(messages, key=lambda message: message.pk, reverse=True)
    readers: dict[int, list[User]] = {}
    for mark in read_marks:
        if mark.user_id == exclude_user_id:
            continue
        for message in newest_first:
            if message.pk <= mark.last_read_message_id and message.author_id != mark.user_id:
                readers.setdefault(message.pk, []).append(mark.user)
                break
    return readers


def _messaging_memberships() -> QuerySet[Membership]:
    levels = [lvl for lvl, caps in LEVEL_CAPABILITIES.items() if Capability.MESSAGES in caps]
    roles = [role for role, caps in ROLE_CAPABILITIES.items() if Capability.MESSAGES in caps]
    gp = OrganisationKind.GP_PRACTICE
    return Membership.objects.active().filter(
        Q(organisation__kind=gp, level__in=levels) | (~Q(organisation__kind=gp) & Q(role__in=roles))
    )


def recipient_search(*, actor: Actor, query: str) -> tuple[list[Membership], list[SharedInbox]]:
    """People (as members of an organisation) and shared inboxes to write to, by name."""
    words = query.split()[:5]
    if not words or len(query.strip()) < 2:
        return [], []
    people = _messaging_memberships().exclude(user_id=actor.user.pk)
    inboxes = SharedInbox.objects.filter(is_active=True, organisation__is_active=True)
    for word in words:
        people = people.filter(
            Q(user__first_name__icontains=word)
            | Q(user__last_name__icontains=word)
            | Q(organisation__name__icontains=word)
        )
        inboxes = inboxes.filter(Q(name__icontains=word) | Q(organisation__name__icontains=word))
    people = with_presence_of_members(
        people.select_related("user", "organisation").order_by("user__last_name", "pk")
    )
    return (
        list(people[:RECIPIENTS_SHOWN]),
        list(inboxes.select_related("organisation", "team").order_by("name")[:RECIPIENTS_SHOWN]),
    )


def with_presence_of_members(memberships: QuerySet) -> QuerySet:
    return memberships.prefetch_related(absences_today_prefetch())


def memberships_by_ids(*, ids: list[int]) -> list[Membership]:
    return list(
        with_presence_of_members(
            _messaging_memberships().filter(pk__in=ids).select_related("user", "organisation")
        )
    )


def inboxes_by_ids(*, ids: list[int]) -> list[SharedInbox]:
    return list(
        SharedInbox.objects.filter(pk__in=ids, is_active=True).select_related("organisation")
    )


# --- The start page's work queue ----------------------------------------------------------


def _last_message_body() -> Subquery:
    return Subquery(Message.objects.filter(pk=OuterRef("last_message_id")).values("body")[:1])


def unread_conversations_for(*, actor: Actor, limit: int) -> tuple[int, list[Conversation]]:
    """Open conversations (not consultations) with messages the actor has not read: how many,
    and the ``limit`` newest with their last message's ``last_body`` — two queries whatever
    their number. Rows carry the facts the access log needs to name their patient (the caller
    logs the names it shows)."""
    unread = _with_unread(
        conversations_visible_to(actor).filter(
            kind=Conversation.Kind.CONVERSATION, closed_at__isnull=True
        ),
        actor,
    ).filter(unread__gt=0)
    count = unread.count()
    if not count:
        return 0, []
    rows = (
        with_relationship_facts(unread, actor)
        .annotate(last_body=_last_message_body())
        .select_related("patient")
        .order_by(F("last_message_at").desc(nulls_last=True), "-pk")[:limit]
    )
    return count, list(rows)


def consultations_waiting_for(*, actor: Actor, limit: int) -> tuple[int, list[Conversation]]:
    """Consultations addressed to the actor or a shared inbox they read that nobody has picked
    up yet (the actor's own questions wait for others, not for them): how many, and the
    ``limit`` that have waited longest — two queries."""
    waiting = (
        conversations_visible_to(actor)
        .filter(
            kind=Conversation.Kind.CONSULTATION,
            state=Conversation.ConsultationState.OPEN,
            closed_at__isnull=True,
        )
        .exclude(created_by_id=actor.user.pk)
    )
    count = waiting.count()
    if not count:
        return 0, []
    rows = (
        with_relationship_facts(waiting, actor)
        .select_related("patient", "created_by")
        .order_by("created_at", "pk")[:limit]
    )
    return count, list(rows)
