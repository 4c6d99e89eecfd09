"""Celery jobs of delivery. Each takes primary keys or nothing, loads what it needs
again, and calls a service; every one is safe to run twice or on several workers at once."""

from __future__ import annotations

import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)


@shared_task(name="notifications.messages_deliver")
def messages_deliver() -> int:
    """Deliver waiting messages, and those a worker that died left claimed, a batch at a
    time until none is left: the 5-minute sweep, and the helpers a reminder run asks for
    (``services.messages_deliver_fan_out``)."""
    return services.messages_deliver()


@shared_task(name="notifications.message_deliver")
def message_deliver(message_id: int) -> bool:
    return services.message_deliver(message_id=message_id)


@shared_task(name="notifications.outbox_relay")
def outbox_relay() -> int:
    return services.outbox_relay()
