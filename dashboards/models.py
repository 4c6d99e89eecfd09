"""The dashboards' summary tables, kept up to date in the same transaction as each report
change (``dashboards.summaries``), as DHIS2 keeps its analytics tables; and the urging
notices (催办) sent from a late cell of those dashboards.

``AssignmentMonth`` is one row per assignment × month (a community's or unit's item in a
month), whether or not a report was filed, so that every figure and the item × party matrix
read one narrow table. ``PartyMonth`` adds those rows up per party and month for the year's
month, so a party's figures read one row, not 40; ``ItemMonth`` adds them up per item and
month (and deadline), so the dashboard reads about 40 rows a month whatever the number of
communities.

What depends on today (a missing report becomes late once its deadline passes) is not
stored: the rows keep the deadline and the date of the first submission, and the pages
compare them with today.

The tables keep the names they had when they lived in ``assessments`` and
``notifications`` (``db_table``): moving the models moved no row.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.db.models import Q
from django.db.models.lookups import IsNull
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities import access
from communities.models import Community, Membership, Unit
from core.dates import month_label
from core.typing import AnyUser
from tasks.models import Assignment, Item, Pillar, ProgressReport


class AssignmentMonth(models.Model):
    """One assignment in one month, as its report (or its absence) stands."""

    class State(models.TextChoices):
        MISSING = "missing", _("未填报")
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("待审核")
        APPROVED = "approved", _("已审核")
        RETURNED = "returned", _("已退回")

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("任务分派"), on_delete=models.CASCADE, related_name="months"
    )
    year = models.PositiveSmallIntegerField(_("年"))
    month = models.PositiveSmallIntegerField(_("月"))
    # Copied from the assignment so that a dashboard groups without joins.
    item = models.ForeignKey(
        Item, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="+"
    )
    pillar = models.ForeignKey(
        Pillar, verbose_name=_("板块"), on_delete=models.CASCADE, related_name="+"
    )
    community = models.ForeignKey(
        Community,
        verbose_name=_("社区"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("单位"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    report = models.OneToOneField(
        ProgressReport,
        verbose_name=_("月报"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="summary",
    )
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.MISSING)
    status = models.CharField(
        _("进展状态"), max_length=20, choices=ProgressReport.Status.choices, blank=True
    )
    deadline = models.DateField(_("填报截止日"), help_text=_("含已批准的延期。"))
    first_submitted_on = models.DateField(_("首次提交日期"), null=True, blank=True)
    targets_total = models.PositiveSmallIntegerField(_("指标数"), default=0)
    targets_met = models.PositiveSmallIntegerField(_("达标指标数"), default=0)
    targets_behind = models.PositiveSmallIntegerField(_("滞后指标数"), default=0)
    # Targets judged 滞后 that do not count behind: the lead unit accepted the party's
    # exception and the status that counts is not 滞后 (``dashboards.summaries``).
    targets_excepted = models.PositiveSmallIntegerField(
        _("例外已认可的滞后指标数"),
        default=0,
        help_text=_("指标判定滞后,但牵头单位已同意按申报状态认定,不计入滞后。"),
    )
    is_complete = models.BooleanField(
        _("已完成"),
        default=False,
        help_text=_("月报已审核,且指标全部达标(无量化指标的任务:进展状态为已完成)。"),
    )

    class Meta:
        db_table = "assessments_assignmentmonth"
        verbose_name = _("月度任务汇总")
        verbose_name_plural = _("月度任务汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "year", "month"], name="summary_unique_assignment_month"
            ),
        ]
        indexes = [
            # Covering: a month's figures per item are read from the index alone (6,000
            # communities: 55 ms instead of 265 ms), and so is the late list's order.
            models.Index(
                fields=["year", "month", "item"],
                include=[
                    "first_submitted_on",
                    "deadline",
                    "state",
                    "is_complete",
                    "targets_behind",
                    "targets_excepted",
                    "assignment",
                ],
                name="summary_month_item_cover",
            ),
            # A party's months (its refresh, the matrix's rows): led by the party, so the
            # planner never takes them for a whole month's scan.
            models.Index(fields=["community", "year", "month"], name="summary_community_month"),
            models.Index(fields=["unit", "year", "month"], name="summary_unit_month"),
            # The late list, read in its order (``dashboards.dashboard._late``): the unfiled
            # cells by deadline (those past it are overdue), and the cells filed after their
            # deadline by date of filing; each stops at the rows listed, whatever the month
            # holds (a city's month: some 240,000 cells).
            models.Index(
                fields=["year", "month", "deadline", "assignment"],
                condition=Q(first_submitted_on__isnull=True),
                name="summary_month_unfiled",
            ),
            models.Index(
                fields=["year", "month", "first_submitted_on", "deadline", "assignment"],
                condition=Q(first_submitted_on__gt=models.F("deadline")),
                name="summary_month_filed_late",
            ),
            # The few cells an accepted exception set aside (``_excepted``).
            models.Index(
                fields=["year", "month", "item"],
                condition=Q(targets_excepted__gt=0),
                name="summary_month_excepted",
            ),
            # The home page of a lead unit, from the index alone whatever the number of
            # communities (``home.panels.review_panel``): the reports waiting on its items,
            # and a month's unfiled cells of its items with their parties.
            models.Index(
                fields=["item"], condition=Q(state="submitted"), name="summary_item_submitted"
            ),
            models.Index(
                fields=["year", "month", "item"],
                include=["deadline", "community", "unit", "assignment"],
                condition=Q(first_submitted_on__isnull=True),
                name="summary_month_item_unfiled",
            ),
        ]
        permissions = [
            ("view_dashboard", _("查看完成情况看板")),
            ("urge_parties", _("向责任单位发出催办")),
        ]

    def __str__(self) -> str:
        period = month_label(self.year, self.month)
        return f"{self.assignment_id} · {period} · {self.get_state_display()}"

    @property
    def is_received(self) -> bool:
        return self.first_submitted_on is not None


# The parties furthest behind first: the least complete, then the least reported, then the
# one that owes the most; among equals the communities before the units, each in its order.
PARTY_ORDER = (
    models.F("complete") * 1000 / models.F("expected"),
    models.F("received") * 1000 / models.F("expected"),
    models.F("expected").desc(),
    IsNull(models.F("community"), True),
    models.F("party_order"),
    models.F("id"),
)


class PartyMonth(models.Model):
    """A community's or unit's month added up from its ``AssignmentMonth`` rows."""

    community = models.ForeignKey(
        Community,
        verbose_name=_("社区"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("单位"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    year = models.PositiveSmallIntegerField(_("年"))
    month = models.PositiveSmallIntegerField(_("月"))
    expected = models.PositiveIntegerField(_("应报"), default=0)
    received = models.PositiveIntegerField(_("已报"), default=0)
    on_time = models.PositiveIntegerField(_("按时报送"), default=0)
    approved = models.PositiveIntegerField(_("已审核"), default=0)
    returned = models.PositiveIntegerField(_("已退回"), default=0)
    complete = models.PositiveIntegerField(_("已完成"), default=0)
    behind = models.PositiveIntegerField(_("指标滞后的任务"), default=0)
    # The party's own order (Community.order or Unit.order), copied so that the parties
    # furthest behind are read from an index in the dashboard's order (``PARTY_ORDER``).
    party_order = models.PositiveIntegerField(_("排序"), default=0, db_default=0)

    class Meta:
        db_table = "assessments_partymonth"
        verbose_name = _("月度单位汇总")
        verbose_name_plural = _("月度单位汇总")
        constraints = [
            models.CheckConstraint(
                condition=(Q(community__isnull=False) & Q(unit__isnull=True))
                | (Q(community__isnull=True) & Q(unit__isnull=False)),
                name="party_month_has_exactly_one_party",
            ),
            models.UniqueConstraint(
                fields=["community", "year", "month"],
                condition=Q(community__isnull=False),
                name="party_month_unique_community",
            ),
            models.UniqueConstraint(
                fields=["unit", "year", "month"],
                condition=Q(unit__isnull=False),
                name="party_month_unique_unit",
            ),
        ]
        indexes = [
            models.Index(fields=["year", "month"], name="party_month_period"),
            # The dashboard's parties furthest behind, in its order: read 40 entries, not a
            # month's 6,000 rows sorted.
            models.Index(
                models.F("year"),
                models.F("month"),
                *PARTY_ORDER,
                condition=Q(expected__gt=0),
                name="party_month_furthest_behind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.community or self.unit} · {month_label(self.year, self.month)}"


class ItemMonth(models.Model):
    """An item's month added up from its ``AssignmentMonth`` rows, one row per deadline its
    cells have (the month's, and each granted extension's): about 40 rows a month whatever
    the number of communities. The dashboard's month figures, its pillars, lead units and
    trend read these rows; the count of cells overdue is the unfiled cells of the rows whose
    deadline has passed (today decides, nothing stored depends on it)."""

    item = models.ForeignKey(
        Item, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年"))
    month = models.PositiveSmallIntegerField(_("月"))
    deadline = models.DateField(_("填报截止日"), help_text=_("含已批准的延期。"))
    expected = models.PositiveIntegerField(_("应报"), default=0)
    received = models.PositiveIntegerField(_("已报"), default=0)
    on_time = models.PositiveIntegerField(_("按时报送"), default=0)
    approved = models.PositiveIntegerField(_("已审核"), default=0)
    returned = models.PositiveIntegerField(_("已退回"), default=0)
    complete = models.PositiveIntegerField(_("已完成"), default=0)
    behind = models.PositiveIntegerField(_("指标滞后的任务"), default=0)
    late_filed = models.PositiveIntegerField(_("逾期报送"), default=0)
    excepted = models.PositiveIntegerField(_("例外已认可"), default=0)
    unfiled = models.PositiveIntegerField(_("未提交"), default=0)

    class Meta:
        verbose_name = _("月度任务项汇总")
        verbose_name_plural = _("月度任务项汇总")
        constraints = [
            # Led by the month: a month's rows (the dashboard), and a year's (the trend).
            models.UniqueConstraint(
                fields=["year", "month", "item", "deadline"], name="item_month_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} · {month_label(self.year, self.month)} · {self.deadline}"


def party_assignments(user: AnyUser) -> models.QuerySet[Assignment]:
    """Assignments of the communities and units the user is staff of (a Membership): the
    people an urge goes to, and who acknowledge it."""
    if not isinstance(user, User):
        return Assignment.objects.none()
    memberships = Membership.objects.filter(user=user)
    return Assignment.objects.filter(
        Q(community__in=memberships.filter(community__isnull=False).values("community"))
        | Q(unit__in=memberships.filter(unit__isnull=False).values("unit"))
    )


class UrgeNoticeQuerySet(models.QuerySet["UrgeNotice"]):
    def visible_to(self, user: AnyUser) -> UrgeNoticeQuerySet:
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
        db_table = "notifications_urgenotice"
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
        return f"{self.assignment} · {month_label(self.year, self.month)} · {self.sent_at:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("urge_detail", args=[self.pk])

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    @property
    def period_label(self) -> str:
        """2017年7月 / July 2017, in the page's language."""
        return month_label(self.year, self.month)

    def filing_deadline(self) -> datetime.date:
        """The month's filing deadline as it stands now (a later granted extension moves
        it; uses a prefetch of ``assignment__extensions``)."""
        return self.assignment.filing_deadline(self.year, self.month)

    def days_late(self, today: datetime.date) -> int:
        """Days past the filing deadline on ``today`` (0 when not past), counted no
        further than the year's close (``Checklist.days_late``; uses a select of
        ``assignment__item__checklist``)."""
        return self.assignment.item.checklist.days_late(self.filing_deadline(), today)

    def year_closed(self, today: datetime.date) -> bool:
        return self.assignment.item.checklist.is_closed(today)
