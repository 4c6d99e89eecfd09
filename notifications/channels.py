"""The ways a message leaves the portal: email (Django's mail backends; SMTP in
production) and group chat robots (企业微信 / 钉钉 webhooks). The in-app inbox needs no
channel: the message row is the notification."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from .models import Message, WebhookEndpoint

# 企业微信 accepts 4096 bytes of markdown, 钉钉 20000; stay under both.
WEBHOOK_MAX_BYTES = 4000


def email_connection() -> Any:
    return get_connection()


def email_send(message: Message, *, connection: Any = None) -> None:
    """Email the message to its recipient. Raises if the server refuses it."""
    # A message without a group robot has a recipient (message_has_exactly_one_recipient).
    assert message.recipient is not None  # noqa: S101 (narrowing)
    body = message.body
    if message.url:
        body += f"\n\n{settings.SITE_URL}{message.url}"
    body += "\n\n—— 宜居家园目标任务管理(此邮件由系统发出,请勿回复)"
    EmailMessage(
        subject=message.title,
        body=body,
        to=[message.recipient.email],
        connection=connection,
    ).send(fail_silently=False)


def _truncate(text: str) -> str:
    encoded = text.encode()
    if len(encoded) <= WEBHOOK_MAX_BYTES:
        return text
    return encoded[: WEBHOOK_MAX_BYTES - 10].decode(errors="ignore") + "\n……"


def webhook_payload(message: Message) -> dict[str, Any]:
    """The robot's markdown message: the title in bold, the lines, the link."""
    link = f"\n\n[打开宜居家园]({settings.SITE_URL}{message.url})" if message.url else ""
    text = _truncate(f"**{message.title}**\n\n{message.body}{link}")
    assert message.webhook is not None  # noqa: S101 (only robot messages come here)
    if message.webhook.kind == WebhookEndpoint.Kind.DINGTALK:
        return {"msgtype": "markdown", "markdown": {"title": message.title, "text": text}}
    return {"msgtype": "markdown", "markdown": {"content": text}}


def webhook_send(message: Message) -> None:
    """POST the message to the group robot. Raises on a refusal: both robots answer 200
    with ``errcode`` 0 when they accept a message."""
    assert message.webhook is not None  # noqa: S101 (only robot messages come here)
    request = urllib.request.Request(  # noqa: S310 — the URL is validated as http(s)
        message.webhook.url,
        data=json.dumps(webhook_payload(message), ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    with urllib.request.urlopen(  # noqa: S310
        request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS
    ) as response:
        answer = json.loads(response.read() or b"{}")
    if answer.get("errcode", 0) != 0:
        raise RuntimeError(f"webhook refused the message: {answer}")
