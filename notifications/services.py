"""Writes of the notifications app: store due reminders, gather them into digests, deliver
messages, mark them read, put work in the outbox, and send and acknowledge urges (催办)."""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable
from itertools import islice

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from communities import access
from communities.models import Community, Unit
from tasks.models import Assignment, ProgressReport

from . import channels
from .models import (
    Message,
    OutboxMessage,
    Reminder,
    ReminderSettings,
    UrgeNotice,
    WebhookEndpoint,
    party_assignments,
)
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


# ---------------------------------------------------------------------------------------
# Urges (催办): from a late cell of the completion dashboard, the street admin or the
# item's lead unit urges the party to file; the party's staff acknowledge (确认收到).

UrgeKey = tuple[int, int, int]  # (assignment_id, year, month): one cell of the dashboard

# Up to this many assignments of one month are named in the query of ``latest_urges``;
# beyond, the whole month's urges are read (they are few: at most one a cell a day).
URGE_IDS_IN_QUERY = 500


def urgeable_assignments(user: access.AnyUser) -> QuerySet[Assignment]:
    """Assignments the user may urge: every one for the street admin
    (``access.URGE_PARTIES``), those on items their unit leads for lead-unit staff.
    Leadership reads, and urges nothing."""
    if not user.is_authenticated:
        return Assignment.objects.none()
    if access.may_urge_everywhere(user):
        return Assignment.objects.all()
    return Assignment.objects.reviewable_by(user)


def may_urge(user: access.AnyUser, assignment: Assignment) -> bool:
    return urgeable_assignments(user).filter(pk=assignment.pk).exists()


def _urge_default_text(
    assignment: Assignment, month: int, deadline: datetime.date, days_late: int
) -> str:
    return (
        f"请尽快填报第 {assignment.item.number} 项 {month}月进展,"
        f"截止日期为 {deadline:%Y-%m-%d},已逾期 {days_late} 天。"
    )


@transaction.atomic
def urge_send(
    *, assignment: Assignment, year: int, month: int, by: AbstractBaseUser, text: str = ""
) -> UrgeNotice:
    """Urge the party of ``assignment`` to file its report of ``year``-``month``, which is
    not handed in while its filing deadline has passed. Each of the party's staff gets a
    message in the inbox, and by email, linking to the page where they acknowledge it.

    A month already urged today and not acknowledged yet is not urged again: the pending
    urge is returned (a double-clicked button sends once)."""
    if not may_urge(by, assignment):
        raise PermissionDenied("只有街道管理员或该任务的牵头单位可以催办。")
    if not 1 <= month <= 12:
        raise ValidationError("月份应在 1 到 12 之间。")
    assignment = (
        Assignment.objects.select_related("item__checklist", "community", "unit")
        .prefetch_related("extensions")
        .get(pk=assignment.pk)
    )
    if year != assignment.item.checklist.year:
        checklist_year = assignment.item.checklist.year
        raise ValidationError(f"{checklist_year}年度清单的任务只能催办{checklist_year}年的月份。")
    state = ProgressReport.WorkflowState
    handed_in = (
        ProgressReport.objects.for_month(year, month)
        .filter(assignment=assignment, workflow_state__in=(state.SUBMITTED, state.APPROVED))
        .values_list("workflow_state", flat=True)
        .first()
    )
    if handed_in is not None:
        label = state(handed_in).label
        raise ValidationError(f"{assignment.party} 的 {month}月进展{label},无需催办。")
    deadline = assignment.filing_deadline(year, month)
    today = timezone.localdate()
    if today <= deadline:
        raise ValidationError(
            f"{month}月进展的填报截止日期为 {deadline:%Y-%m-%d},尚未逾期,不能催办。"
        )

    pending = UrgeNotice.objects.for_cell(assignment.pk, year, month).unacknowledged()
    if (urge := pending.filter(sent_on=today).first()) is not None:
        return urge
    days_late = (today - deadline).days
    try:
        with transaction.atomic():
            urge = UrgeNotice.objects.create(
                assignment=assignment,
                year=year,
                month=month,
                text=text.strip() or _urge_default_text(assignment, month, deadline, days_late),
                sent_by=by,
                sent_at=timezone.now(),
                sent_on=today,
            )
    except IntegrityError:
        # Sent by a concurrent request a moment ago (urge_one_pending_per_cell_and_day).
        return pending.get(sent_on=today)
    urge.assignment = assignment
    sender = by.get_full_name() or by.get_username()
    notify(
        users=party_staff(community=assignment.community, unit=assignment.unit),
        kind=Message.Kind.URGE,
        title=f"催办:请尽快填报第 {assignment.item.number} 项 {month}月进展",
        body=f"{urge.text}\n催办人:{sender}\n请打开链接确认收到。",
        url=urge.get_absolute_url(),
    )
    return urge


@transaction.atomic
def urge_acknowledge(*, urge: UrgeNotice, by: AbstractBaseUser) -> UrgeNotice:
    """The party's staff confirm they received the urge. Acknowledging twice (a
    double-click, or two colleagues) keeps the first acknowledgement. The acknowledging
    person's message about it is marked read."""
    if not party_assignments(by).filter(pk=urge.assignment_id).exists():
        raise PermissionDenied("只有被催办的社区或单位的工作人员可以确认收到。")
    now = timezone.now()
    UrgeNotice.objects.filter(pk=urge.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=now, acknowledged_by=by
    )
    Message.objects.for_user(by).unread().filter(
        kind=Message.Kind.URGE, url=urge.get_absolute_url()
    ).update(read_at=now)
    urge.refresh_from_db(fields=["acknowledged_at", "acknowledged_by"])
    return urge


def latest_urges(keys: Iterable[UrgeKey]) -> dict[UrgeKey, UrgeNotice]:
    """The latest urge of each cell ``(assignment_id, year, month)`` that has one, with
    its sender and acknowledger. One query, whatever the number of keys."""
    wanted = set(keys)
    if not wanted:
        return {}
    months: dict[tuple[int, int], set[int]] = defaultdict(set)
    for assignment_id, year, month in wanted:
        months[(year, month)].add(assignment_id)
    cells = Q()
    for (year, month), assignment_ids in months.items():
        in_month = Q(year=year, month=month)
        if len(assignment_ids) <= URGE_IDS_IN_QUERY:
            in_month &= Q(assignment_id__in=sorted(assignment_ids))
        cells |= in_month
    urges = (
        UrgeNotice.objects.filter(cells)
        .annotate(
            newest_first=Window(
                RowNumber(),
                partition_by=[F("assignment_id"), F("year"), F("month")],
                order_by=[F("sent_at").desc(), F("pk").desc()],
            )
        )
        .filter(newest_first=1)
        .select_related("sent_by", "acknowledged_by")
    )
    latest = {}
    for urge in urges:
        key = (urge.assignment_id, urge.year, urge.month)
        if key in wanted:
            latest[key] = urge
    return latest


def urge_counts_for_month(assignment_ids: Iterable[int], year: int, month: int) -> dict[int, int]:
    """How many times each assignment was urged for ``year``-``month`` (only those urged
    at least once). One query."""
    rows = (
        UrgeNotice.objects.filter(assignment_id__in=list(assignment_ids), year=year, month=month)
        .values("assignment_id")
        .annotate(urges=Count("pk"))
        .order_by()
    )
    return {row["assignment_id"]: row["urges"] for row in rows}
