"""The reminder job on a real Celery worker in another process, on the real broker (Redis
in CI) and the test database: run twice, or killed in the middle of a batch and run
again, every person gets exactly one email and one inbox message."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User

from communities.models import Community
from communities.roles import Role
from notifications.models import Message
from tasks.models import Checklist
from tests.conftest import _person
from tests.reminders import at
from tests.smtp import SMTPServer
from tests.worker import Worker
from yijia.celery import app

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

STAFF_PER_COMMUNITY = 3


@pytest.fixture
def staff(world: Checklist, community_one: Community, community_two: Community) -> list[User]:
    """Three people in each community, each with an email address."""
    people = []
    for community in (community_one, community_two):
        for number in range(STAFF_PER_COMMUNITY):
            person = _person(f"{community.pk}-{number}", Role.COMMUNITY_STAFF, community=community)
            person.email = f"staff{community.pk}-{number}@example.cn"
            person.save()
            people.append(person)
    return people


def worker_env(smtp_server: SMTPServer) -> dict[str, str]:
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.port),
        # A worker that claimed a message and vanished is presumed dead after 1 s.
        "REMINDER_CLAIM_SECONDS": "1",
    }


@pytest.fixture
def worker(smtp_server: SMTPServer) -> Iterator[Worker]:
    started = Worker(env=worker_env(smtp_server)).start()
    yield started
    started.stop()


def run_on_worker(worker: Worker, moment: str) -> None:
    app.send_task("reminders.reminders_run", kwargs={"now": moment})


def sent_messages() -> int:
    return Message.objects.filter(delivery_state=Message.Delivery.SENT).count()


def test_the_same_batch_run_twice_sends_one_email_each(
    staff: list[User], smtp_server: SMTPServer, worker: Worker
) -> None:
    moment = at(2017, 8, 4, 9).isoformat()
    run_on_worker(worker, moment)
    run_on_worker(worker, moment)
    worker.wait(lambda: sent_messages() == len(staff), what="every email to be sent")
    # The second run found nothing new; give it time to have finished.
    run_on_worker(worker, at(2017, 8, 4, 9, 15).isoformat())
    worker.wait(lambda: b" due, 0 messages composed" in worker.log.read_bytes(), what="the reruns")
    for person in staff:
        [mail] = smtp_server.to(person.email)
        assert "8月7日(周一) 截止" in mail.body
        assert Message.objects.filter(recipient=person).count() == 1


def test_a_worker_killed_in_the_middle_of_a_batch_loses_nothing_and_repeats_nothing(
    staff: list[User], smtp_server: SMTPServer
) -> None:
    moment = at(2017, 8, 4, 9).isoformat()
    # The server stops before accepting the third email; the worker is killed there.
    smtp_server.hold_at(3)
    first = Worker(env=worker_env(smtp_server)).start()
    try:
        run_on_worker(first, moment)
        assert smtp_server.handler.holding.wait(60), "the batch never reached the third email"
        first.kill()
    finally:
        first.stop()
    smtp_server.release(accept=False)
    assert len(smtp_server.mails) == 2
    assert sent_messages() == 2

    # The task is retried (here: published again) on a new worker, once the dead worker's
    # lease on the rest of its batch has run out (a worker starts in well under a second).
    time.sleep(float(worker_env(smtp_server)["REMINDER_CLAIM_SECONDS"]) + 0.2)
    second = Worker(env=worker_env(smtp_server)).start()
    try:
        run_on_worker(second, moment)
        second.wait(lambda: sent_messages() == len(staff), what="the rest of the batch")
    finally:
        second.stop()
    for person in staff:
        assert len(smtp_server.to(person.email)) == 1, person.email
        assert Message.objects.filter(recipient=person).count() == 1
