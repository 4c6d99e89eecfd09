"""A web request never publishes to the broker: it writes an outbox row in its own
transaction, and the relay hands it to Celery. With the broker down, pages and filing keep
working, and the messages go out once it is back."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from communities.models import Community
from notifications.models import Message, OutboxMessage
from notifications.services import outbox_relay
from tasks.models import Checklist, ProgressReport
from tests.filing import file_item_report
from tests.reminders import at
from tests.smtp import SMTPServer
from tests.worker import Worker
from yijia.celery import app

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse

DEAD_BROKER = "redis://127.0.0.1:1/0"


@contextlib.contextmanager
def dead_broker() -> Iterator[None]:
    """The broker does not answer (nothing listens on port 1)."""
    previous_url, previous_environment = app.conf.broker_url, os.environ.get("CELERY_BROKER_URL")
    # Celery reads CELERY_BROKER_URL from the environment before its configuration.
    # (Item assignment: the stubs know ``broker_url`` only as a read-only property.)
    os.environ["CELERY_BROKER_URL"] = app.conf["broker_url"] = DEAD_BROKER
    _forget_connections()
    try:
        yield
    finally:
        app.conf["broker_url"] = previous_url
        if previous_environment is None:
            del os.environ["CELERY_BROKER_URL"]
        else:
            os.environ["CELERY_BROKER_URL"] = previous_environment
        _forget_connections()


def _forget_connections() -> None:
    """Celery keeps a pool of connections; drop it so that it connects to the new URL."""
    app._pool, app.amqp._producer_pool = None, None  # type: ignore[attr-defined]  # Celery's private pools


@pytest.fixture
def broker_down() -> Iterator[None]:
    with dead_broker():
        yield


def return_through_the_page(reviewer: User, report: ProgressReport) -> _MonkeyPatchedWSGIResponse:
    client = Client()
    client.force_login(reviewer)
    return client.post(f"/reports/{report.pk}/return/", {"comment": "请补充会议签到表照片。"})


def submitted_report(world: Checklist, community: Community, staff: User) -> ProgressReport:
    with time_machine.travel(at(2017, 8, 2, 10), tick=False):
        return file_item_report(world, 14, community, staff)


@pytest.mark.django_db
def test_returning_a_report_works_with_the_broker_down_and_leaves_work_in_the_outbox(
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    autonomy_staff: User,
    broker_down: None,
) -> None:
    community_one_staff.email = "one@example.cn"
    community_one_staff.save()
    report = submitted_report(world, community_one, community_one_staff)
    response = return_through_the_page(autonomy_staff, report)
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.workflow_state == ProgressReport.WorkflowState.RETURNED
    [message] = Message.objects.filter(recipient=community_one_staff)
    assert "被退回" in message.title
    assert "请补充会议签到表照片。" in message.body
    [row] = OutboxMessage.objects.all()
    assert row.task == "notifications.message_deliver"
    assert row.kwargs == {"message_id": message.pk}
    assert row.published_at is None

    assert outbox_relay() == 0
    row.refresh_from_db()
    assert row.published_at is None
    assert row.attempts == 1
    assert row.last_error


@pytest.mark.django_db
def test_nothing_reaches_the_outbox_when_the_request_fails(
    world: Checklist, community_one: Community, community_one_staff: User, autonomy_staff: User
) -> None:
    report = submitted_report(world, community_one, community_one_staff)
    client = Client()
    client.force_login(autonomy_staff)
    response = client.post(f"/reports/{report.pk}/return/", {"comment": "  "})
    assert "退回时请写明需要修改的内容。" in response.content.decode()
    assert not OutboxMessage.objects.exists()
    assert not Message.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_once_the_broker_is_back_the_relay_hands_the_work_to_a_worker(
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    autonomy_staff: User,
    smtp_server: SMTPServer,
) -> None:
    community_one_staff.email = "one@example.cn"
    community_one_staff.save()
    report = submitted_report(world, community_one, community_one_staff)
    with dead_broker():
        assert return_through_the_page(autonomy_staff, report).status_code == 302
        assert outbox_relay() == 0
    assert smtp_server.mails == []

    worker = Worker(
        env={
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_server.port),
        }
    ).start()
    try:
        assert outbox_relay() == 1
        [mail] = smtp_server.wait_for(1)
        assert mail.to == ["one@example.cn"]
        assert "被退回" in mail.subject
        assert "请补充会议签到表照片。" in mail.body
        assert outbox_relay() == 0
    finally:
        worker.stop()
    assert Message.objects.get(recipient=community_one_staff).delivery_state == (
        Message.Delivery.SENT
    )
