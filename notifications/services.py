"""Writes of the notifications app: store due reminders, gather them into digests, deliver
messages, mark them read, and put work in the outbox."""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable
from itertools import islice

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from communities.models import Community, Unit

from . import channels
from .models import Message, OutboxMessage, Reminder, ReminderSettings, WebhookEndpoint
from .reminders import Due, due_reminders

logger = logging.getLogger(__name__)

BATCH = 1000
DIGEST_LINES = 30


def _chunks(iterable: Iterable, size: int) -> Iterable[list]:
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def reminders_plan(*, now: datetime.datetime | None = None) -> int:
    """Store every reminder due as of ``now`` that is not stored yet; returns how many
    are due (stored now or before). Safe to run any number of times, and at once: the
    unique key (recipient, kind, subject, period) drops the repeats in the database."""
    now = now or timezone.now()
    reminder_settings = ReminderSettings.load()
    due = 0
    for chunk in _chunks(due_reminders(now, reminder_settings), BATCH):
        Reminder.objects.bulk_create(
            [_reminder_row(item, now) for item in chunk], ignore_conflicts=True
        )
        due += len(chunk)
    return due


def _reminder_row(due: Due, now: datetime.datetime) -> Reminder:
    return Reminder(
        recipient_key=due.recipient.key,
        recipient_id=due.recipient.user_id,
        webhook_id=due.recipient.webhook_id,
        kind=due.kind,
        subject=due.subject,
        period=due.period,
        text=due.text,
        url=due.url,
        due_at=due.due_at,
        created_at=now,
    )


def digests_compose(*, now: datetime.datetime | None = None) -> int:
    """Gather each recipient's reminders not sent yet into one message. Returns the
    number of messages. The reminders are locked while they are gathered, so two runs at
    once never put one reminder in two messages."""
    now = now or timezone.now()
    keys = (
        Reminder.objects.filter(message__isnull=True)
        .values_list("recipient_key", flat=True)
        .distinct()
        .order_by("recipient_key")
    )
    composed = 0
    for chunk in _chunks(list(keys), 500):
        composed += _compose_chunk(chunk, now)
    return composed


@transaction.atomic
def _compose_chunk(keys: list[str], now: datetime.datetime) -> int:
    reminders = list(
        Reminder.objects.select_for_update(of=("self",))
        .filter(recipient_key__in=keys, message__isnull=True)
        .select_related("recipient")
        .order_by("recipient_key", "kind", "due_at", "pk")
    )
    grouped: dict[str, list[Reminder]] = defaultdict(list)
    for reminder in reminders:
        grouped[reminder.recipient_key].append(reminder)
    messages = []
    for group in grouped.values():
        first = group[0]
        email = first.recipient.email if first.recipient_id else ""
        has_channel = bool(email) or first.webhook_id is not None
        messages.append(
            Message(
                recipient_id=first.recipient_id,
                webhook_id=first.webhook_id,
                kind=Message.Kind.DIGEST,
                title=_digest_title(group),
                body=_digest_body(group),
                url=group[0].url if len({r.url for r in group}) == 1 else "",
                created_at=now,
                delivery_state=Message.Delivery.PENDING
                if has_channel
                else Message.Delivery.SKIPPED,
            )
        )
    Message.objects.bulk_create(messages)
    for message, group in zip(messages, grouped.values(), strict=True):
        Reminder.objects.filter(pk__in=[reminder.pk for reminder in group]).update(message=message)
    return len(messages)


def _digest_title(group: list[Reminder]) -> str:
    return f"宜居家园提醒:{len(group)} 件事项需要处理"


def _digest_body(group: list[Reminder]) -> str:
    lines = []
    for reminder in group[:DIGEST_LINES]:
        lines.append(f"· [{reminder.get_kind_display()}] {reminder.text}")
        if reminder.url:
            lines.append(f"  {settings.SITE_URL}{reminder.url}")
    if len(group) > DIGEST_LINES:
        lines.append(f"……另有 {len(group) - DIGEST_LINES} 件,请登录查看。")
    return "\n".join(lines)


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


def message_mark_read(*, message: Message, user: AbstractBaseUser) -> None:
    Message.objects.filter(pk=message.pk, recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def messages_mark_all_read(*, user: AbstractBaseUser) -> int:
    return Message.objects.for_user(user).unread().update(read_at=timezone.now())


def outbox_add(*, task: str, **kwargs: object) -> OutboxMessage:
    """Ask for a Celery task from inside a transaction. The relay publishes it after the
    transaction commits; if the transaction rolls back, the task was never asked for."""
    return OutboxMessage.objects.create(task=task, kwargs=kwargs)


def outbox_relay(*, limit: int = 500) -> int:
    """Publish waiting outbox rows to the broker. A row is marked published in the same
    transaction that locked it, so two relays never publish one row twice; if the broker
    is down, the rows stay and the next run tries again."""
    from yijia.celery import app

    published = 0
    with transaction.atomic():
        rows = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(published_at__isnull=True)
            .order_by("pk")[:limit]
        )
        for row in rows:
            try:
                app.send_task(row.task, kwargs=row.kwargs)
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
) -> list[AbstractBaseUser]:
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
    users: Iterable[AbstractBaseUser],
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
