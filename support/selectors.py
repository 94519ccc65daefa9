"""Reads of support: a user's own tickets, help articles and release notes."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet
from django.shortcuts import get_object_or_404

from support.models import HelpArticle, ReleaseNote, ReleaseNoteReader, Ticket


def ticket_list_for(*, user) -> QuerySet[Ticket]:
    return Ticket.objects.filter(user=user).order_by("-created_at", "-id")


def ticket_get_for(*, user, pk: int) -> Ticket:
    """Same 404 for a ticket that does not exist and one of somebody else."""
    return get_object_or_404(Ticket.objects.select_related("organisation").filter(user=user), pk=pk)


def help_article_list() -> QuerySet[HelpArticle]:
    return HelpArticle.objects.order_by("title")


def help_article_get(*, key: str) -> HelpArticle:
    return get_object_or_404(HelpArticle, key=key)


def release_note_list() -> QuerySet[ReleaseNote]:
    return ReleaseNote.objects.order_by("-date", "-id")


def release_note_newest() -> ReleaseNote | None:
    return release_note_list().first()


def release_note_reader_get(*, user) -> ReleaseNoteReader | None:
    return ReleaseNoteReader.objects.filter(user=user).first()


def release_note_unseen_for(*, user) -> ReleaseNote | None:
    """The newest note if this user has not dismissed it yet (one query)."""
    newest = (
        release_note_list()
        .annotate(
            seen=Exists(ReleaseNoteReader.objects.filter(user=user, last_seen=OuterRef("pk")))
        )
        .first()
    )
    if newest is None or newest.seen:
        return None
    return newest
