"""Writes of the reminders app: store the reminders due as of a moment (``reminders.due``
says which), and gather each recipient's new ones into one message (a digest) that
``notifications`` delivers."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from itertools import islice

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from notifications.models import Message
from notifications.services import messages_deliver, messages_deliver_fan_out

from .due import Due, due_reminders
from .models import Reminder, ReminderSettings
from .signals import reminders_sent

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
        email = first.recipient.email if first.recipient is not None else ""
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
    _reminders_link(
        [
            (reminder.pk, message.pk)
            for message, group in zip(messages, grouped.values(), strict=True)
            for reminder in group
        ]
    )
    if messages:
        reminders_sent.send(sender=Reminder)
    return len(messages)


def _reminders_link(links: list[tuple[int, int]]) -> None:
    """Put each reminder in its message: one ``UPDATE … FROM unnest(…)`` for the chunk on
    PostgreSQL, Django's ``bulk_update`` (a ``CASE`` per batch) elsewhere."""
    if not links:
        return
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Reminder._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET message_id = link.message_id"  # noqa: S608 — names only
                " FROM unnest(%s::bigint[], %s::bigint[]) AS link(id, message_id)"
                f" WHERE {table}.id = link.id",
                [[pk for pk, _ in links], [message for _, message in links]],
            )
        return
    Reminder.objects.bulk_update(
        [Reminder(pk=pk, message_id=message) for pk, message in links],
        ["message"],
        batch_size=BATCH,
    )


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


def reminders_run(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """One reminder run: store what is due, gather it into one digest per recipient,
    deliver — with the help of other workers when there is more than a batch to send
    (``messages_deliver_fan_out``). The periodic job and ``manage.py send_reminders`` both
    call this; ``sent`` counts what this worker sent."""
    now = now or timezone.now()
    due = reminders_plan(now=now)
    composed = digests_compose(now=now)
    messages_deliver_fan_out()
    sent = messages_deliver()
    return {"due": due, "composed": composed, "sent": sent}
