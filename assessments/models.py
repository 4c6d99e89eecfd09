"""The dashboards' summary tables, kept up to date in the same transaction as each report
change (``assessments.summaries``), as DHIS2 keeps its analytics tables.

``AssignmentMonth`` is one row per assignment × month (a community's or unit's item in a
month), whether or not a report was filed, so that every figure and the item × party matrix
read one narrow table. ``PartyMonth`` adds those rows up per party and month for the year's
trend, so a year to date reads 12 rows per party, not 480.

What depends on today (a missing report becomes late once its deadline passes) is not
stored: the rows keep the deadline and the date of the first submission, and the pages
compare them with today.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from communities.models import Community, Unit
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
    is_complete = models.BooleanField(
        _("已完成"),
        default=False,
        help_text=_("月报已审核,且指标全部达标(无量化指标的任务:进展状态为已完成)。"),
    )

    class Meta:
        verbose_name = _("月度任务汇总")
        verbose_name_plural = _("月度任务汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "year", "month"], name="summary_unique_assignment_month"
            ),
        ]
        indexes = [
            models.Index(fields=["year", "month", "item"], name="summary_month_item"),
            models.Index(fields=["year", "month", "community"], name="summary_month_community"),
            models.Index(fields=["year", "month", "unit"], name="summary_month_unit"),
        ]
        permissions = [
            ("view_dashboard", _("查看完成情况看板")),
            ("urge_parties", _("向责任单位发出催办")),
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id} · {self.year}年{self.month}月 · {self.get_state_display()}"

    @property
    def is_received(self) -> bool:
        return self.first_submitted_on is not None


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

    class Meta:
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
        indexes = [models.Index(fields=["year", "month"], name="party_month_period")]

    def __str__(self) -> str:
        return f"{self.community or self.unit} · {self.year}年{self.month}月"
