"""Joint meetings (联席会议) and the other recurring duties of the checklist.

A recurring duty is a frequency target of the checklist: item 14's street-level monthly and
community-level fortnightly joint meetings, item 3's monthly 党员议事会 decision meeting,
item 16's weekly contact between each 居委会 and 城管. Each time a duty is done, someone
records a ``Meeting`` against its target: for a community, or for the street (no community).
Compliance per party and month is computed from these records.
"""

from __future__ import annotations

import datetime
import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from communities import access as community_access
from communities.models import Community
from core.typing import AnyUser
from tasks.models import Item, Target, get_evidence_storage

from . import access as meeting_access


class MeetingQuerySet(models.QuerySet["Meeting"]):
    def held(self) -> MeetingQuerySet:
        return self.filter(state=Meeting.State.HELD)

    def scheduled(self) -> MeetingQuerySet:
        return self.filter(state=Meeting.State.SCHEDULED)

    def street_level(self) -> MeetingQuerySet:
        return self.filter(community__isnull=True)

    def for_community(self, community: Community) -> MeetingQuerySet:
        return self.filter(community=community)

    def for_month(self, year: int, month: int) -> MeetingQuerySet:
        """Meetings starting in ``year``-``month``, Shanghai time."""
        start, end = month_bounds(year, month)
        return self.filter(starts_at__gte=start, starts_at__lt=end)

    def visible_to(self, user: AnyUser) -> MeetingQuerySet:
        """Everyone sees the street's meetings; a community's meetings are seen by its own
        staff, by unit staff (who lead or attend them) and by those who see everything
        (``meetings.access.sees_every_community``). One query."""
        if not user.is_authenticated:
            return self.none()
        if community_access.sees_every_community(user):
            return self
        return self.filter(
            Q(community__isnull=True) | community_access.own_community_q(user, "community")
        )

    def editable_by(self, user: AnyUser) -> MeetingQuerySet:
        """Meetings the user may change (edit, cancel, attach files to): see
        ``meetings.access.editable_q``."""
        return self.filter(meeting_access.editable_q(user))

    def with_details(self) -> MeetingQuerySet:
        """With what a meeting's page shows: its duty and item, party, people, files."""
        return self.select_related(
            "target__item__checklist", "community", "recorded_by"
        ).prefetch_related(
            "attendees",
            models.Prefetch("items", queryset=Item.objects.order_by("number")),
            models.Prefetch(
                "attachments", queryset=MeetingAttachment.objects.select_related("uploaded_by")
            ),
        )


def month_bounds(year: int, month: int) -> tuple[datetime.datetime, datetime.datetime]:
    """The first moment of ``year``-``month`` and of the month after, in the portal's time
    zone (a meeting at 23:30 on 31 July in Shanghai belongs to July)."""
    zone = timezone.get_current_timezone()
    start = datetime.datetime(year, month, 1, tzinfo=zone)
    end = datetime.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    return start, end


class Meeting(models.Model):
    """One occurrence of a recurring duty: a joint meeting, a decision meeting, a contact."""

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("已安排")
        HELD = "held", _("已召开")
        CANCELLED = "cancelled", _("已取消")

    # Every change, with who made it: the 修改记录 (docs/audit.md).
    history = HistoricalRecords()

    target = models.ForeignKey(
        Target,
        verbose_name=_("例行工作"),
        on_delete=models.PROTECT,
        related_name="meetings",
        limit_choices_to={"kind": Target.Kind.FREQUENCY},
        help_text=_("清单中的频次目标,如“社区层面联席会议”。"),
    )
    community = models.ForeignKey(
        Community,
        verbose_name=_("社区"),
        on_delete=models.PROTECT,
        related_name="meetings",
        null=True,
        blank=True,
        help_text=_("不填为街道层面。"),
    )
    state = models.CharField(
        _("状态"), max_length=10, choices=State.choices, default=State.SCHEDULED
    )
    starts_at = models.DateTimeField(_("时间"))
    place = models.CharField(_("地点"), max_length=200, blank=True)
    topics = models.TextField(_("议题"), blank=True)
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("参会人员"),
        related_name="meetings",
        blank=True,
        help_text=_("会前提醒发给他们。"),
    )
    other_attendees = models.TextField(
        _("其他参会人员"), blank=True, help_text=_("不在本系统中的参会人员,每行一人。")
    )
    minutes = models.TextField(_("会议纪要"), blank=True)
    items = models.ManyToManyField(
        Item, verbose_name=_("涉及任务"), related_name="meetings", blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("会议与例行工作记录")
        verbose_name_plural = _("会议与例行工作记录")
        ordering = ["-starts_at"]
        indexes = [
            models.Index(fields=["community", "target", "state", "starts_at"]),
            models.Index(fields=["state", "starts_at"]),
            # The list of a month, in time order (a page of it, and its count).
            models.Index(fields=["starts_at", "id"], name="meeting_month_order_idx"),
            # A community's (or the street's) meetings of a month, whatever their duty.
            models.Index(fields=["community", "starts_at"], name="meeting_party_month_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["scheduled", "held", "cancelled"]),
                name="meeting_state_valid",
            ),
        ]

    def __str__(self) -> str:
        day = timezone.localtime(self.starts_at)
        return f"{day:%Y-%m-%d} {self.party_label} {self.target.title}"

    def get_absolute_url(self) -> str:
        return reverse("meeting_detail", args=[self.pk])

    @property
    def held_on(self) -> datetime.date:
        return timezone.localdate(self.starts_at)

    @property
    def party_label(self) -> str:
        """Whose duty it was: the community's name, or 街道 for a street-level meeting."""
        return self.community.name if self.community is not None else str(_("街道"))

    @property
    def is_cancelled(self) -> bool:
        return self.state == self.State.CANCELLED

    def is_editable(self) -> bool:
        """A cancelled meeting is kept as it was; scheduled and held ones can be changed
        (the minutes are often written up after the meeting)."""
        return not self.is_cancelled

    def other_attendee_names(self) -> list[str]:
        return [line.strip() for line in self.other_attendees.splitlines() if line.strip()]


def _attachment_path(instance: MeetingAttachment, filename: str) -> str:
    """A random name: the name the user gave is kept in ``original_name`` only."""
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"meetings/{instance.meeting_id}/{uuid.uuid4().hex}{suffix}"


class MeetingAttachment(models.Model):
    """A file kept with a meeting: the sign-in sheet, photos, the minutes as signed."""

    # Every change, with who made it: the 修改记录 (docs/audit.md).
    history = HistoricalRecords()

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("文件"), storage=get_evidence_storage, upload_to=_attachment_path)
    original_name = models.CharField(_("原文件名"), max_length=255)
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小(字节)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("会议附件")
        verbose_name_plural = _("会议附件")
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("meeting_attachment_download", args=[self.pk])
