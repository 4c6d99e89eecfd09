"""Reminders, the messages that carry them, and the outbox that hands work to Celery.

What is due lives here, in the database, never as a Celery countdown: a periodic job works
out which reminders are due, records each under its idempotency key (recipient, kind,
subject, period), and gathers the new ones of each recipient into one message (a digest).
Messages are delivered by claiming them with a conditional update, so any number of workers
may run and none sends twice.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities import access
from communities.models import Community, Membership, Unit
from tasks.models import Assignment


def _validate_days_list(value: str) -> None:
    parts = [part.strip() for part in value.replace(",", ",").split(",") if part.strip()]
    if not parts or not all(part.isdigit() and 0 < int(part) <= 366 for part in parts):
        raise ValidationError(_("请填写以逗号分隔的天数,如“30,7,1”。"))


class ReminderSettings(models.Model):
    """When reminders go out. One row, edited by the street admin in the admin."""

    send_at = models.TimeField(
        _("每日提醒时间"),
        default=datetime.time(8, 30),
        help_text=_("按日期到期的提醒在当天这一时间后发出。"),
    )
    filing_days_before = models.PositiveSmallIntegerField(
        _("截止前几天提醒填报"), default=3, help_text=_("填 0 不在截止前提醒。")
    )
    filing_on_deadline = models.BooleanField(_("截止当天提醒"), default=True)
    filing_after_deadline = models.BooleanField(_("逾期后提醒"), default=True)
    escalate_after_days = models.PositiveSmallIntegerField(
        _("逾期几天后报牵头单位和街道"),
        default=3,
        help_text=_("逾期满这么多天仍未提交的,提醒该任务的牵头单位和街道管理员。"),
    )
    meeting_hours_before = models.PositiveSmallIntegerField(_("会前几小时提醒参会人员"), default=24)
    community_meeting_gap_days = models.PositiveSmallIntegerField(
        _("社区联席会议间隔提醒(天)"),
        default=14,
        help_text=_("社区最近一次联席会议早于这么多天前时提醒。"),
    )
    street_meeting_gap_months = models.PositiveSmallIntegerField(
        _("街道联席会议间隔提醒(月)"), default=1
    )
    item_deadline_days_before = models.CharField(
        _("任务时限前几天提醒"),
        max_length=50,
        default="30,7,1",
        validators=[_validate_days_list],
        help_text=_("以逗号分隔,如“30,7,1”;逾期时另有提醒。"),
    )
    catch_up_days = models.PositiveSmallIntegerField(
        _("补发期限(天)"),
        default=31,
        help_text=_("系统停机错过的提醒,在这么多天内恢复时补发一次,更早的不再补发。"),
    )

    class Meta:
        verbose_name = _("提醒设置")
        verbose_name_plural = _("提醒设置")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="reminder_settings_single_row"),
            models.CheckConstraint(
                condition=Q(community_meeting_gap_days__gte=1)
                & Q(street_meeting_gap_months__gte=1)
                & Q(meeting_hours_before__gte=1)
                & Q(catch_up_days__gte=1),
                name="reminder_settings_positive",
            ),
        ]

    def __str__(self) -> str:
        return str(_("提醒设置"))

    @classmethod
    def load(cls) -> ReminderSettings:
        settings_row, _created = cls.objects.get_or_create(pk=1)
        return settings_row

    def item_deadline_offsets(self) -> list[int]:
        """Days before an item's deadline to remind, largest first."""
        parts = self.item_deadline_days_before.replace(",", ",").split(",")
        return sorted({int(part) for part in parts if part.strip().isdigit()}, reverse=True)


class WebhookEndpoint(models.Model):
    """A group chat robot (企业微信 / 钉钉) of a community or unit that receives its reminders."""

    class Kind(models.TextChoices):
        WECOM = "wecom", _("企业微信群机器人")
        DINGTALK = "dingtalk", _("钉钉群机器人")

    community = models.OneToOneField(
        Community,
        verbose_name=_("社区"),
        on_delete=models.CASCADE,
        related_name="webhook",
        null=True,
        blank=True,
    )
    unit = models.OneToOneField(
        Unit,
        verbose_name=_("单位"),
        on_delete=models.CASCADE,
        related_name="webhook",
        null=True,
        blank=True,
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    url = models.CharField(
        _("Webhook 地址"),
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("群机器人的 Webhook 地址,含 key 或 access_token。"),
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("群机器人")
        verbose_name_plural = _("群机器人")
        constraints = [
            models.CheckConstraint(
                condition=(Q(community__isnull=False) & Q(unit__isnull=True))
                | (Q(community__isnull=True) & Q(unit__isnull=False)),
                name="webhook_has_exactly_one_party",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.community or self.unit} · {self.get_kind_display()}"


class MessageQuerySet(models.QuerySet["Message"]):
    def for_user(self, user: settings.AUTH_USER_MODEL) -> MessageQuerySet:
        return self.filter(recipient=user)

    def unread(self) -> MessageQuerySet:
        return self.filter(read_at__isnull=True)

    def claimable(self, *, now: datetime.datetime) -> MessageQuerySet:
        """Waiting to be delivered, or claimed by a worker that has not finished within the
        lease (it died): the lease is ``REMINDER_CLAIM_SECONDS``."""
        stale = now - datetime.timedelta(seconds=settings.REMINDER_CLAIM_SECONDS)
        return self.filter(
            Q(delivery_state=Message.Delivery.PENDING)
            | Q(delivery_state=Message.Delivery.SENDING, claimed_at__lt=stale)
        )


class Message(models.Model):
    """One message to a person (in the portal, and by email) or to a group chat (webhook)."""

    class Kind(models.TextChoices):
        DIGEST = "digest", _("提醒")
        REPORT_RETURNED = "report_returned", _("进展被退回")
        EXTENSION_REQUESTED = "extension_requested", _("延期申请")
        EXTENSION_DECIDED = "extension_decided", _("延期审批结果")
        URGE = "urge", _("催办")

    class Delivery(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        SKIPPED = "skipped", _("无需发送")
        FAILED = "failed", _("发送失败")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("收件人"),
        on_delete=models.CASCADE,
        related_name="messages",
        null=True,
        blank=True,
    )
    webhook = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("群机器人"),
        on_delete=models.CASCADE,
        related_name="messages",
        null=True,
        blank=True,
    )
    kind = models.CharField(_("类型"), max_length=30, choices=Kind.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    url = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    delivery_state = models.CharField(
        _("发送状态"), max_length=10, choices=Delivery.choices, default=Delivery.PENDING
    )
    claimed_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("发送次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(recipient__isnull=False) & Q(webhook__isnull=True))
                | (Q(recipient__isnull=True) & Q(webhook__isnull=False)),
                name="message_has_exactly_one_recipient",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="message_inbox"),
            models.Index(fields=["delivery_state", "claimed_at"], name="message_delivery"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Reminder(models.Model):
    """One thing a recipient is reminded of, once: its key is (recipient, kind, subject,
    period), unique in the database. It goes out in its recipient's next digest."""

    class Kind(models.TextChoices):
        FILING_BEFORE = "filing_before", _("填报截止前提醒")
        FILING_DUE = "filing_due", _("填报截止当天提醒")
        FILING_OVERDUE = "filing_overdue", _("填报逾期提醒")
        FILING_ESCALATION = "filing_escalation", _("逾期未报上报")
        MEETING_UPCOMING = "meeting_upcoming", _("会前提醒")
        MEETING_GAP = "meeting_gap", _("联席会议间隔提醒")
        ITEM_DEADLINE = "item_deadline", _("任务时限临近")
        ITEM_OVERDUE = "item_overdue", _("任务逾期")

    recipient_key = models.CharField(
        _("收件人"), max_length=40, help_text=_("user:<id> 或 webhook:<id>。")
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("收件人"),
        on_delete=models.CASCADE,
        related_name="reminders",
        null=True,
        blank=True,
    )
    webhook = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("群机器人"),
        on_delete=models.CASCADE,
        related_name="reminders",
        null=True,
        blank=True,
    )
    kind = models.CharField(_("类型"), max_length=30, choices=Kind.choices)
    subject = models.CharField(
        _("对象"), max_length=60, help_text=_("如 community:5、meeting:9、assignment:77。")
    )
    period = models.CharField(_("期次"), max_length=60, help_text=_("如 2017-07@2017-08-07。"))
    text = models.TextField(_("内容"))
    url = models.CharField(_("链接"), max_length=300, blank=True)
    due_at = models.DateTimeField(_("应发时间"))
    created_at = models.DateTimeField(_("记录时间"), default=timezone.now)
    message = models.ForeignKey(
        Message,
        verbose_name=_("所在消息"),
        on_delete=models.SET_NULL,
        related_name="reminders",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("提醒")
        verbose_name_plural = _("提醒")
        ordering = ["-due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient_key", "kind", "subject", "period"],
                name="reminder_idempotency_key",
            ),
            models.CheckConstraint(
                condition=(Q(recipient__isnull=False) & Q(webhook__isnull=True))
                | (Q(recipient__isnull=True) & Q(webhook__isnull=False)),
                name="reminder_has_exactly_one_recipient",
            ),
        ]
        indexes = [
            models.Index(
                fields=["recipient_key"],
                condition=Q(message__isnull=True),
                name="reminder_undelivered",
            ),
            models.Index(fields=["kind", "subject", "period"], name="reminder_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_key} {self.get_kind_display()} {self.subject} {self.period}"


class OutboxMessage(models.Model):
    """A Celery task a web request asked for, written in the request's own transaction.

    The relay (``notifications.jobs.outbox_relay``) publishes it to the broker later, so a
    broker that is down never breaks a page, and work asked for is never lost."""

    task = models.CharField(_("任务"), max_length=200)
    kwargs = models.JSONField(_("参数"), default=dict)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    published_at = models.DateTimeField(_("投递时间"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("投递次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)

    class Meta:
        verbose_name = _("待投递任务")
        verbose_name_plural = _("待投递任务")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(published_at__isnull=True),
                name="outbox_unpublished",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task} {self.kwargs}"


def party_assignments(user: access.AnyUser) -> models.QuerySet[Assignment]:
    """Assignments of the communities and units the user is staff of (a Membership): the
    people an urge goes to, and who acknowledge it."""
    if not user.is_authenticated:
        return Assignment.objects.none()
    memberships = Membership.objects.filter(user=user)
    return Assignment.objects.filter(
        Q(community__in=memberships.filter(community__isnull=False).values("community"))
        | Q(unit__in=memberships.filter(unit__isnull=False).values("unit"))
    )


class UrgeNoticeQuerySet(models.QuerySet["UrgeNotice"]):
    def visible_to(self, user: access.AnyUser) -> UrgeNoticeQuerySet:
        """Urges the user may open: those to their own community or unit, those they sent,
        those on items their unit leads, and all of them for the street admin and
        leadership. One query, whatever the number of urges."""
        if not user.is_authenticated:
            return self.none()
        if access.sees_everything(user):
            return self
        return self.filter(
            Q(sent_by=user)
            | Q(assignment__in=party_assignments(user))
            | Q(assignment__in=Assignment.objects.reviewable_by(user))
        )

    def for_cell(self, assignment_id: int, year: int, month: int) -> UrgeNoticeQuerySet:
        return self.filter(assignment_id=assignment_id, year=year, month=month)

    def unacknowledged(self) -> UrgeNoticeQuerySet:
        return self.filter(acknowledged_at__isnull=True)


class UrgeNotice(models.Model):
    """An urging notice (催办) about one late cell of the completion dashboard: one
    assignment's report for one month, not handed in while its filing deadline has passed.
    The street admin or the item's lead unit sends it; the party's staff acknowledge it."""

    assignment = models.ForeignKey(
        Assignment,
        verbose_name=_("任务分派"),
        on_delete=models.CASCADE,
        related_name="urge_notices",
    )
    year = models.PositiveSmallIntegerField(_("年"))
    month = models.PositiveSmallIntegerField(_("月"))
    text = models.TextField(_("催办内容"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("催办人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("催办时间"), default=timezone.now)
    sent_on = models.DateField(
        _("催办日期"), help_text=_("催办时间在上海时区的日期:同一月报同一天只催办一次。")
    )
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = UrgeNoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("催办")
        verbose_name_plural = _("催办")
        ordering = ["-sent_at", "-pk"]
        constraints = [
            # A double-clicked button, or two people at once, urge a month once a day.
            models.UniqueConstraint(
                fields=["assignment", "year", "month", "sent_on"],
                condition=Q(acknowledged_at__isnull=True),
                name="urge_one_pending_per_cell_and_day",
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1) & Q(month__lte=12), name="urge_month_range"
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True) | Q(acknowledged_by__isnull=False),
                name="urge_acknowledged_by_someone",
            ),
        ]
        indexes = [
            models.Index(fields=["assignment", "year", "month"], name="urge_cell"),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} · {self.year}年{self.month}月 · {self.sent_at:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("urge_detail", args=[self.pk])

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    @property
    def period_label(self) -> str:
        return f"{self.year}年{self.month}月"

    def filing_deadline(self) -> datetime.date:
        """The month's filing deadline as it stands now (a later granted extension moves
        it; uses a prefetch of ``assignment__extensions``)."""
        return self.assignment.filing_deadline(self.year, self.month)

    def days_late(self, today: datetime.date) -> int:
        """Days past the filing deadline on ``today`` (0 when not past)."""
        return max(0, (today - self.filing_deadline()).days)
