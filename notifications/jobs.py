"""Celery jobs. Each takes primary keys or nothing, loads what it needs again, and calls a
service; every one is safe to run twice or on several workers at once."""

from __future__ import annotations

import datetime
import logging

from celery import shared_task
from django.utils import timezone

from . import services

logger = logging.getLogger(__name__)


def _moment(now: str | None) -> datetime.datetime:
    """``now`` as an ISO date-time: lets the operator re-run a day (the default is now)."""
    return datetime.datetime.fromisoformat(now) if now else timezone.now()


@shared_task(name="notifications.reminders_run")
def reminders_run(now: str | None = None) -> dict[str, int]:
    """The periodic reminder run: store what is due, gather it into one digest per
    recipient, deliver. A missed run is caught up by the next one."""
    moment = _moment(now)
    due = services.reminders_plan(now=moment)
    composed = services.digests_compose(now=moment)
    sent = services.messages_deliver()
    logger.info("reminders: %s due, %s messages composed, %s sent", due, composed, sent)
    return {"due": due, "composed": composed, "sent": sent}


@shared_task(name="notifications.messages_deliver")
def messages_deliver() -> int:
    """Deliver waiting messages, and those a worker that died left claimed."""
    return services.messages_deliver()


@shared_task(name="notifications.message_deliver")
def message_deliver(message_id: int) -> bool:
    return services.message_deliver(message_id=message_id)


@shared_task(name="notifications.outbox_relay")
def outbox_relay() -> int:
    return services.outbox_relay()
