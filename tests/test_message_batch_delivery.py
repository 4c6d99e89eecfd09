"""Messages are delivered in batches: a worker claims up to a batch in one statement, sends
it over one SMTP connection to a real server on loopback, and marks each message sent as
soon as the server accepted it. Two workers never claim one message; a failed message is
tried again and the rest of its batch is not; a batch left by a worker that died is sent
by a later run once the lease has passed; a batch costs the same queries whatever is in it,
plus one mark per message sent."""

from __future__ import annotations

import datetime
import threading

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import Settings

from notifications.models import Message
from notifications.services import messages_claim, messages_deliver, messages_deliver_fan_out
from reminders.models import Reminder
from reminders.services import digests_compose
from tests.smtp import SMTPServer
from tests.worker import Worker

pytestmark = pytest.mark.django_db


def people(count: int, start: int = 0) -> list[User]:
    return [
        User.objects.create_user(f"p{number}", email=f"p{number}@example.cn")
        for number in range(start, start + count)
    ]


def waiting_messages(recipients: list[User]) -> list[Message]:
    return Message.objects.bulk_create(
        [
            Message(
                recipient=person,
                kind=Message.Kind.DIGEST,
                title=f"宜居家园提醒:{person.username}",
                body="· [填报截止前提醒] 7月进展 8月7日(周一) 截止。",
            )
            for person in recipients
        ]
    )


def state_of(person: User) -> Message:
    return Message.objects.get(recipient=person)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_claiming_at_once_take_each_message_once() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL")
    waiting = waiting_messages(people(6))
    first_claimed, second_done = threading.Event(), threading.Event()
    claimed: dict[str, list[int]] = {}
    second_ran_while_first_was_open: list[bool] = []

    def first() -> None:
        try:
            with transaction.atomic():
                claimed["first"] = [message.pk for message in messages_claim(limit=4)]
                first_claimed.set()
                # Hold the row locks until the second worker has claimed.
                second_ran_while_first_was_open.append(second_done.wait(10))
        finally:
            first_claimed.set()
            connections.close_all()

    def second() -> None:
        first_claimed.wait(10)
        try:
            claimed["second"] = [message.pk for message in messages_claim(limit=4)]
        finally:
            second_done.set()
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    # The second skipped the rows the first had locked instead of waiting for them.
    assert second_ran_while_first_was_open == [True]
    assert len(claimed["first"]) == 4
    assert not set(claimed["first"]) & set(claimed["second"])
    assert sorted(claimed["first"] + claimed["second"]) == sorted(m.pk for m in waiting)
    assert messages_claim(limit=10) == []
    assert Message.objects.filter(delivery_state=Message.Delivery.SENDING).count() == 6


def test_a_refused_message_is_tried_again_and_the_rest_of_its_batch_is_sent_once(
    smtp_server: SMTPServer,
) -> None:
    first, refused, third = people(3)
    waiting_messages([first, refused, third])
    smtp_server.handler.refused.add(refused.email)

    assert messages_deliver() == 2
    assert [mail.to for mail in smtp_server.mails] == [[first.email], [third.email]]
    assert state_of(first).delivery_state == Message.Delivery.SENT
    assert state_of(third).delivery_state == Message.Delivery.SENT
    waiting = state_of(refused)
    assert waiting.delivery_state == Message.Delivery.PENDING
    assert "550" in waiting.last_error
    assert waiting.attempts == 1  # tried once in that run, not again and again

    smtp_server.handler.refused.clear()
    assert messages_deliver() == 1
    for person in (first, refused, third):
        assert len(smtp_server.to(person.email)) == 1, person.email
        assert state_of(person).delivery_state == Message.Delivery.SENT
    assert state_of(refused).last_error == ""


def test_a_batch_left_by_a_worker_that_died_is_sent_once_after_the_lease(
    smtp_server: SMTPServer,
) -> None:
    recipients = people(3)
    waiting_messages(recipients)
    # A worker claims a batch and dies before sending any of it.
    assert len(messages_claim(limit=10)) == 3

    # Within its lease nobody else takes it.
    assert messages_deliver() == 0
    assert smtp_server.mails == []

    later = timezone.now() + datetime.timedelta(seconds=settings.REMINDER_CLAIM_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        assert messages_deliver() == 3
        assert messages_deliver() == 0
    for person in recipients:
        [mail] = smtp_server.to(person.email)
        assert mail.subject == f"宜居家园提醒:{person.username}"
        message = state_of(person)
        assert message.delivery_state == Message.Delivery.SENT
        assert message.attempts == 2


def test_a_batch_that_runs_into_half_the_lease_puts_its_rest_back_for_the_same_run(
    smtp_server: SMTPServer, settings: Settings
) -> None:
    # No time at all: each batch sends its first message and puts the rest back before
    # another worker could take them for those of a dead worker.
    settings.REMINDER_CLAIM_SECONDS = 0
    recipients = people(3)
    waiting_messages(recipients)
    assert messages_deliver() == 3
    for person in recipients:
        assert len(smtp_server.to(person.email)) == 1
        message = state_of(person)
        assert message.delivery_state == Message.Delivery.SENT
        assert message.attempts == 1


def deliver_counting(batch: int) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        sent = messages_deliver(batch=batch)
    return sent, [query["sql"] for query in queries.captured_queries]


def test_a_batch_costs_the_same_queries_whatever_its_size_plus_one_mark_per_message(
    smtp_server: SMTPServer,
) -> None:
    # Per batch: the claim (one UPDATE … RETURNING), the messages with their recipients
    # (one SELECT), on PostgreSQL the marks' commit mode set and reset; then one "sent"
    # UPDATE per message; and the run's last claim, which finds nothing.
    per_batch = 4 if connection.vendor == "postgresql" else 2
    waiting_messages(people(3))
    sent, small = deliver_counting(batch=50)
    assert sent == 3
    waiting_messages(people(12, start=3))
    sent, large = deliver_counting(batch=50)
    assert sent == 12
    assert len(small) == per_batch + 3 + 1
    assert len(large) == per_batch + 12 + 1
    # Two batches of 6: the batch's own queries twice, the marks as before.
    waiting_messages(people(12, start=15))
    sent, split = deliver_counting(batch=6)
    assert sent == 12
    assert len(split) == 2 * per_batch + 12 + 1
    if connection.vendor == "postgresql":
        assert "FOR UPDATE SKIP LOCKED" in small[0]
    assert len(smtp_server.mails) == 27


def reminders_for(recipients: list[User]) -> None:
    moment = timezone.now()
    Reminder.objects.bulk_create(
        [
            Reminder(
                recipient_key=f"user:{person.pk}",
                recipient=person,
                kind=Reminder.Kind.FILING_BEFORE,
                subject=f"community:{number}",
                period="2017-07@2017-08-07",
                text=f"第 {number} 项 7月进展 8月7日(周一) 截止。",
                due_at=moment,
            )
            for person in recipients
            for number in (1, 2)
        ]
    )


def test_composing_costs_the_same_queries_for_two_digests_as_for_twelve() -> None:
    reminders_for(people(2))
    with CaptureQueriesContext(connection) as two:
        assert digests_compose() == 2
    reminders_for(people(12, start=2))
    with CaptureQueriesContext(connection) as twelve:
        assert digests_compose() == 12
    assert len(twelve.captured_queries) == len(two.captured_queries)
    for message in Message.objects.all():
        assert message.reminders.count() == 2
        assert message.title == "宜居家园提醒:2 件事项需要处理"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_run_with_more_than_a_batch_asks_the_workers_to_help_and_each_email_goes_once(
    smtp_server: SMTPServer,
) -> None:
    recipients = people(6)
    waiting_messages(recipients)
    worker = Worker(
        env={
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_server.port),
        }
    ).start()
    try:
        # Three batches of 2: two more workers asked for (DELIVERY_WORKERS is 4).
        assert messages_deliver_fan_out(batch=2) == 2
        worker.wait(
            lambda: not Message.objects.exclude(delivery_state=Message.Delivery.SENT).exists(),
            what="the helpers to deliver every message",
        )
    finally:
        worker.stop()
    for person in recipients:
        assert len(smtp_server.to(person.email)) == 1, person.email
