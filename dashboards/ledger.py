"""The ledgers (台账) of a checklist year's monthly progress reports, as xlsx downloads:

* by month: every assignment for one month;
* by item: one item, every party × every month up to a chosen one;
* by community: one community, every item assigned to it × every month up to a chosen one.

One row per assignment × month owed (``Checklist.months_owed``), whether or not a report
was filed: a month with no report reads 未填报, so the ledger shows who is missing. A month
the checklist does not owe (before it took effect) has no row, unless a report exists.
The rows a user gets are those of the assignments they may read (``ledger_assignments_for``)
and the reports they may open (``ProgressReport.objects.visible_to``): a lead unit never
sees another party's draft, which reads 未提交. Every ledger is built in a fixed number of
queries, whatever its length.

The export is read-only (no import): ``LedgerResource`` only writes, each cell through
``SpreadsheetResource.export_field``, so that formula injection is neutralised in every
column, computed ones included.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import tablib
from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils import timezone, translation
from django.utils.translation import gettext
from import_export.formats.base_formats import XLSX
from import_export.widgets import DateTimeWidget
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from communities import access
from communities.models import Community, Unit
from core.spreadsheets import (
    ChoicesWidget,
    Column,
    NameListWidget,
    NonNegativeIntegerWidget,
    OptionalDateWidget,
    SpreadsheetResource,
    TextWidget,
)
from core.typing import AnyUser
from tasks import registers
from tasks.models import (
    Assignment,
    AssignmentQuerySet,
    DeadlineExtension,
    Evaluation,
    Item,
    ItemLeadUnit,
    ProgressReport,
    evaluate_assignment_month,
)
from tasks.resources import AssignmentWidget

MONTHS = range(1, 13)
# Characters a file name may not hold on Windows, the street offices' desktops.
UNSAFE_IN_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


# ---------------------------------------------------------------------------------------
# Who may download what


def ledger_assignments_for(user: AnyUser) -> AssignmentQuerySet:
    """Assignments whose rows the user may read in a ledger: every one for the street
    admin and leadership; otherwise those their community or unit files and those on
    items their unit leads."""
    if access.sees_everything(user):
        return Assignment.objects.all()
    return Assignment.objects.filter(
        Q(pk__in=Assignment.objects.fileable_by(user))
        | Q(pk__in=Assignment.objects.reviewable_by(user))
    )


def may_download_month_ledger(user: AnyUser) -> bool:
    """Anyone with a row to read: those who see everything, lead units, filing parties."""
    return access.sees_everything(user) or ledger_assignments_for(user).exists()


def may_download_item_ledger(user: AnyUser, item: Item) -> bool:
    """Those who see everything, and the staff of the item's lead units."""
    return (
        access.sees_everything(user)
        or Assignment.objects.reviewable_by(user).filter(item=item).exists()
    )


# ---------------------------------------------------------------------------------------
# Rows


@dataclass
class LedgerRow:
    """One assignment in one month, as the user may see it."""

    assignment: Assignment
    year: int
    month: int
    report: ProgressReport | None  # the month's report, if the user may open it
    unsubmitted: bool  # a draft exists that the user may not open
    today: datetime.date
    # The registers' figures (frequency targets: the meeting register) of all the rows,
    # fetched once (``tasks.registers.figures``).
    figures: dict[registers.FigureKey, registers.Figure] | None = None

    @property
    def item(self) -> Item:
        return self.assignment.item

    @cached_property
    def deadline(self) -> datetime.date:
        """The filing deadline, with any extension the lead unit granted."""
        return self.assignment.filing_deadline(self.year, self.month)

    @property
    def workflow_label(self) -> str:
        if self.report is not None:
            return str(self.report.get_workflow_state_display())
        if self.unsubmitted:
            return gettext("未提交")
        return gettext("未填报")

    def evaluations(self) -> list[Evaluation]:
        return evaluate_assignment_month(
            self.assignment, self.report, year=self.year, month=self.month, figures=self.figures
        )

    @property
    def punctuality(self) -> str:
        """按时, 逾期 N 天 (filed late; the first submission counts), 未到期 (not filed,
        not due yet), 逾期未报 N 天 (not filed, deadline passed) or, once the year has
        closed, 未报(年度已结束) (the count would grow for ever)."""
        # The model says whether it is late; the row only counts the days.
        judged = self.report or ProgressReport(
            assignment=self.assignment, year=self.year, month=self.month
        )
        late = judged.is_late(self.today)
        if judged.first_submitted_at is not None:
            filed_on = timezone.localdate(judged.first_submitted_at)
            if not late:
                return gettext("按时")
            return gettext("逾期 %(days)s 天") % {
                "days": self.item.checklist.days_late(self.deadline, self.today, filed_on)
            }
        if not late:
            return gettext("未到期")
        if self.item.checklist.is_closed(self.today):
            return gettext("未报(年度已结束)")
        return gettext("逾期未报 %(days)s 天") % {
            "days": self.item.checklist.days_late(self.deadline, self.today)
        }


def _ledger_rows(
    assignments: AssignmentQuerySet,
    *,
    user: AnyUser,
    year: int,
    months: Sequence[int],
    today: datetime.date,
) -> list[LedgerRow]:
    """The rows of ``assignments`` (already narrowed to what the user may read) for
    ``months`` of ``year``, month by month, in a fixed number of queries: the
    assignments with item, pillar, checklist and party; the items' targets; their lead
    units; the months' extensions; the reports the user may open, with reviewer and
    values; and which assignment-months have a report at all."""
    reports = ProgressReport.objects.filter(year=year, month__in=months)
    fetched = list(
        assignments.filter(item__checklist__year=year)
        .select_related("item__checklist", "item__pillar", "community", "unit")
        .prefetch_related(
            "item__targets",
            Prefetch(
                "item__lead_unit_links",
                queryset=ItemLeadUnit.objects.select_related("unit").order_by("order"),
            ),
            # all ``filing_deadline(year, month)`` reads
            Prefetch(
                "extensions",
                queryset=DeadlineExtension.objects.filter(year=year, month__in=months),
            ),
            Prefetch(
                "reports",
                queryset=reports.visible_to(user)
                .select_related("reviewed_by")
                .prefetch_related("values"),
                to_attr="ledger_reports",
            ),
            Prefetch(
                "reports",
                queryset=reports.order_by().only("pk", "assignment_id", "month"),
                to_attr="filed_reports",
            ),
        )
        .order_by("item__number", "is_street_level", "community__order", "unit__order", "pk")
    )
    by_month = {
        assignment.pk: {
            report.month: report
            for report in assignment.ledger_reports  # type: ignore[attr-defined]  # Prefetch to_attr
        }
        for assignment in fetched
    }
    filed = {
        (assignment.pk, report.month)
        for assignment in fetched
        for report in assignment.filed_reports  # type: ignore[attr-defined]  # Prefetch to_attr
    }
    checklists = {assignment.item.checklist.pk: assignment.item.checklist for assignment in fetched}
    figures: dict[registers.FigureKey, registers.Figure] = {}
    for checklist in checklists.values():
        figures.update(
            registers.figures(
                checklist=checklist,
                assignments=[a for a in fetched if a.item.checklist.pk == checklist.pk],
                months=months,
            )
        )
    rows = []
    for month in months:
        for assignment in fetched:
            report = by_month[assignment.pk].get(month)
            unsubmitted = report is None and (assignment.pk, month) in filed
            if not (report or unsubmitted or assignment.item.checklist.owes_month(year, month)):
                continue  # not owed, and nothing filed: nothing is missing
            rows.append(
                LedgerRow(
                    assignment=assignment,
                    year=year,
                    month=month,
                    report=report,
                    unsubmitted=unsubmitted,
                    today=today,
                    figures=figures,
                )
            )
    return rows


def month_ledger(*, user: AnyUser, year: int, month: int) -> list[LedgerRow]:
    """Every assignment the user may read, for one month."""
    return _ledger_rows(
        ledger_assignments_for(user),
        user=user,
        year=year,
        months=[month],
        today=timezone.localdate(),
    )


def item_ledger(*, user: AnyUser, item: Item, up_to_month: int = 12) -> list[LedgerRow]:
    """One item, each party the user may read × months 1 to ``up_to_month`` of the item's
    year."""
    return _ledger_rows(
        ledger_assignments_for(user).filter(item=item),
        user=user,
        year=item.checklist.year,
        months=range(1, up_to_month + 1),
        today=timezone.localdate(),
    )


def community_ledger(
    *, user: AnyUser, community: Community, year: int, up_to_month: int = 12
) -> list[LedgerRow]:
    """One community, each item assigned to it × months 1 to ``up_to_month``."""
    return _ledger_rows(
        ledger_assignments_for(user).filter(community=community),
        user=user,
        year=year,
        months=range(1, up_to_month + 1),
        today=timezone.localdate(),
    )


# ---------------------------------------------------------------------------------------
# Columns and file


class LedgerResource(SpreadsheetResource):
    """The ledger's columns (export only); rows are ``LedgerRow``s."""

    year = Column(attribute="year", column_name="年度", widget=NonNegativeIntegerWidget())
    month = Column(attribute="month", column_name="月份", widget=NonNegativeIntegerWidget())
    pillar = Column(attribute="item__pillar__name", column_name="板块", widget=TextWidget())
    item_number = Column(
        attribute="item__number", column_name="任务序号", widget=NonNegativeIntegerWidget()
    )
    item_text = Column(attribute="item__text", column_name="任务内容", widget=TextWidget())
    lead_units = Column(
        attribute="item__ordered_lead_units", column_name="牵头单位", widget=NameListWidget(Unit)
    )
    party = Column(
        attribute="assignment",
        column_name="责任单位",
        widget=AssignmentWidget(year_column="年度", number_column="任务序号"),
    )
    status = Column(
        attribute="report__status",
        column_name="进展状态",
        widget=ChoicesWidget(ProgressReport.Status),
    )
    workflow_state = Column(attribute="workflow_label", column_name="流程状态")
    evaluations = Column(column_name="指标完成情况")
    narrative = Column(attribute="report__narrative", column_name="进展情况", widget=TextWidget())
    deadline = Column(attribute="deadline", column_name="截止日期", widget=OptionalDateWidget())
    first_submitted_at = Column(
        attribute="report__first_submitted_at",
        column_name="首次提交时间",
        widget=DateTimeWidget(),
    )
    punctuality = Column(attribute="punctuality", column_name="是否按时")
    reviewer = Column(column_name="审核人")
    reviewed_at = Column(
        attribute="report__reviewed_at", column_name="审核时间", widget=DateTimeWidget()
    )
    review_comment = Column(
        attribute="report__review_comment", column_name="审核意见", widget=TextWidget()
    )

    class Meta:
        name = "台账"
        fields = (
            "year",
            "month",
            "pillar",
            "item_number",
            "item_text",
            "lead_units",
            "party",
            "status",
            "workflow_state",
            "evaluations",
            "narrative",
            "deadline",
            "first_submitted_at",
            "punctuality",
            "reviewer",
            "reviewed_at",
            "review_comment",
        )

    def dehydrate_evaluations(self, row: LedgerRow) -> str:
        return "；".join(
            f"{evaluation.target.title}: {evaluation.measured} ({evaluation.verdict.label})"
            for evaluation in row.evaluations()
        )

    def dehydrate_reviewer(self, row: LedgerRow) -> str:
        reviewer = row.report.reviewed_by if row.report is not None else None
        if reviewer is None:
            return ""
        return reviewer.get_full_name() or reviewer.get_username()


def ledger_dataset(rows: Iterable[LedgerRow]) -> tablib.Dataset:
    """The rows under the Chinese headers, with dates and numbers as spreadsheet values.
    Written in Chinese whatever the user's interface language: a ledger is filed as is."""
    with translation.override(settings.LANGUAGE_CODE):
        dataset = LedgerResource().export(list(rows), force_native_type=True)
    dataset.title = "台账"
    return dataset


def ledger_workbook(rows: Iterable[LedgerRow]) -> bytes:
    """The xlsx file of the rows. Control characters a workbook cannot hold (pasted into
    a narrative) become U+FFFD rather than failing the download."""
    dataset = ledger_dataset(rows)
    cleaned = tablib.Dataset(headers=dataset.headers, title=dataset.title)
    for row in dataset:
        cleaned.append(
            [
                ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", cell)
                if isinstance(cell, str)
                else cell
                for cell in row
            ]
        )
    return XLSX().export_data(cleaned)


def ledger_filename(
    *,
    year: int,
    month: int | None = None,
    up_to_month: int = 12,
    item: Item | None = None,
    community: Community | None = None,
) -> str:
    """台账_2017年7月.xlsx (a month), 台账_2017年_第8项.xlsx (an item),
    台账_2017年1-7月_示例社区一.xlsx (a community up to July)."""
    if month is not None:
        period = f"{year}年{month}月"
    elif up_to_month < 12:
        period = f"{year}年1-{up_to_month}月"
    else:
        period = f"{year}年"
    parts = ["台账", period]
    if item is not None:
        parts.append(f"第{item.number}项")
    if community is not None:
        parts.append(community.name)
    return UNSAFE_IN_FILENAME.sub("_", "_".join(parts)) + ".xlsx"
