"""Writes of the notifications app: tell people something (``notify``), deliver messages,
mark them read, put work in the outbox and relay it to Celery."""

from __future__ import annotations

import datetime
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from communities.models import Community, Unit

from . import channels
from .models import Message, OutboxMessage, WebhookEndpoint

logger = logging.getLogger(__name__)


CLAIM_BATCH = 200


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


def messages_claim(
    *, limit: int = CLAIM_BATCH, after: int = 0, ids: Iterable[int] | None = None
) -> list[Message]:
    """Claim up to ``limit`` messages to deliver, in one statement, and load them (with
    their recipient or robot) in a second one; returns them, in id order.

    The claim is ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n)
    RETURNING id`` on PostgreSQL: two workers claiming at once take disjoint batches (the
    second skips the rows the first has locked, and a row the first has claimed no longer
    matches once it commits). SQLite has no row locks: its writers take turns, so the
    same statement without ``FOR UPDATE SKIP LOCKED`` claims each message once too. The
    claim commits at once; its time (``claimed_at``, to the microsecond) is the token the
    marks check, so a worker whose lease ran out (``REMINDER_CLAIM_SECONDS``) and whose
    messages were claimed again marks nothing. Only ids above ``after`` (a run's cursor,
    so that one run never claims again what it has just put back after a failure) or in
    ``ids`` are claimed."""
    now = timezone.now()
    stale = now - datetime.timedelta(seconds=settings.REMINDER_CLAIM_SECONDS)
    table = connection.ops.quote_name(Message._meta.db_table)
    features = connection.features
    locking = " FOR UPDATE SKIP LOCKED" if features.has_select_for_update_skip_locked else ""
    adapt = connection.ops.adapt_datetimefield_value
    only: list[int] = []
    if ids is not None:
        only = list(ids)
        if not only:
            return []
    among = f" AND id IN ({', '.join(['%s'] * len(only))})" if only else ""
    # Only the table's name and placeholders are formatted into the statement.
    sql = (
        f"UPDATE {table} SET delivery_state = %s, claimed_at = %s, attempts = attempts + 1"  # noqa: S608
        f" WHERE id IN (SELECT id FROM {table}"
        f" WHERE (delivery_state = %s OR (delivery_state = %s AND claimed_at < %s))"
        f" AND id > %s{among} ORDER BY id LIMIT %s{locking})"
        " RETURNING id"
    )
    params: list[Any] = [
        Message.Delivery.SENDING,
        adapt(now),
        Message.Delivery.PENDING,
        Message.Delivery.SENDING,
        adapt(stale),
        after,
        *only,
        limit,
    ]
    with connection.cursor() as cursor:  # one statement: atomic without a transaction
        cursor.execute(sql, params)
        claimed = [row[0] for row in cursor.fetchall()]
    if not claimed:
        return []
    return list(
        Message.objects.select_related("recipient", "webhook")
        .filter(pk__in=claimed, claimed_at=now)
        .order_by("pk")
    )


MAX_ATTEMPTS = 5


@contextmanager
def _marks_without_waiting_for_the_disk() -> Iterator[None]:
    """On PostgreSQL, commit the "sent" marks of a batch without waiting for the WAL to
    reach the disk (``synchronous_commit = off`` for this connection, until the batch
    ends): a mark is one round trip of a tenth of a millisecond instead of a flush of
    several. Another connection sees the mark at once, so a worker killed after it loses
    nothing; only a crash of PostgreSQL itself within about 0.6 s (three
    ``wal_writer_delay``) can lose a mark, and that message is then sent again after the
    lease. The claims stay synchronous."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def messages_send(*, messages: list[Message]) -> int:
    """Send a claimed batch (``_batch_send``); returns the number sent."""
    return _batch_send(messages)[0]


def _batch_send(messages: list[Message]) -> tuple[int, int | None]:
    """Send a claimed batch: the emails over one SMTP connection, the robots' one by one.
    Each message is marked sent as soon as its server accepted it (one ``UPDATE``, see
    ``_marks_without_waiting_for_the_disk``), so a worker killed in the middle of the
    batch leaves only the messages it had not sent, claimed, for the next run once the
    lease has passed. The messages that failed go back to waiting (or to failed after
    ``MAX_ATTEMPTS``) at the end of the batch, one ``UPDATE`` per distinct error; if the
    SMTP server cannot be reached, the batch's emails fail with that one error without
    trying each. A batch that runs into half the lease puts its unsent rest back, so that
    no other worker claims a message this one is still sending. Returns the number sent,
    and the id of the first message put back (None when every one was tried)."""
    if not messages:
        return 0, None
    started = time.monotonic()
    budget = settings.REMINDER_CLAIM_SECONDS / 2
    failures: dict[tuple[str, str], list[int]] = defaultdict(list)
    unsent: list[Message] = []
    mail: Any = None
    unreachable: Exception | None = None
    sent = 0
    with _marks_without_waiting_for_the_disk():
        try:
            for position, message in enumerate(messages):
                if position and time.monotonic() - started > budget:
                    unsent = messages[position:]
                    break
                try:
                    if message.webhook_id:
                        channels.webhook_send(message)
                    else:
                        if unreachable is not None:
                            raise unreachable
                        if mail is None:
                            mail = channels.email_connection()
                            try:
                                mail.open()
                            except Exception as error:
                                unreachable = error
                                mail = None
                                raise
                        channels.email_send(message, connection=mail)
                except Exception as error:  # noqa: BLE001 — any failure of the channel is recorded
                    logger.warning("message %s not delivered: %s", message.pk, error)
                    state: str = (
                        Message.Delivery.FAILED
                        if message.attempts >= MAX_ATTEMPTS
                        else Message.Delivery.PENDING
                    )
                    failures[(state, str(error)[:2000])].append(message.pk)
                    if mail is not None and not message.webhook_id:
                        # The connection may be broken: the next email opens a new one.
                        mail.close()
                        mail = None
                    continue
                Message.objects.filter(pk=message.pk, claimed_at=message.claimed_at).update(
                    delivery_state=Message.Delivery.SENT,
                    delivered_at=timezone.now(),
                    last_error="",
                )
                sent += 1
        finally:
            if mail is not None:
                mail.close()
    claimed_at = messages[0].claimed_at
    for (outcome, reason), ids in failures.items():
        Message.objects.filter(pk__in=ids, claimed_at=claimed_at).update(
            delivery_state=outcome, last_error=reason
        )
    if unsent:
        logger.warning("batch ran into half the lease: %s messages put back", len(unsent))
        Message.objects.filter(pk__in=[m.pk for m in unsent], claimed_at=claimed_at).update(
            delivery_state=Message.Delivery.PENDING, attempts=F("attempts") - 1
        )
    return sent, unsent[0].pk if unsent else None


def message_deliver(*, message_id: int) -> bool:
    """Send one message by email or to its group chat, if this worker wins the claim.
    Returns whether it was sent now."""
    return messages_send(messages=messages_claim(ids=[message_id], limit=1)) == 1


def messages_deliver(*, now: datetime.datetime | None = None, batch: int = CLAIM_BATCH) -> int:
    """Deliver what is waiting (and what a dead worker left claimed), a batch at a time:
    claim (one statement), load (one query), send over one SMTP connection with one mark
    per message sent. Any number of workers may run this at once: each claims its own
    batches. Returns the number sent. (``now`` is accepted for the callers that pass the
    run's moment; claims and leases go by the clock.)"""
    sent = 0
    after = 0
    while claimed := messages_claim(limit=batch, after=after):
        sent_now, put_back = _batch_send(claimed)
        sent += sent_now
        # Past the messages tried (a failure waits for the next run), not past those put back.
        after = claimed[-1].pk if put_back is None else put_back - 1
    return sent


def messages_deliver_fan_out(*, batch: int = CLAIM_BATCH) -> int:
    """Ask other workers to help deliver what is waiting: one ``notifications.messages_deliver``
    task per further batch, up to ``DELIVERY_WORKERS - 1``; the caller delivers too. Each
    task claims batches until none is left, so a task that starts late finds nothing and
    costs one query. Returns the number of tasks published (none when the broker is down:
    the caller delivers everything itself)."""
    waiting = Message.objects.claimable(now=timezone.now()).count()
    wanted = min(settings.DELIVERY_WORKERS - 1, -(-waiting // batch) - 1)
    published = 0
    for _ in range(max(wanted, 0)):
        try:
            current_app.send_task("notifications.messages_deliver")
        except Exception as error:  # noqa: BLE001 — the broker is down: deliver alone
            logger.warning("delivery fan-out: broker unavailable: %s", error)
            break
        published += 1
    return published


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
