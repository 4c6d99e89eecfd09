"""Writes of the notifications app: tell people something (``notify``), deliver messages,
mark them read, put work in the outbox and relay it to Celery."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable

from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from communities.models import Community, Unit

from . import channels
from .models import Message, OutboxMessage, WebhookEndpoint

logger = logging.getLogger(__name__)


def message_claim(*, message_id: int, now: datetime.datetime) -> bool:
    """Claim a message for delivery with a conditional update: only one worker wins."""
    stale = now - datetime.timedelta(seconds=settings.REMINDER_CLAIM_SECONDS)
    won = (
        Message.objects.filter(pk=message_id)
        .filter(
            Q(delivery_state=Message.Delivery.PENDING)
            | Q(delivery_state=Message.Delivery.SENDING, claimed_at__lt=stale)
        )
        .update(
            delivery_state=Message.Delivery.SENDING,
            claimed_at=now,
            attempts=F("attempts") + 1,
        )
    )
    return won == 1


MAX_ATTEMPTS = 5


def message_deliver(*, message_id: int, connection: object | None = None) -> bool:
    """Send one message by email or to its group chat, if this worker wins the claim.
    Returns whether it was sent now."""
    now = timezone.now()
    if not message_claim(message_id=message_id, now=now):
        return False
    message = Message.objects.select_related("recipient", "webhook").get(pk=message_id)
    try:
        if message.webhook_id:
            channels.webhook_send(message)
        else:
            channels.email_send(message, connection=connection)
    except Exception as error:  # noqa: BLE001 — any failure of the channel is recorded
        logger.warning("message %s not delivered: %s", message_id, error)
        state = (
            Message.Delivery.FAILED
            if message.attempts >= MAX_ATTEMPTS
            else Message.Delivery.PENDING
        )
        Message.objects.filter(pk=message_id, claimed_at=now).update(
            delivery_state=state, last_error=str(error)[:2000]
        )
        return False
    Message.objects.filter(pk=message_id, claimed_at=now).update(
        delivery_state=Message.Delivery.SENT, delivered_at=timezone.now(), last_error=""
    )
    return True


def messages_deliver(*, now: datetime.datetime | None = None) -> int:
    """Deliver what is waiting (and what a dead worker left claimed). Returns the number
    sent. One SMTP connection for the batch; several workers may run this at once, each
    message goes to the one that claims it."""
    now = now or timezone.now()
    ids = list(Message.objects.claimable(now=now).order_by("pk").values_list("pk", flat=True))
    sent = 0
    connection = channels.email_connection()
    try:
        for message_id in ids:
            sent += message_deliver(message_id=message_id, connection=connection)
    finally:
        connection.close()
    return sent


def message_mark_read(*, message: Message, user: User) -> None:
    Message.objects.filter(pk=message.pk, recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def messages_mark_all_read(*, user: User) -> int:
    return Message.objects.for_user(user).unread().update(read_at=timezone.now())


def outbox_add(*, task: str, **kwargs: object) -> OutboxMessage:
    """Ask for a Celery task from inside a transaction. The relay publishes it after the
    transaction commits; if the transaction rolls back, the task was never asked for."""
    return OutboxMessage.objects.create(task=task, kwargs=kwargs)


def outbox_relay(*, limit: int = 500) -> int:
    """Publish waiting outbox rows to the broker. A row is marked published in the same
    transaction that locked it, so two relays never publish one row twice; if the broker
    is down, the rows stay and the next run tries again."""
    published = 0
    with transaction.atomic():
        rows = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(published_at__isnull=True)
            .order_by("pk")[:limit]
        )
        for row in rows:
            try:
                current_app.send_task(row.task, kwargs=row.kwargs)
            except Exception as error:  # noqa: BLE001 — the broker is down: keep the row
                logger.warning("outbox relay: broker unavailable: %s", error)
                OutboxMessage.objects.filter(pk=row.pk).update(
                    attempts=F("attempts") + 1, last_error=str(error)[:2000]
                )
                break
            row.published_at = timezone.now()
            row.save(update_fields=["published_at"])
            published += 1
    return published


def party_staff(
    *,
    community: Community | None = None,
    unit: Unit | None = None,
    unit_ids: Iterable[int] = (),
) -> list[User]:
    """The active staff of a community or of units (their Memberships)."""
    parties = Q(pk__in=[])
    if community is not None:
        parties |= Q(memberships__community=community)
    if unit is not None:
        parties |= Q(memberships__unit=unit)
    unit_ids = list(unit_ids)
    if unit_ids:
        parties |= Q(memberships__unit_id__in=unit_ids)
    return list(get_user_model().objects.filter(parties, is_active=True).distinct())


def notify(
    *,
    users: Iterable[User],
    kind: str,
    title: str,
    body: str,
    url: str,
    webhooks: Iterable[WebhookEndpoint] = (),
) -> list[Message]:
    """Tell people something now (a report returned, an extension asked for): a message in
    their inbox, and email through the outbox. Call inside the caller's transaction."""
    messages = [
        Message(
            recipient=user,
            kind=kind,
            title=title,
            body=body,
            url=url,
            delivery_state=Message.Delivery.PENDING if user.email else Message.Delivery.SKIPPED,
        )
        for user in users
        if user.is_active
    ]
    messages += [
        Message(webhook=webhook, kind=kind, title=title, body=body, url=url)
        for webhook in webhooks
        if webhook.is_active
    ]
    Message.objects.bulk_create(messages)
    for message in messages:
        if message.delivery_state == Message.Delivery.PENDING:
            outbox_add(task="notifications.message_deliver", message_id=message.pk)
    return messages
