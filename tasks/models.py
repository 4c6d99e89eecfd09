"""The year's checklist: pillars, items, their targets, assignments and progress reports.

A target knows how to judge itself: ``Target.evaluate(value, year=…, month=…)`` turns the
figures a party reported for one month into a verdict (met / on track / behind / not
reported). Views, exports and jobs ask the model and never recompute the rule.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.lookups import IsNull
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from communities import access
from communities.models import Community, CompoundRegister, Unit
from core.dates import month_label
from core.typing import AnyUser

from . import filing, registers, workdays
from .workdays import next_working_day

# The largest figure a report may give (PostgreSQL's ``integer``, the columns' type): a
# bigger one is a field error in the form and in ``full_clean`` rather than a database error
# (a 500), and the same on SQLite, whose column would take up to 2**63 - 1 (issue 15).
LARGEST_FIGURE = 2_147_483_647


class Checklist(models.Model):
    """The target task checklist of one year (年度目标任务清单及责任分工)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        ACTIVE = "active", _("执行中")
        ARCHIVED = "archived", _("已归档")

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    title = models.CharField(_("标题"), max_length=200)
    document_number = models.CharField(_("文号"), max_length=50, blank=True)
    issuing_bodies = models.TextField(_("发文机关"), blank=True, help_text=_("每行一个机关。"))
    issued_on = models.DateField(_("发文日期"), null=True, blank=True)
    takes_effect_on = models.DateField(
        _("生效日期"),
        null=True,
        blank=True,
        help_text=_(
            "自生效日期的次月起须报月度进展(1日生效的,当月起);不填则取发文日期,"
            "两者都没有则从1月起。"
        ),
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    filing_day = models.PositiveSmallIntegerField(
        _("月报截止日"),
        default=5,
        help_text=_("每月进展于次月的这一天前填报(1–28日)。"),
    )

    class Meta:
        verbose_name = _("目标任务清单")
        verbose_name_plural = _("目标任务清单")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(year__gte=2000) & Q(year__lte=2100), name="checklist_year_range"
            ),
            models.CheckConstraint(
                condition=Q(filing_day__gte=1) & Q(filing_day__lte=28),
                name="checklist_filing_day_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}年度 {self.title}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A checklist takes effect when it is issued unless the street says otherwise.
        if self.takes_effect_on is None:
            self.takes_effect_on = self.issued_on
        super().save(*args, **kwargs)

    def natural_key(self) -> tuple[int]:
        return (self.year,)

    @property
    def year_end(self) -> datetime.date:
        return datetime.date(self.year, 12, 31)

    @property
    def is_archived(self) -> bool:
        """A closed year: everything it holds is shown, nothing of it changes any more."""
        return self.status == self.Status.ARCHIVED

    # The months owed: the one home of "which months does this checklist ask reports (and
    # recurring meetings) for". Filing, reminders, escalations, dashboards, ledgers, the
    # assessment and the duties' compliance all ask here.

    def first_month_owed(self) -> datetime.date:
        """The first day anything is owed: the first of the month after the checklist takes
        effect (the 2017 checklist, in force from 28 June, from 1 July), the day itself when
        it takes effect on a first of the month, 1 January when it took effect the year
        before or gives no date. 1 January of the next year when it takes effect after its
        own year: then nothing is owed."""
        first_of_year = datetime.date(self.year, 1, 1)
        takes_effect = self.takes_effect_on
        if takes_effect is None or takes_effect < first_of_year:
            return first_of_year
        if takes_effect.year > self.year:
            return datetime.date(self.year + 1, 1, 1)
        if takes_effect.day == 1:
            return takes_effect
        return datetime.date(
            takes_effect.year + takes_effect.month // 12, takes_effect.month % 12 + 1, 1
        )

    def has_taken_effect(self, today: datetime.date) -> bool:
        """Whether the checklist is in force on ``today`` (from 1 January of its year when
        it gives no date): before, nothing of it is due or reminded."""
        return today >= (self.takes_effect_on or datetime.date(self.year, 1, 1))

    def months_owed(self) -> list[int]:
        """The months of the checklist's year a report is owed for, up to December (the
        2017 checklist: 7–12). Empty when it takes effect after its year."""
        first = self.first_month_owed()
        if first.year > self.year:
            return []
        return list(range(first.month, 13))

    def owes_month(self, year: int, month: int) -> bool:
        """Whether a report is owed for ``year``-``month``."""
        return year == self.year and month in self.months_owed()

    def month_being_filed(self, today: datetime.date) -> int:
        """The month of this checklist being filed on ``today`` (``filing.month_being_filed``,
        the previous month) kept within the months owed: the first month owed before it
        (in July 2017, July: June is not owed), the last once the year is past. The month
        a page opens on when none is asked for (the workspace, the dashboards, the item
        page)."""
        months = self.months_owed() or [12]
        year, month = filing.month_being_filed(today)
        if (year, month) < (self.year, months[0]):
            return months[0]
        if year > self.year:
            return months[-1]
        return max(months[0], min(month, months[-1]))

    @classmethod
    def in_opening_order(cls, today: datetime.date) -> models.QuerySet[Checklist]:
        """The checklists in use (not drafts), the one a page opens on first: not archived
        and holding the month being filed (``filing.month_being_filed``; in January,
        December of last year's checklist while it is in use), else the latest not
        archived (in 2026, the 2017 checklist still in use), else — all archived — the
        latest with a submitted report, else the latest. One query; ``tasks.periods`` is
        where pages ask it."""
        filing_year, _month = filing.month_being_filed(today)
        archived = Q(status=cls.Status.ARCHIVED)
        # The year's first submitted report in the order of the (year, month, state) index:
        # an index lookup that stops at one row (EXISTS is planned as a sequential scan of
        # every report, cheap on paper as it would stop at the first match).
        first_report = (
            ProgressReport.objects.filter(
                year=models.OuterRef("year"), first_submitted_at__isnull=False
            )
            .order_by("year", "month")
            .values("pk")[:1]
        )
        has_reports = IsNull(models.Subquery(first_report), False)
        return (
            cls.objects.exclude(status=cls.Status.DRAFT)
            .annotate(
                opening_rank=models.Case(
                    models.When(~archived & Q(year=filing_year), then=models.Value(0)),
                    models.When(~archived, then=models.Value(1)),
                    models.When(archived & has_reports, then=models.Value(2)),
                    default=models.Value(3),
                    output_field=models.IntegerField(),
                )
            )
            .order_by("opening_rank", "-year")
        )

    @classmethod
    def being_filed(cls, today: datetime.date) -> tuple[int, int] | None:
        """(year, month) being filed on ``today``: the month being filed within the months
        owed of the checklist pages open on (``in_opening_order``; in 2026 with the 2017
        checklist in use, December 2017); None when no checklist is in use. A filing page's
        default (``tasks.periods.opening_period(today, filing_page=True)``)."""
        checklist = cls.in_opening_order(today).first()
        if checklist is None:
            return None
        return checklist.year, checklist.month_being_filed(today)

    # The year's close: lateness is counted up to it and no further.

    @property
    def closes_on(self) -> datetime.date:
        """The last day lateness is counted on: 31 December (the checklist records no date
        of archiving, so an archived year closes at its end too)."""
        return self.year_end

    def is_closed(self, today: datetime.date) -> bool:
        """The year is over: an unfiled month reads 未报(年度已结束), not a growing count."""
        return today > self.closes_on

    def lateness_measured_on(self, today: datetime.date) -> datetime.date:
        """The day "days late" is measured on: today, or the year's close once it is past
        (a 2017 report looked at in 2026 is late as of 31 December 2017)."""
        return min(today, self.closes_on)

    def days_late(
        self,
        deadline: datetime.date,
        today: datetime.date,
        submitted_on: datetime.date | None = None,
    ) -> int:
        """Days past ``deadline``: to the first submission when filed, else to the day
        lateness is measured on; never below 0 (December, due in January, is 0 days late
        as of a closed year's end)."""
        measured = submitted_on or self.lateness_measured_on(today)
        return max(0, (measured - deadline).days)

    def filing_deadline(self, year: int, month: int) -> datetime.date:
        """The day by which the report of ``year``-``month`` is due: the filing day of the
        following month, or the next working day when that is a day off (China's official
        calendar, ``tasks.workdays``). September 2017, due on 5 October in the National Day
        holiday, is due on Monday 9 October; July, due on Saturday 5 August, on Monday 7."""
        if month == 12:
            filing_date = datetime.date(year + 1, 1, self.filing_day)
        else:
            filing_date = datetime.date(year, month + 1, self.filing_day)
        return next_working_day(filing_date)


class Pillar(models.Model):
    """One of the checklist's four groups: 宜居·共建, 共治, 共创, 共享."""

    checklist = models.ForeignKey(
        Checklist, verbose_name=_("清单"), on_delete=models.CASCADE, related_name="pillars"
    )
    number = models.PositiveSmallIntegerField(_("序号"))
    name = models.CharField(_("名称"), max_length=50)

    class Meta:
        verbose_name = _("板块")
        verbose_name_plural = _("板块")
        ordering = ["checklist", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["checklist", "number"], name="pillar_unique_number_per_checklist"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ItemQuerySet(models.QuerySet["Item"]):
    def with_details(self) -> ItemQuerySet:
        """Items with their pillar, lead units in order and targets, in a fixed number of
        queries."""
        return self.select_related("pillar", "checklist").prefetch_related(
            models.Prefetch(
                "lead_unit_links",
                queryset=ItemLeadUnit.objects.select_related("unit").order_by("order"),
            ),
            "targets",
            "responsible_units",
        )

    def led_by(self, unit: Unit) -> ItemQuerySet:
        return self.filter(lead_unit_links__unit=unit)

    def reviewable_by(self, user: AnyUser) -> ItemQuerySet:
        """Items led by a unit the user reviews for."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(access.unit_q(user, access.REVIEW_REPORTS, "lead_unit_links__unit"))


class Item(models.Model):
    """A numbered item (任务) of the checklist, with its lead units and responsible parties."""

    class Scope(models.TextChoices):
        ALL_COMMUNITIES = "all_communities", _("各社区")
        SELECTED_COMMUNITIES = "selected_communities", _("相关社区")
        JOINT_MEETING_MEMBERS = "joint_meeting_members", _("街道联席会议各成员单位")
        NAMED_UNITS = "named_units", _("指定单位")

    # Every change, with who made it: the 修改记录 (docs/audit.md).
    history = HistoricalRecords()

    checklist = models.ForeignKey(
        Checklist, verbose_name=_("清单"), on_delete=models.CASCADE, related_name="items"
    )
    pillar = models.ForeignKey(
        Pillar, verbose_name=_("板块"), on_delete=models.PROTECT, related_name="items"
    )
    number = models.PositiveSmallIntegerField(_("序号"))
    text = models.TextField(_("任务内容"), help_text=_("与清单原文一字不差。"))
    lead_units: models.ManyToManyField[Unit, ItemLeadUnit] = models.ManyToManyField(
        Unit,
        verbose_name=_("牵头单位"),
        through="ItemLeadUnit",
        related_name="led_items",
    )
    responsible_scope = models.CharField(
        _("责任单位范围"), max_length=30, choices=Scope.choices, default=Scope.ALL_COMMUNITIES
    )
    responsible_units = models.ManyToManyField(
        Unit,
        verbose_name=_("指定责任单位"),
        blank=True,
        related_name="responsible_items",
        help_text=_("仅当责任单位范围为“指定单位”时填写。"),
    )
    due_date = models.DateField(
        _("完成时限"), null=True, blank=True, help_text=_("清单写明时限的才填,如“6月底前”。")
    )
    legal_reference = models.CharField(_("依据文件"), max_length=100, blank=True)

    objects = ItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("任务")
        verbose_name_plural = _("任务")
        ordering = ["checklist", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["checklist", "number"], name="item_unique_number_per_checklist"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.text[:30]}"

    @property
    def stated_deadline(self) -> datetime.date:
        """The date the checklist states: the item's own date, or the end of the year."""
        return self.due_date or self.checklist.year_end

    @property
    def deadline(self) -> datetime.date:
        """When the item must be done: the stated date, or the next working day when that
        is a day off (item 27's Sunday 31 December 2017 becomes Tuesday 2 January 2018)."""
        return next_working_day(self.stated_deadline)

    def ordered_lead_units(self) -> list[Unit]:
        """Lead units in the seed's order; the first is the primary lead (uses the prefetch
        of ``ItemQuerySet.with_details``)."""
        return [link.unit for link in sorted(self.lead_unit_links.all(), key=lambda x: x.order)]

    @property
    def primary_lead_unit(self) -> Unit | None:
        units = self.ordered_lead_units()
        return units[0] if units else None

    @property
    def responsible_parties_label(self) -> str:
        if self.responsible_scope == self.Scope.NAMED_UNITS:
            return "、".join(unit.name for unit in self.responsible_units.all())
        return str(self.get_responsible_scope_display())

    def has_street_level_targets(self) -> bool:
        return any(t.level == Target.Level.STREET for t in self.targets.all())


class ItemLeadUnit(models.Model):
    """A lead unit of an item, in the order the checklist names them."""

    item = models.ForeignKey(
        Item, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="lead_unit_links"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("牵头单位"), on_delete=models.PROTECT, related_name="lead_item_links"
    )
    order = models.PositiveSmallIntegerField(_("排序"), help_text=_("1 为第一牵头单位。"))

    class Meta:
        verbose_name = _("牵头单位")
        verbose_name_plural = _("牵头单位")
        ordering = ["item", "order"]
        constraints = [
            models.UniqueConstraint(fields=["item", "unit"], name="item_lead_unit_unique"),
            models.UniqueConstraint(fields=["item", "order"], name="item_lead_unit_order_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.item.number} · {self.unit.name}"


@dataclass(frozen=True)
class Evaluation:
    """A target's verdict for one party and month, with the figure it was judged on."""

    target: Target
    verdict: Target.Verdict
    measured: str
    explanation: str
    # The value judged, when a report's values were (``ProgressReport.evaluate``): the
    # pages show beside the figure a denominator that differs from the register's count.
    value: TargetValue | None = None

    @property
    def is_met(self) -> bool:
        return self.verdict == Target.Verdict.MET

    @property
    def differs_from_register(self) -> bool:
        return self.value is not None and self.value.differs_from_register


class Target(models.Model):
    """A measurable target of an item; ``evaluate`` judges a month's reported value."""

    class Kind(models.TextChoices):
        RATE = "rate", _("比率达标")
        COUNT = "count", _("数量不少于")
        FREQUENCY = "frequency", _("定期开展")
        DEADLINE = "deadline", _("限期完成")
        ZERO_GROWTH = "zero_growth", _("零增长")
        MILESTONE = "milestone", _("完成并留档")

    class Period(models.TextChoices):
        WEEK = "week", _("每周")
        FORTNIGHT = "fortnight", _("每两周")
        MONTH = "month", _("每月")

    class Level(models.TextChoices):
        PARTY = "party", _("各责任单位")
        STREET = "street", _("街道层面")

    class Verdict(models.TextChoices):
        MET = "met", _("达标")
        ON_TRACK = "on_track", _("推进中")
        BEHIND = "behind", _("滞后")
        NOT_REPORTED = "not_reported", _("未填报")

    PERIOD_DAYS = {Period.WEEK: 7, Period.FORTNIGHT: 14}
    # The kinds ``evaluate`` compares with ``threshold``; the others judge without it.
    THRESHOLD_KINDS = frozenset({Kind.RATE, Kind.COUNT})

    # Every change, with who made it: the 修改记录 (docs/audit.md).
    history = HistoricalRecords()

    item = models.ForeignKey(
        Item, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="targets"
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=1)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("指标"), max_length=100, help_text=_("如“业委会组建率”。"))
    threshold = models.DecimalField(
        _("目标值"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("比率填百分数(90 表示 ≥90%);数量填最少个数。"),
    )
    numerator_label = models.CharField(_("分子含义"), max_length=100, blank=True)
    denominator_label = models.CharField(_("分母含义"), max_length=100, blank=True)
    denominator_source = models.CharField(
        _("分母取自登记"),
        max_length=40,
        choices=CompoundRegister.choices,
        blank=True,
        help_text=_(
            "比率类:分母是登记在册的住宅小区数时选择,填报时按登记数预填,填写不同的数须说明原因。"
        ),
    )
    unit_label = models.CharField(_("计量单位"), max_length=10, blank=True, help_text=_("如“个”。"))
    period = models.CharField(
        _("频次"),
        max_length=10,
        choices=Period.choices,
        blank=True,
        help_text=_("定期开展类填写。"),
    )
    level = models.CharField(
        _("层面"),
        max_length=10,
        choices=Level.choices,
        default=Level.PARTY,
        help_text=_("街道层面的指标由第一牵头单位填报,其余由各责任单位填报。"),
    )
    due_date = models.DateField(
        _("完成时限"), null=True, blank=True, help_text=_("不填则用任务的时限,再不填为年底。")
    )

    class Meta:
        verbose_name = _("目标")
        verbose_name_plural = _("目标")
        ordering = ["item", "order"]
        constraints = [
            models.UniqueConstraint(fields=["item", "order"], name="target_unique_order_per_item"),
            models.CheckConstraint(
                condition=~Q(kind="rate") | (Q(threshold__gte=0) & Q(threshold__lte=100)),
                name="target_rate_threshold_is_a_percentage",
            ),
            models.CheckConstraint(
                condition=~Q(kind="count") | Q(threshold__gte=1),
                name="target_count_threshold_is_positive",
            ),
            # The two checks above let NULL through (NULL >= 0 is not false in SQL):
            # keep this list equal to THRESHOLD_KINDS.
            models.CheckConstraint(
                condition=~Q(kind__in=["rate", "count"]) | Q(threshold__isnull=False),
                name="target_threshold_set_when_kind_needs_it",
                violation_error_message=_("比率、数量类目标必须填写目标值。"),
            ),
            models.CheckConstraint(
                condition=Q(kind="rate") | Q(denominator_source=""),
                name="target_denominator_source_only_for_rate",
                violation_error_message=_("只有比率类目标的分母可以取自登记数。"),
            ),
            models.CheckConstraint(
                condition=(Q(kind="frequency") & ~Q(period=""))
                | (~Q(kind="frequency") & Q(period="")),
                name="target_period_only_for_frequency",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.number}-{self.order} {self.title}"

    def clean(self) -> None:
        if self.needs_threshold and self.threshold is None:
            raise ValidationError(
                {
                    "threshold": gettext("“%(kind)s”类目标必须填写目标值。")
                    % {"kind": self.get_kind_display()}
                }
            )

    def registered_denominator(self, community: Community | None) -> int | None:
        """The denominator the compound register gives for ``community`` (None when the
        denominator is not a registered count, or the party is not a community). Reads
        the community's prefetched compounds."""
        if not self.denominator_source or community is None:
            return None
        return community.registered_count(self.denominator_source)

    @property
    def needs_threshold(self) -> bool:
        """Whether ``evaluate`` judges this kind against ``threshold`` (rates and counts)."""
        return self.kind in self.THRESHOLD_KINDS

    @property
    def stated_deadline(self) -> datetime.date:
        """The date the checklist states: the target's own date, else the item's."""
        return self.due_date or self.item.stated_deadline

    @property
    def deadline(self) -> datetime.date:
        """The last day to achieve the target: the stated date, or the next working day
        when that is a day off."""
        return next_working_day(self.stated_deadline)

    @property
    def requirement(self) -> str:
        """The target as a person states it: "≥ 90%", "≥ 5 个", "每两周至少 1 次"."""
        if self.kind == self.Kind.RATE:
            return f"≥ {_format_decimal(self.threshold)}%"
        if self.kind == self.Kind.COUNT:
            return f"≥ {_format_decimal(self.threshold)} {self.unit_label}".rstrip()
        if self.kind == self.Kind.FREQUENCY:
            return f"{self.get_period_display()}至少 1 次"
        if self.kind == self.Kind.DEADLINE:
            return f"{self.deadline:%Y-%m-%d} 前完成"
        if self.kind == self.Kind.ZERO_GROWTH:
            return "新增为 0"
        return "完成并留存佐证材料"

    @property
    def is_judged_from_register(self) -> bool:
        """Whether a register (``tasks.registers``), not the monthly report, gives this
        target's figure: frequency targets are judged from the meeting register."""
        return self.kind == self.Kind.FREQUENCY or registers.is_registered(self.kind)

    def required_occurrences(self, year: int, month: int) -> int:
        """How often a periodic duty must happen in a month: once for monthly, every full
        fortnight or week of the month otherwise (2 and 4)."""
        if self.period == self.Period.MONTH:
            return 1
        days_in_month = calendar.monthrange(year, month)[1]
        return days_in_month // self.PERIOD_DAYS[self.Period(self.period)]

    def evaluate(
        self,
        value: TargetValue | None,
        *,
        year: int,
        month: int,
        figure: registers.Figure | None = None,
    ) -> Evaluation:
        """Judge the value reported for ``year``-``month``.

        A target judged from a register (a frequency target: the meeting register,
        ``tasks.registers``) is judged from ``figure``, the register's verdict for the
        party and month, and never from a typed value; without a figure it is 未填报.

        A shortfall is 推进中 while the date the checklist states lies after the month, and
        滞后 once the month reaches it: months are judged against the stated date, so a
        year-end target is judged on December's report even when 31 December is a Sunday
        and the deadline itself moves into January. A completion date is judged against
        the moved deadline (done on the next working day is done on time). A rate over
        nothing (no eligible compounds, no new cases) has nothing left to do and counts
        as met.
        """
        period_end = datetime.date(year, month, calendar.monthrange(year, month)[1])
        before_deadline = period_end < self.stated_deadline
        shortfall = self.Verdict.ON_TRACK if before_deadline else self.Verdict.BEHIND

        def result(verdict: Target.Verdict, measured: str, why: str) -> Evaluation:
            return Evaluation(target=self, verdict=verdict, measured=measured, explanation=why)

        if self.is_judged_from_register:
            if figure is None:
                return result(self.Verdict.NOT_REPORTED, "—", gettext("登记簿中尚无本月的判定"))
            return result(self.Verdict(figure.verdict), figure.measured, figure.explanation)

        if value is None or not value.is_filled_for(self):
            return result(self.Verdict.NOT_REPORTED, "—", gettext("本月未填报此项"))
        assert value is not None  # noqa: S101 (narrowing for the type checker)

        if self.kind == self.Kind.RATE:
            numerator, denominator = value.numerator or 0, value.denominator or 0
            measured = f"{numerator}/{denominator}"
            if denominator == 0:
                return result(self.Verdict.MET, measured, gettext("无适用对象,视为达标"))
            rate = Decimal(numerator) * 100 / Decimal(denominator)
            measured = f"{_format_decimal(rate.quantize(Decimal('0.1')))}% ({measured})"
            assert self.threshold is not None  # noqa: S101 (THRESHOLD_KINDS have one)
            if Decimal(numerator) * 100 >= self.threshold * denominator:  # exact, no rounding
                return result(self.Verdict.MET, measured, gettext("达到目标比率"))
            return result(shortfall, measured, gettext("低于目标比率"))

        if self.kind == self.Kind.COUNT:
            quantity = value.quantity or 0
            measured = f"{quantity} {self.unit_label}".rstrip()
            assert self.threshold is not None  # noqa: S101 (THRESHOLD_KINDS have one)
            if quantity >= self.threshold:
                return result(self.Verdict.MET, measured, gettext("达到目标数量"))
            return result(shortfall, measured, gettext("未达到目标数量"))

        if self.kind == self.Kind.DEADLINE:
            if value.achieved_on is not None:
                measured = f"{value.achieved_on:%Y-%m-%d} 完成"
                if value.achieved_on <= self.deadline:
                    return result(self.Verdict.MET, measured, gettext("按时完成"))
                return result(self.Verdict.BEHIND, measured, gettext("逾期完成"))
            return result(shortfall, "未完成", gettext("尚未完成"))

        if self.kind == self.Kind.ZERO_GROWTH:
            quantity = value.quantity or 0
            measured = f"新增 {quantity}"
            if quantity == 0:
                return result(self.Verdict.MET, measured, gettext("零增长"))
            return result(self.Verdict.BEHIND, measured, gettext("出现新增"))

        # MILESTONE
        if value.is_done:
            return result(self.Verdict.MET, "已完成", gettext("已完成"))
        return result(shortfall, "未完成", gettext("尚未完成"))


def _format_decimal(number: Decimal | None) -> str:
    if number is None:
        return ""
    return f"{number.normalize():f}"


class AssignmentQuerySet(models.QuerySet["Assignment"]):
    def for_community(self, community: Community) -> AssignmentQuerySet:
        return self.filter(community=community)

    def for_unit(self, unit: Unit) -> AssignmentQuerySet:
        return self.filter(unit=unit)

    def for_checklist(self, checklist: Checklist) -> AssignmentQuerySet:
        return self.filter(item__checklist=checklist)

    def fileable_by(self, user: AnyUser) -> AssignmentQuerySet:
        """Assignments the user files for: their community's, or their unit's where the
        unit is the responsible party."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(
            access.community_q(user, access.FILE_REPORTS, "community")
            | access.unit_q(user, access.FILE_REPORTS, "unit")
        )

    def reviewable_by(self, user: AnyUser) -> AssignmentQuerySet:
        """Assignments on items led by a unit the user reviews for."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(item__in=Item.objects.reviewable_by(user))


class Assignment(models.Model):
    """One item × one responsible party (a community or a unit)."""

    # Every change, with who made it: the 修改记录 (docs/audit.md).
    history = HistoricalRecords()

    item = models.ForeignKey(
        Item, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="assignments"
    )
    community = models.ForeignKey(
        Community,
        verbose_name=_("社区"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("单位"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
    )
    is_street_level = models.BooleanField(
        _("街道层面"),
        default=False,
        help_text=_("第一牵头单位代表街道填报街道层面的指标(如街道联席会议每月一次)。"),
    )

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("任务分派")
        verbose_name_plural = _("任务分派")
        ordering = ["item__number", "community__order", "unit__order"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(community__isnull=False) & Q(unit__isnull=True))
                | (Q(community__isnull=True) & Q(unit__isnull=False)),
                name="assignment_has_exactly_one_party",
            ),
            models.CheckConstraint(
                condition=Q(is_street_level=False) | Q(unit__isnull=False),
                name="assignment_street_level_is_a_unit",
            ),
            models.UniqueConstraint(
                fields=["item", "community"],
                condition=Q(community__isnull=False),
                name="assignment_unique_community_per_item",
            ),
            models.UniqueConstraint(
                fields=["item", "unit", "is_street_level"],
                condition=Q(unit__isnull=False),
                name="assignment_unique_unit_per_item",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.number} · {self.party}"

    @property
    def party(self) -> Community | Unit:
        party = self.community or self.unit
        assert party is not None  # noqa: S101 (guaranteed by assignment_has_exactly_one_party)
        return party

    def filing_deadline(self, year: int, month: int) -> datetime.date:
        """The last day to file ``year``-``month``: the checklist's filing deadline, or
        later where the lead unit granted an extension (uses a prefetch of
        ``extensions``). Both are working days: a granted date that falls on a day off
        moves to the next working day, as the checklist's own does."""
        return filing.deadline_with_extensions(
            self.item.checklist.filing_deadline(year, month),
            [
                extension.requested_deadline
                for extension in self.extensions.all()
                if extension.state == DeadlineExtension.State.GRANTED
                and (extension.year, extension.month) == (year, month)
            ],
        )

    def targets(self) -> list[Target]:
        """The targets this party reports on (street-level ones go to the street's own
        assignment). Uses the item's prefetched targets."""
        level = Target.Level.STREET if self.is_street_level else Target.Level.PARTY
        return [t for t in self.item.targets.all() if t.level == level]

    def deadlines_met(self, year: int, before_month: int) -> dict[int, TargetValue]:
        """The deadline targets an approved report of ``year`` before ``before_month``
        states achieved on or before the target's deadline: target pk → that value (the
        earliest date, its report loaded). Such a target stays met: a later report may not
        clear the date or move it later unless that report is reopened. No query when the
        assignment has no deadline target."""
        deadlines = {t.pk: t.deadline for t in self.targets() if t.kind == Target.Kind.DEADLINE}
        if not deadlines:
            return {}
        found: dict[int, TargetValue] = {}
        approved = (
            TargetValue.objects.filter(
                report__assignment=self,
                report__year=year,
                report__month__lt=before_month,
                report__workflow_state=ProgressReport.WorkflowState.APPROVED,
                target_id__in=deadlines,
                achieved_on__isnull=False,
            )
            .select_related("report")
            .order_by("achieved_on", "report__month")
        )
        for value in approved:
            assert value.achieved_on is not None  # noqa: S101 (filtered)
            if value.target_id not in found and value.achieved_on <= deadlines[value.target_id]:
                found[value.target_id] = value
        return found


class ProgressReportQuerySet(models.QuerySet["ProgressReport"]):
    def for_month(self, year: int, month: int) -> ProgressReportQuerySet:
        return self.filter(year=year, month=month)

    def for_community(self, community: Community) -> ProgressReportQuerySet:
        return self.filter(assignment__community=community)

    def for_unit(self, unit: Unit) -> ProgressReportQuerySet:
        return self.filter(assignment__unit=unit)

    def visible_to(self, user: AnyUser) -> ProgressReportQuerySet:
        """Reports the user may open: every report for the street admin and leadership; a
        party's own reports (drafts included); and the non-draft reports on items led by
        the user's unit. One query, whatever the number of reports."""
        if not user.is_authenticated:
            return self.none()
        if access.sees_everything(user):
            return self
        own = Assignment.objects.fileable_by(user)
        reviewed = Assignment.objects.reviewable_by(user)
        return self.filter(
            Q(assignment__in=own)
            | (Q(assignment__in=reviewed) & ~Q(workflow_state=ProgressReport.WorkflowState.DRAFT))
        )

    def reviewable_by(self, user: AnyUser) -> ProgressReportQuerySet:
        """Reports on items led by the user's unit, drafts excluded."""
        return self.filter(assignment__in=Assignment.objects.reviewable_by(user)).exclude(
            workflow_state=ProgressReport.WorkflowState.DRAFT
        )

    def submitted(self) -> ProgressReportQuerySet:
        return self.filter(workflow_state=ProgressReport.WorkflowState.SUBMITTED)

    def approved(self) -> ProgressReportQuerySet:
        return self.filter(workflow_state=ProgressReport.WorkflowState.APPROVED)

    def with_values(self) -> ProgressReportQuerySet:
        """Reports ready to evaluate: assignment, item, targets and values prefetched."""
        return self.select_related(
            "assignment__item__checklist",
            "assignment__item__pillar",
            "assignment__community",
            "assignment__unit",
        ).prefetch_related("assignment__item__targets", "values")


class ProgressReport(models.Model):
    """The progress of one assignment in one month (月报)."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("未启动")
        IN_PROGRESS = "in_progress", _("推进中")
        COMPLETED = "completed", _("已完成")
        LAGGING = "lagging", _("滞后")

    class WorkflowState(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        APPROVED = "approved", _("已审核")
        RETURNED = "returned", _("已退回")

    class ExceptionState(models.TextChoices):
        """The party's request that its declared status count instead of the targets'
        judgement (申请按申报状态认定), and the lead unit's decision on it."""

        NONE = "none", _("未申请")
        PENDING = "pending", _("待牵头单位认定")
        ACCEPTED = "accepted", _("已同意按申报状态认定")
        REFUSED = "refused", _("未同意,按指标认定")

    # Every change, with who made it: the 修改记录 (docs/audit.md).
    history = HistoricalRecords()

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("任务分派"), on_delete=models.CASCADE, related_name="reports"
    )
    year = models.PositiveSmallIntegerField(_("年"))
    month = models.PositiveSmallIntegerField(_("月"))
    # The status that counts (``counted_status``) as of the last write: the targets'
    # judgement, the declared one for an assignment without targets or an exception the
    # lead unit accepted. The pages and the summary tables ask ``counted_status()``.
    status = models.CharField(
        _("进展状态"), max_length=20, choices=Status.choices, default=Status.NOT_STARTED
    )
    declared_status = models.CharField(
        _("申报状态"),
        max_length=20,
        choices=Status.choices,
        default=Status.NOT_STARTED,
        help_text=_("填报单位自己选择的进展状态;有量化指标的任务以指标认定为准。"),
    )
    exception_state = models.CharField(
        _("按申报状态认定"),
        max_length=10,
        choices=ExceptionState.choices,
        default=ExceptionState.NONE,
    )
    exception_reason = models.TextField(_("申请理由"), blank=True)
    exception_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("认定人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    exception_decided_at = models.DateTimeField(_("认定时间"), null=True, blank=True)
    narrative = models.TextField(_("进展情况"), blank=True)
    workflow_state = models.CharField(
        _("流程状态"), max_length=10, choices=WorkflowState.choices, default=WorkflowState.DRAFT
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    first_submitted_at = models.DateTimeField(
        _("首次提交时间"), null=True, blank=True, help_text=_("是否按时填报以首次提交为准。")
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    review_comment = models.TextField(_("审核意见"), blank=True)
    version = models.PositiveIntegerField(
        _("版本"), default=1, help_text=_("每次保存加一,防止两人同时编辑时互相覆盖。")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ProgressReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("进展月报")
        verbose_name_plural = _("进展月报")
        ordering = ["-year", "-month", "assignment__item__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "year", "month"], name="report_unique_per_assignment_month"
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1) & Q(month__lte=12), name="report_month_range"
            ),
            # An exception is asked for with a reason, and only then has one.
            models.CheckConstraint(
                condition=(Q(exception_state="none") & Q(exception_reason=""))
                | (~Q(exception_state="none") & ~Q(exception_reason="")),
                name="report_exception_has_reason",
            ),
            # A decided exception says who decided and when; an undecided one does not.
            models.CheckConstraint(
                condition=(
                    Q(exception_state__in=["accepted", "refused"])
                    & Q(exception_decided_by__isnull=False)
                    & Q(exception_decided_at__isnull=False)
                )
                | (
                    Q(exception_state__in=["none", "pending"])
                    & Q(exception_decided_by__isnull=True)
                    & Q(exception_decided_at__isnull=True)
                ),
                name="report_exception_decided_by_someone",
            ),
            # An accepted exception: the declared status is the one that counts.
            models.CheckConstraint(
                condition=~Q(exception_state="accepted") | Q(status=F("declared_status")),
                name="report_accepted_exception_counts_declared",
            ),
        ]
        indexes = [
            models.Index(fields=["year", "month", "workflow_state"]),
            # The review queue counts the reports in a state (a city's 60,000 submitted
            # ones) from this index alone, up to the count it shows.
            models.Index(
                fields=["workflow_state", "year", "month", "assignment"],
                name="report_state_period_idx",
            ),
        ]
        permissions = [
            ("view_all_reports", _("查看全部月报")),
            ("reopen_report", _("重新打开已审核的月报")),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} · {month_label(self.year, self.month)}"

    @property
    def period_label(self) -> str:
        """2017年7月 / July 2017, in the page's language."""
        return month_label(self.year, self.month)

    @cached_property
    def values_by_target(self) -> dict[int, TargetValue]:
        return {value.target_id: value for value in self.values.all()}

    @cached_property
    def register_figures(self) -> dict[registers.FigureKey, registers.Figure]:
        """The registers' figures of this month (the meeting register's, for frequency
        targets): a few queries, none when no target is judged from a register."""
        return registers.figures(
            checklist=self.assignment.item.checklist,
            assignments=[self.assignment],
            months=[self.month],
        )

    def evaluate(
        self, figures: dict[registers.FigureKey, registers.Figure] | None = None
    ) -> list[Evaluation]:
        """Each target of the assignment judged on this report's values, or on its
        register's figure (``figures``: the registers' figures when the caller fetched
        them for many months at once)."""
        if figures is None:
            figures = self.register_figures
        return [
            replace(
                target.evaluate(
                    self.values_by_target.get(target.pk),
                    year=self.year,
                    month=self.month,
                    figure=figures.get((target.pk, self.assignment_id, self.month)),
                ),
                value=self.values_by_target.get(target.pk),
            )
            for target in self.assignment.targets()
        ]

    def meets_all_targets(self) -> bool:
        return all(evaluation.is_met for evaluation in self.evaluate())

    def judged_status(self, evaluations: Sequence[Evaluation] | None = None) -> str | None:
        """The status the targets' verdicts give this month (``judge_status``), or None
        when the party reports on no target. ``evaluations``: ``self.evaluate()`` when the
        caller has it already."""
        evaluations = self.evaluate() if evaluations is None else evaluations
        return judge_status(evaluation.verdict for evaluation in evaluations)

    def counted_status(self, evaluations: Sequence[Evaluation] | None = None) -> str:
        """The status that counts, on the pages and the dashboards: the declared one when
        the lead unit accepted the party's exception or no target measures the item, the
        targets' judgement otherwise."""
        if self.exception_state == self.ExceptionState.ACCEPTED:
            return self.declared_status
        return self.judged_status(evaluations) or self.declared_status

    def get_counted_status_display(self) -> str:
        return str(self.Status(self.counted_status()).label)

    @property
    def has_exception(self) -> bool:
        """The party asked that its declared status count (whatever the decision)."""
        return self.exception_state != self.ExceptionState.NONE

    @property
    def filing_deadline(self) -> datetime.date:
        return self.assignment.filing_deadline(self.year, self.month)

    def is_late(self, today: datetime.date) -> bool:
        """Filed after its deadline, or still unfiled once the deadline has passed. The
        first submission counts; a report returned for corrections is not late again."""
        submitted_on = (
            timezone.localdate(self.first_submitted_at) if self.first_submitted_at else None
        )
        return filing.is_late(submitted_on=submitted_on, deadline=self.filing_deadline, today=today)

    def missing_evidence_kinds(self, extra_kinds: Iterable[str] = ()) -> list[str]:
        """Labels of the evidence kinds the item requires that the report does not have yet
        (``extra_kinds``: kinds being uploaded with the same form)."""
        present = {evidence.kind for evidence in self.evidence.all()} | set(extra_kinds)
        return [
            requirement.get_kind_display()
            for requirement in self.assignment.item.evidence_requirements.all()
            if requirement.kind not in present
        ]

    def is_editable_by_party(self) -> bool:
        """Drafts and returned reports are open to the party; submitted and approved ones
        are locked."""
        return self.workflow_state in (self.WorkflowState.DRAFT, self.WorkflowState.RETURNED)


def judge_status(verdicts: Iterable[str]) -> str | None:
    """The one home of "the portal judges": a month's 进展状态 from its targets' verdicts
    (``Target.evaluate``). 已完成 only when every target is met; 滞后 when one is behind
    (its deadline reached, or a periodic duty missed); 未启动 when nothing is reported
    yet; 推进中 otherwise. None when there is no target to judge by: the party's declared
    status then counts."""
    verdicts = set(verdicts)
    if not verdicts:
        return None
    verdict, status = Target.Verdict, ProgressReport.Status
    if verdicts == {verdict.MET}:
        return status.COMPLETED
    if verdict.BEHIND in verdicts:
        return status.LAGGING
    if verdicts == {verdict.NOT_REPORTED}:
        return status.NOT_STARTED
    return status.IN_PROGRESS


def evaluate_assignment_month(
    assignment: Assignment,
    report: ProgressReport | None,
    *,
    year: int,
    month: int,
    figures: dict[registers.FigureKey, registers.Figure] | None = None,
) -> list[Evaluation]:
    """Targets judged for a month: 未填报 throughout when no report was filed, except the
    targets judged from a register (the meetings held are on record, report or not).
    ``figures``: the registers' figures, when the caller fetched them for many cells."""
    if report is not None:
        return report.evaluate(figures)
    if figures is None:
        figures = registers.figures(
            checklist=assignment.item.checklist, assignments=[assignment], months=[month]
        )
    return [
        target.evaluate(
            None, year=year, month=month, figure=figures.get((target.pk, assignment.pk, month))
        )
        for target in assignment.targets()
    ]


def prefetch_register_figures(
    reports: Iterable[ProgressReport],
    figures: dict[registers.FigureKey, registers.Figure] | None = None,
) -> None:
    """Fetch the registers' figures of many reports at once (one batched call per
    checklist) and keep them on each report, so that ``evaluate()`` on a list or page of
    reports asks no query per row. Expects the reports' assignments with their item's
    checklist and targets. ``figures``: already fetched by the caller for these reports."""
    reports = list(reports)
    if figures is not None:
        for report in reports:
            report.__dict__["register_figures"] = figures  # the cached_property's value
        return
    groups: dict[int, tuple[Checklist, list[ProgressReport]]] = {}
    for report in reports:
        checklist = report.assignment.item.checklist
        groups.setdefault(checklist.pk, (checklist, []))[1].append(report)
    for checklist, members in groups.values():
        found = registers.figures(
            checklist=checklist,
            assignments={report.assignment_id: report.assignment for report in members}.values(),
            months={report.month for report in members if report.year == checklist.year},
        )
        for report in members:
            report.__dict__["register_figures"] = found  # the cached_property's value


class TargetValue(models.Model):
    """The figure a report gives for one target; which columns apply depends on its kind."""

    # Every change, with who made it: the 修改记录 (docs/audit.md).
    history = HistoricalRecords()

    report = models.ForeignKey(
        ProgressReport, verbose_name=_("月报"), on_delete=models.CASCADE, related_name="values"
    )
    target = models.ForeignKey(
        Target, verbose_name=_("目标"), on_delete=models.PROTECT, related_name="values"
    )
    numerator = models.PositiveIntegerField(
        _("分子"), null=True, blank=True, validators=[MaxValueValidator(LARGEST_FIGURE)]
    )
    denominator = models.PositiveIntegerField(
        _("分母"), null=True, blank=True, validators=[MaxValueValidator(LARGEST_FIGURE)]
    )
    quantity = models.PositiveIntegerField(
        _("数量"),
        null=True,
        blank=True,
        help_text=_("个数、开展次数或新增数。"),
        validators=[MaxValueValidator(LARGEST_FIGURE)],
    )
    achieved_on = models.DateField(_("完成日期"), null=True, blank=True)
    is_done = models.BooleanField(_("已完成"), null=True, blank=True)
    # A denominator taken from the compound register (``Target.denominator_source``): the
    # register's count when the report was saved, and why the party reported another.
    denominator_registered = models.PositiveIntegerField(
        _("登记数"), null=True, blank=True, validators=[MaxValueValidator(LARGEST_FIGURE)]
    )
    denominator_reason = models.CharField(_("与登记数不同的原因"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("指标值")
        verbose_name_plural = _("指标值")
        constraints = [
            models.UniqueConstraint(fields=["report", "target"], name="value_unique_per_target"),
            models.CheckConstraint(
                condition=Q(numerator__isnull=True)
                | Q(denominator__isnull=True)
                | Q(numerator__lte=F("denominator")),
                name="value_numerator_not_above_denominator",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target} = {self.display()}"

    def is_filled_for(self, target: Target) -> bool:
        """Whether the columns the target's kind reads hold a value (a deadline target
        with no date is reported as not yet done)."""
        kind = Target.Kind
        if target.kind == kind.RATE:
            return self.numerator is not None and self.denominator is not None
        if target.kind in (kind.COUNT, kind.FREQUENCY, kind.ZERO_GROWTH):
            return self.quantity is not None
        if target.kind == kind.MILESTONE:
            return self.is_done is not None
        return True

    @property
    def differs_from_register(self) -> bool:
        """The party reported a denominator other than the register's count."""
        return (
            self.denominator_registered is not None
            and self.denominator is not None
            and self.denominator != self.denominator_registered
        )

    def display(self) -> str:
        if self.numerator is not None or self.denominator is not None:
            return f"{self.numerator}/{self.denominator}"
        if self.quantity is not None:
            return str(self.quantity)
        if self.achieved_on is not None:
            return f"{self.achieved_on:%Y-%m-%d}"
        if self.is_done is not None:
            return "是" if self.is_done else "否"
        return "—"


class EvidenceStorage(FileSystemStorage):
    """Private storage under ``MEDIA_ROOT/evidence``, read from settings when first used
    (so a deployment's MEDIA_ROOT, or a test's, applies). No URL: files are served only
    by ``evidence_download`` after a permission check."""

    def __init__(self) -> None:
        super().__init__(base_url=None)

    @cached_property
    def base_location(self) -> str:
        return str(Path(settings.MEDIA_ROOT) / "evidence")


evidence_storage = EvidenceStorage()


def get_evidence_storage() -> EvidenceStorage:
    return evidence_storage


def _evidence_path(instance: Evidence, filename: str) -> str:
    report = instance.report
    return f"{report.year}/{report.month:02d}/{report.assignment_id}/{filename}"


class Evidence(models.Model):
    """A ledger file (佐证材料) attached to a report; private, served only through a view
    that checks the user may see the report."""

    class Kind(models.TextChoices):
        MINUTES = "minutes", _("会议记录")
        PHOTO = "photo", _("照片")
        SIGN_IN_SHEET = "sign_in_sheet", _("签到表")
        DOCUMENT = "document", _("其他材料")

    # Every change, with who made it: the 修改记录 (docs/audit.md).
    history = HistoricalRecords()

    report = models.ForeignKey(
        ProgressReport, verbose_name=_("月报"), on_delete=models.CASCADE, related_name="evidence"
    )
    kind = models.CharField(_("材料类型"), max_length=20, choices=Kind.choices)
    file = models.FileField(_("文件"), storage=get_evidence_storage, upload_to=_evidence_path)
    original_name = models.CharField(_("原文件名"), max_length=255)
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小(字节)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")
        ordering = ["report", "uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class ReportTransition(models.Model):
    """One step of a report's workflow: who moved it, when, from which state to which."""

    report = models.ForeignKey(
        ProgressReport, verbose_name=_("月报"), on_delete=models.CASCADE, related_name="transitions"
    )
    from_state = models.CharField(
        _("原状态"), max_length=10, choices=ProgressReport.WorkflowState.choices
    )
    to_state = models.CharField(
        _("新状态"), max_length=10, choices=ProgressReport.WorkflowState.choices
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    comment = models.TextField(_("意见"), blank=True)

    class Meta:
        verbose_name = _("流程记录")
        verbose_name_plural = _("流程记录")
        ordering = ["report", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.report}: {self.from_state} → {self.to_state}"


class EvidenceRequirement(models.Model):
    """A kind of evidence an item asks for before a report may say 已完成."""

    item = models.ForeignKey(
        Item,
        verbose_name=_("任务"),
        on_delete=models.CASCADE,
        related_name="evidence_requirements",
    )
    kind = models.CharField(_("材料类型"), max_length=20, choices=Evidence.Kind.choices)

    class Meta:
        verbose_name = _("佐证材料要求")
        verbose_name_plural = _("佐证材料要求")
        ordering = ["item", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["item", "kind"], name="evidence_requirement_unique")
        ]

    def __str__(self) -> str:
        return f"{self.item.number} · {self.get_kind_display()}"


class DeadlineExtensionQuerySet(models.QuerySet["DeadlineExtension"]):
    def granted(self) -> DeadlineExtensionQuerySet:
        return self.filter(state=DeadlineExtension.State.GRANTED)

    def pending(self) -> DeadlineExtensionQuerySet:
        return self.filter(state=DeadlineExtension.State.PENDING)

    def visible_to(self, user: AnyUser) -> DeadlineExtensionQuerySet:
        """Requests the user may see: their party's, those on items their unit leads, and
        all of them for the street admin and leadership."""
        if not user.is_authenticated:
            return self.none()
        if access.sees_everything(user):
            return self
        return self.filter(
            Q(assignment__in=Assignment.objects.fileable_by(user))
            | Q(assignment__in=Assignment.objects.reviewable_by(user))
        )


class DeadlineExtension(models.Model):
    """A party's request to file a month's report later than the checklist's filing day;
    the item's lead unit grants or refuses it. A granted one moves the deadline everywhere
    lateness is judged (``Assignment.filing_deadline``)."""

    class State(models.TextChoices):
        PENDING = "pending", _("待审批")
        GRANTED = "granted", _("已批准")
        REFUSED = "refused", _("未批准")

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("任务分派"), on_delete=models.CASCADE, related_name="extensions"
    )
    year = models.PositiveSmallIntegerField(_("年"))
    month = models.PositiveSmallIntegerField(_("月"))
    requested_deadline = models.DateField(_("申请延至"))
    reason = models.TextField(_("理由"))
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_comment = models.TextField(_("审批意见"), blank=True)

    objects = DeadlineExtensionQuerySet.as_manager()

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "year", "month"],
                condition=Q(state="pending"),
                name="extension_one_pending_per_assignment_month",
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1) & Q(month__lte=12), name="extension_month_range"
            ),
        ]

    def __str__(self) -> str:
        period = month_label(self.year, self.month)
        return f"{self.assignment} · {period} → {self.requested_deadline}"


class CalendarDay(models.Model):
    """A holiday or 调休 working day the street admin entered, for a year China's official
    calendar (``chinese_calendar``) does not cover yet. Deadlines in such a year skip
    weekends and the holidays entered here, and fall on a day entered as 调休上班; for a
    covered year the official calendar alone counts (``tasks.workdays``)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("节假日")
        WORKING_DAY = "working_day", _("调休上班")

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=50, blank=True, help_text=_("如“国庆节”。"))

    class Meta:
        verbose_name = _("节假日安排")
        verbose_name_plural = _("节假日安排")
        ordering = ["date"]

    def __str__(self) -> str:
        label = self.name or self.get_kind_display()
        return f"{self.date:%Y-%m-%d} {label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        self._forget_cached_days()

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        deleted = super().delete(*args, **kwargs)
        self._forget_cached_days()
        return deleted

    def _forget_cached_days(self) -> None:
        # Now, so this request sees the change at once; and again on commit, as another
        # request of this process may have cached the calendar before the commit.
        workdays.clear_cache()
        transaction.on_commit(workdays.clear_cache)
