"""Where a digest goes: the inbox, email through a real SMTP server on loopback, and the
企业微信 / 钉钉 group robot of the community."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.contrib.auth.models import User
from pytest_django import Settings

from communities.models import Community
from notifications.models import Message, WebhookEndpoint
from tasks.models import Checklist
from tests.reminders import at, inbox, run_reminders
from tests.smtp import SMTPServer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quiet_before_july")]


class RobotServer:
    """A group robot on loopback: answers as 企业微信 does and keeps what it was sent.
    (The only stand-in of the suite: the real robots are on the internet.)"""

    def __init__(self, answer: dict[str, object]) -> None:
        received: list[dict[str, Any]] = []  # the JSON bodies
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers["Content-Length"])
                received.append(json.loads(self.rfile.read(length)))
                body = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/cgi-bin/webhook/send?key=k"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def robot() -> Iterator[RobotServer]:
    server = RobotServer({"errcode": 0, "errmsg": "ok"})
    yield server
    server.close()


def test_the_digest_is_emailed_in_chinese_with_a_link(
    world: Checklist, community_one_staff: User, smtp_server: SMTPServer
) -> None:
    community_one_staff.email = "one@example.cn"
    community_one_staff.save()
    run_reminders(at(2017, 8, 4, 9))
    [mail] = smtp_server.to("one@example.cn")
    assert mail.subject.startswith("宜居家园提醒:")
    assert "8月7日(周一) 截止" in mail.body
    assert "http://127.0.0.1:8000/workspace/?year=2017&month=7" in mail.body
    [message] = inbox(community_one_staff)
    assert message.delivery_state == Message.Delivery.SENT


def test_a_person_without_an_email_address_gets_the_inbox_message_only(
    world: Checklist, community_one_staff: User, smtp_server: SMTPServer
) -> None:
    run_reminders(at(2017, 8, 4, 9))
    [message] = inbox(community_one_staff)
    assert message.delivery_state == Message.Delivery.SKIPPED
    assert smtp_server.mails == []


def test_an_smtp_server_that_is_down_is_tried_again_by_the_next_run(
    world: Checklist, community_one_staff: User, settings: Settings
) -> None:
    community_one_staff.email = "one@example.cn"
    community_one_staff.save()
    server = SMTPServer()  # not started yet: nothing listens on its port
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    run_reminders(at(2017, 8, 4, 9))
    [message] = inbox(community_one_staff)
    assert message.delivery_state == Message.Delivery.PENDING
    assert message.last_error
    server.start()
    try:
        run_reminders(at(2017, 8, 4, 9, 15))
        [mail] = server.to("one@example.cn")
        assert "8月7日" in mail.body
        message.refresh_from_db()
        assert message.delivery_state == Message.Delivery.SENT
        assert len(inbox(community_one_staff)) == 1
    finally:
        server.stop()


def test_the_communitys_group_robot_gets_one_markdown_message(
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    robot: RobotServer,
) -> None:
    WebhookEndpoint.objects.create(
        community=community_one, kind=WebhookEndpoint.Kind.WECOM, url=robot.url
    )
    run_reminders(at(2017, 8, 4, 9))
    run_reminders(at(2017, 8, 4, 10))
    [payload] = robot.received
    assert payload["msgtype"] == "markdown"
    content = payload["markdown"]["content"]
    assert content.startswith("**宜居家园提醒:")
    assert "8月7日(周一) 截止" in content
    assert "[打开宜居家园](http://127.0.0.1:8000/workspace/?year=2017&month=7)" in content
    sent = Message.objects.get(webhook__community=community_one)
    assert sent.delivery_state == Message.Delivery.SENT


def test_a_dingtalk_robot_gets_its_own_format(
    world: Checklist, community_one: Community, robot: RobotServer
) -> None:
    WebhookEndpoint.objects.create(
        community=community_one, kind=WebhookEndpoint.Kind.DINGTALK, url=robot.url
    )
    run_reminders(at(2017, 8, 4, 9))
    [payload] = robot.received
    assert payload["markdown"]["title"].startswith("宜居家园提醒:")
    assert "8月7日(周一) 截止" in payload["markdown"]["text"]


def test_a_robot_that_refuses_the_message_leaves_it_to_be_sent_again(
    world: Checklist, community_one: Community
) -> None:
    refusing = RobotServer({"errcode": 93000, "errmsg": "invalid webhook url"})
    try:
        WebhookEndpoint.objects.create(
            community=community_one, kind=WebhookEndpoint.Kind.WECOM, url=refusing.url
        )
        run_reminders(at(2017, 8, 4, 9))
        message = Message.objects.get(webhook__community=community_one)
        assert message.delivery_state == Message.Delivery.PENDING
        assert "93000" in message.last_error
    finally:
        refusing.close()
