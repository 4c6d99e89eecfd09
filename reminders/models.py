"""What people are reminded of: one row per reminder under its idempotency key, and the
street admin's settings of when reminders go out. ``reminders.due`` works out what is due;
``notifications`` delivers the digests.

The tables keep the names they had when they lived in ``notifications`` (``db_table``).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.validators import validate_days_list
from notifications.models import Message, WebhookEndpoint


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
        validators=[validate_days_list],
        help_text=_("以逗号分隔,如“30,7,1”;逾期时另有提醒。"),
    )
    catch_up_days = models.PositiveSmallIntegerField(
        _("补发期限(天)"),
        default=31,
        help_text=_("系统停机错过的提醒,在这么多天内恢复时补发一次,更早的不再补发。"),
    )
    reports_submitted_daily = models.BooleanField(
        _("每日汇总新提交的月报给牵头单位"),
        default=True,
        help_text=_("每天一次,告诉牵头单位人员自上次汇总以来新提交、待审核的月报各有几份。"),
    )

    class Meta:
        db_table = "notifications_remindersettings"
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
        numbers = {part.strip() for part in parts}
        return sorted({int(n) for n in numbers if n.isascii() and n.isdigit()}, reverse=True)


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
        REPORTS_SUBMITTED = "reports_submitted", _("新提交月报待审核")

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
        db_table = "notifications_reminder"
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
