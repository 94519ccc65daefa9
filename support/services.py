"""Writes of support. Tickets with their screenshot, answers mailed once, release notes mailed
once per follower, the notice dismissed, following switched on and off."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.email import email_send
from files.services import IMAGE_FORMATS, private_file_save, upload_check, uploads_prepare
from support.models import (
    ReleaseNote,
    ReleaseNoteMailing,
    ReleaseNoteReader,
    Ticket,
    TicketScreenshot,
    TicketStatus,
)

UNSUBSCRIBE_SALT = "support.release-notes.unsubscribe"


def screenshot_prepare(upload) -> tuple[str, str, bytes] | None:
    """Check the screenshot before anything is written: an image, not too large, cleaned of
    metadata (files.services). Raises a Dutch ValidationError."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    if upload is None:
        return None
    not_image = ValidationError(
        _("A screenshot must be a picture (JPEG, PNG or WebP)."), code="not_image"
    )
    try:
        mime = upload_check(upload)  # the size first, then the type from the bytes
    except ValidationError as exc:
        if exc.code == "bad_type":
            raise not_image from None
        raise
    if mime not in IMAGE_FORMATS:
        raise not_image
    [(name, mime, data)] = uploads_prepare([upload])
    return name, mime, data


@transaction.atomic
def ticket_create(
    *,
    user,
    organisation,
    subject: str,
    question: str,
    page: str = "",
    user_agent: str = "",
    screenshot=None,
) -> Ticket:
    """Store the question (and its checked screenshot) and tell the helpdesk by e-mail after
    commit. The e-mail has the user's own text but never the screenshot."""
    prepared = screenshot_prepare(screenshot)  # before any row is written
    ticket = Ticket.objects.create(
        user=user,
        organisation=organisation,
        subject=subject,
        question=question,
        page=page[:500],
        user_agent=user_agent[:500],
    )
    if prepared is not None:
        name, mime, data = prepared
        private_file_save(TicketScreenshot(ticket=ticket, original_name=name), mime=mime, data=data)
    # The helpdesk reads Dutch, whatever language the sender uses.
    email_send(
        to=[settings.SUPPORT_EMAIL],
        reply_to=[user.email],
        template="support/email/ticket_new",
        context={"ticket": ticket, "user": user, "organisation": organisation},
    )
    return ticket


@transaction.atomic
def ticket_answer(*, ticket: Ticket, answer: str, by, status: str | None = None) -> Ticket:
    """Record the helpdesk's answer. A changed answer gets a new version, mailed once to the
    asker by a task after commit; saving the same answer again sends nothing."""
    from support.tasks import ticket_answer_mail_task

    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    answer = answer.strip()
    changed = bool(answer) and answer != ticket.answer.strip()
    if changed:
        ticket.answer = answer
        ticket.answered_at = timezone.now()
        ticket.answered_by = by
        ticket.answer_version += 1
        ticket.status = status if status and status != TicketStatus.NEW else TicketStatus.CLOSED
    elif status:
        ticket.status = status
    ticket.save()
    if changed:
        pk = ticket.pk
        transaction.on_commit(lambda: ticket_answer_mail_task.delay(pk))
    return ticket


def ticket_answer_mail(*, ticket_id: int) -> bool:
    """Mail the current answer version once (a row lock; a retried task sends nothing again)."""
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().select_related("user").get(pk=ticket_id)
        if not ticket.answer or ticket.answer_mailed_version >= ticket.answer_version:
            return False
        email_send(
            to=[ticket.user.email],
            language=ticket.user.language or None,
            template="support/email/ticket_answer",
            context={
                "ticket": ticket,
                "url": reverse("support:ticket-detail", kwargs={"pk": ticket.pk}),
            },
        )
        ticket.answer_mailed_version = ticket.answer_version
        ticket.answer_mailed_at = timezone.now()
        ticket.save(update_fields=["answer_mailed_version", "answer_mailed_at"])
    return True


# --- Release notes ---------------------------------------------------------------------------


def _reader(user) -> ReleaseNoteReader:
    reader, _ = ReleaseNoteReader.objects.get_or_create(user=user)
    return reader


def release_note_dismiss(*, user, note: ReleaseNote) -> None:
    reader = _reader(user)
    reader.last_seen = note
    reader.save(update_fields=["last_seen"])


def release_notes_follow(*, user, follows: bool) -> None:
    reader = _reader(user)
    reader.follows = follows
    reader.save(update_fields=["follows"])


def unsubscribe_token(*, user) -> str:
    return signing.dumps({"u": user.pk}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_user_id(*, token: str) -> int | None:
    """The user a signed unsubscribe token names, or None for a tampered one."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    user_id = data.get("u") if isinstance(data, dict) else None
    return user_id if isinstance(user_id, int) else None


def release_notes_unsubscribe(*, token: str) -> bool:
    """Stop the mails of whoever the signed token names. False for a tampered token."""
    user_id = unsubscribe_user_id(token=token)
    if user_id is None:
        return False
    ReleaseNoteReader.objects.filter(user_id=user_id).update(follows=False)
    return True


def release_note_published(*, note: ReleaseNote) -> None:
    """Called when the helpdesk adds a note: the followers are mailed by a task after commit."""
    from support.tasks import release_note_mail_task

    pk = note.pk
    transaction.on_commit(lambda: release_note_mail_task.delay(pk))


def release_note_mail_followers(*, note_id: int) -> int:
    """One e-mail per follower; the (note, user) row is written in the same transaction as the
    mail is queued, so a retried task skips whoever already has it. Returns how many were sent."""
    from support.markdown import markdown_render

    note = ReleaseNote.objects.get(pk=note_id)
    followers = (
        ReleaseNoteReader.objects.filter(follows=True, user__is_active=True)
        .exclude(user__in=ReleaseNoteMailing.objects.filter(note=note).values("user"))
        .select_related("user")
    )
    sent = 0
    for reader in followers:
        user = reader.user
        try:
            with transaction.atomic():
                ReleaseNoteMailing.objects.create(note=note, user=user)
                email_send(
                    to=[user.email],
                    language=user.language or None,
                    template="support/email/release_note",
                    context={
                        "note": note,
                        "body_html": markdown_render(note.body),
                        "url": reverse("support:release-notes"),
                        "unsubscribe_url": reverse(
                            "support:unsubscribe", kwargs={"token": unsubscribe_token(user=user)}
                        ),
                    },
                )
        except IntegrityError:
            continue  # another run got there first
        sent += 1
    return sent
