"""E-mail about a new message, for participants who are not looking.

The mail goes out from a Celery task (eager here) queued after commit, and is itself sent after
commit; ``django_capture_on_commit_callbacks(execute=True)`` runs both, as a real commit would.
"""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.presence import online_touch
from conversations.models import ReadState
from conversations.services.messages import read_up_to
from conversations.services.notifications import message_notify
from core.site import site_url
from tests.conversations.conftest import send, start
from tests.factories import AbsenceFactory, CareNetworkMemberFactory

pytestmark = pytest.mark.django_db

SECRET_TEXT = "Glucose 14,2 en de wond ziet er rood uit."


def mails_to(user) -> list:
    return [message for message in mail.outbox if user.email in message.to]


def test_an_offline_recipient_gets_one_dutch_mail_without_text_or_patient(
    committing, gp, nurse, shared_patient
):
    with committing():
        conversation = start(
            gp, nurse, patient=shared_patient, subject="Wond Dijkstra", body=SECRET_TEXT
        )

    [message] = mail.outbox
    assert message.to == [nurse.email]
    assert message.subject == "Nieuw bericht in een gesprek in Regiozorg"
    link = site_url() + reverse("conversations:detail", args=[conversation.pk])
    [(html, _mimetype)] = message.alternatives
    for body in (message.body, html):
        assert "Beste Nynke," in body
        assert "Er is een nieuw bericht voor je in Regiozorg." in body
        assert link in body
        for secret in (SECRET_TEXT, "Glucose", "Wond Dijkstra", "Dijkstra", "Sjoerd"):
            assert secret not in body
    assert "Dijkstra" not in message.subject


def test_a_consultation_mail_says_consultation(committing, gp, nurse):
    with committing():
        start(gp, nurse, kind="consultation", subject="Vraag")

    [message] = mail.outbox
    assert message.subject == "Nieuw bericht in een consultatie in Regiozorg"


def test_a_second_message_within_the_period_sends_no_second_mail(committing, gp, nurse):
    with committing():
        conversation = start(gp, nurse)
    with committing():
        send(gp, conversation, "Nog iets")
        send(gp, conversation, "En nog iets")

    assert len(mails_to(nurse)) == 1

    # After the period a new message is worth a new mail.
    earlier = timezone.now() - datetime.timedelta(minutes=settings.NOTIFY_INTERVAL_MINUTES + 1)
    ReadState.objects.filter(conversation=conversation, user=nurse).update(notified_at=earlier)
    with committing():
        send(gp, conversation, "Later nog iets")

    assert len(mails_to(nurse)) == 2


def test_the_period_is_per_conversation(committing, gp, nurse):
    with committing():
        start(gp, nurse, subject="Een")
        start(gp, nurse, subject="Twee")

    assert len(mails_to(nurse)) == 2


def test_someone_online_gets_no_mail(committing, gp, nurse):
    online_touch(nurse.pk)

    with committing():
        start(gp, nurse)

    assert mails_to(nurse) == []


def test_the_author_gets_no_mail_about_their_own_message(committing, gp, nurse):
    with committing():
        conversation = start(gp, nurse)
    assert mails_to(gp) == []

    with committing():
        send(nurse, conversation, "Antwoord")

    assert len(mails_to(gp)) == 1
    assert len(mails_to(nurse)) == 1  # still only the one about the gp's start


def test_someone_absent_gets_no_mail_unless_they_asked_for_it(committing, gp, nurse, physio):
    for user in (nurse, physio):
        AbsenceFactory(user=user)
    physio.notify_when_away = True
    physio.save(update_fields=["notify_when_away"])

    with committing():
        start(gp, nurse, physio)

    assert mails_to(nurse) == []
    assert len(mails_to(physio)) == 1


def test_no_mail_on_a_day_off_unless_asked_for(committing, gp, nurse, physio):
    today = timezone.localdate().isoweekday()
    for user in (nurse, physio):
        user.working_days = [day for day in range(1, 8) if day != today]
    physio.notify_when_away = True
    nurse.save(update_fields=["working_days"])
    physio.save(update_fields=["working_days", "notify_when_away"])

    with committing():
        start(gp, nurse, physio)

    assert mails_to(nurse) == []
    assert len(mails_to(physio)) == 1


def test_someone_who_wants_no_message_mail_gets_none(committing, gp, nurse):
    nurse.notify_messages = False
    nurse.save(update_fields=["notify_messages"])

    with committing():
        start(gp, nurse)
        start(gp, nurse, kind="consultation")  # consultations have their own choice

    [message] = mails_to(nurse)
    assert message.subject == "Nieuw bericht in een consultatie in Regiozorg"


def test_members_of_a_shared_inbox_are_mailed(committing, gp, nurse, colleague, nursing_inbox):
    online_touch(nurse.pk)

    with committing():
        start(gp, inboxes=[nursing_inbox])

    assert mails_to(nurse) == []
    assert len(mails_to(colleague)) == 1


def test_someone_who_has_read_it_already_is_not_mailed(gp, nurse):
    conversation = start(gp, nurse)  # no commit: the task has not run yet
    message = conversation.messages.get()
    read_up_to(user=nurse, conversation=conversation, message_id=message.pk)

    assert message_notify(message_id=message.pk) == []


def test_running_the_task_twice_mails_once(committing, gp, nurse):
    conversation = start(gp, nurse)
    message = conversation.messages.get()

    with committing():
        first = message_notify(message_id=message.pk)
        again = message_notify(message_id=message.pk)

    assert (first, again) == ([nurse.pk], [])
    assert len(mails_to(nurse)) == 1


def test_an_english_speaking_recipient_gets_the_mail_in_english(committing, gp, nurse):
    nurse.language = "en"
    nurse.save(update_fields=["language"])

    with committing():
        start(gp, nurse)

    [message] = mails_to(nurse)
    assert message.subject == "New message in a conversation in Regiozorg"


def test_no_mail_to_someone_who_may_not_open_the_conversation(committing, gp, nurse, patient):
    CareNetworkMemberFactory(patient=patient, user=nurse)  # in the network; not visible

    with committing():
        start(gp, nurse, patient=patient)

    assert mails_to(nurse) == []


def test_a_burst_of_messages_schedules_one_check_for_the_conversation(
    committing, gp, nurse, monkeypatch
):
    """One check per conversation while one is pending, not a task per message: in production
    the check runs ``NOTIFY_DELAY_SECONDS`` later, so here it is held back to count."""
    from conversations import tasks_notify

    scheduled = []
    monkeypatch.setattr(
        tasks_notify.notify_conversation_task,
        "apply_async",
        lambda args, countdown: scheduled.append((args, countdown)),
    )
    with committing():
        conversation = start(gp, nurse)
    with committing():
        for n in range(5):
            send(gp, conversation, f"Bericht {n}")

    assert [args for args, _countdown in scheduled] == [[conversation.pk]]
    # Within half the delay again after it: checks of conversations busy at once are spread.
    delay = settings.NOTIFY_DELAY_SECONDS
    assert delay <= scheduled[0][1] <= delay * 1.5
    assert mail.outbox == []

    # The check mails once for the newest message, and a message after it schedules a new one.
    monkeypatch.undo()
    with committing():
        assert tasks_notify.notify_conversation_task(conversation.pk) == [nurse.pk]
    assert len(mails_to(nurse)) == 1
    with committing():
        send(gp, conversation, "Na de controle")
    assert len(mails_to(nurse)) == 1  # the throttle holds: checked again, no second mail


def test_a_worker_asks_redis_once_per_burst_and_again_once_the_check_may_have_run(
    committing, gp, nurse, monkeypatch
):
    """With a real worker (not eager) a process that scheduled the check knows it is pending
    until its countdown can have passed: the burst's other sends do not ask the cache. After
    that it asks again, and once the check ran (its key gone) the next message schedules one."""
    from django.core.cache import cache

    from conversations import tasks_notify

    monkeypatch.setitem(tasks_notify.notify_conversation_task.app.conf, "task_always_eager", False)
    now = [1000.0]
    monkeypatch.setattr(tasks_notify, "clock", lambda: now[0])
    monkeypatch.setattr(tasks_notify, "wall_clock", lambda: now[0] + 1.8e9)
    monkeypatch.setattr(tasks_notify, "_pending_here", {})
    scheduled, asked = [], []
    monkeypatch.setattr(
        tasks_notify.notify_conversation_task,
        "apply_async",
        lambda args, countdown: scheduled.append(args[0]),
    )
    add = cache.add

    def counted_add(key, *args, **kwargs):
        if key.startswith("notify:pending:"):
            asked.append(key)
        return add(key, *args, **kwargs)

    monkeypatch.setattr(cache, "add", counted_add)
    with committing():
        conversation = start(gp, nurse)
    # Its first message's check has run: the burst below starts afresh.
    cache.delete(f"notify:pending:{conversation.pk}")
    tasks_notify._pending_here.clear()
    scheduled.clear(), asked.clear()
    with committing():
        for n in range(5):
            send(gp, conversation, f"Bericht {n}")
    assert (scheduled, len(asked)) == ([conversation.pk], 1)

    # Another process (say a web worker) stores the next message: its first send asks, finds
    # the check pending and learns when it runs; its next sends do not ask either.
    tasks_notify._pending_here.clear()
    with committing():
        send(gp, conversation, "Via het formulier")
        send(gp, conversation, "En nog een")
    assert (scheduled, len(asked)) == ([conversation.pk], 2)

    # Once the check may have run (its countdown is at most half the delay again), the cache
    # is asked again: the check is still pending here, so nothing new is scheduled.
    now[0] += settings.NOTIFY_DELAY_SECONDS * 1.5
    with committing():
        send(gp, conversation, "Nog een")
    assert (scheduled, len(asked)) == ([conversation.pk], 3)

    # The check ran (its key gone): the next message schedules the next check.
    cache.delete(f"notify:pending:{conversation.pk}")
    with committing():
        send(gp, conversation, "Na de controle")
    assert scheduled == [conversation.pk, conversation.pk]


def test_someone_who_reads_before_the_check_gets_no_mail(committing, gp, nurse, monkeypatch):
    from conversations import tasks_notify

    monkeypatch.setattr(
        tasks_notify.notify_conversation_task, "apply_async", lambda args, countdown: None
    )
    with committing():
        conversation = start(gp, nurse)
        newest = send(gp, conversation, "Lees je dit?")
    read_up_to(user=nurse, conversation=conversation, message_id=newest.pk)

    assert tasks_notify.notify_conversation_task(conversation.pk) == []
    assert mail.outbox == []
