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
import io
import re
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from xml.sax.saxutils import escape

import tablib
from django.conf import settings
from django.db import connection
from django.db.models import Manager, Prefetch, Q, Value
from django.utils import timezone, translation
from django.utils.translation import gettext
from import_export.fields import Field
from import_export.widgets import DateTimeWidget
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.compat import safe_string
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel

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
    neutralise_formula,
)
from core.typing import AnyUser
from tasks import filing, registers
from tasks.models import (
    Assignment,
    AssignmentQuerySet,
    DeadlineExtension,
    Evaluation,
    Item,
    ItemLeadUnit,
    ProgressReport,
    Target,
    TargetValue,
    evaluate_assignment_month,
)
from tasks.resources import AssignmentWidget

MONTHS = range(1, 13)
# Up to this many assignments (or reports), a ledger's queries name them by key; beyond
# (the street admin's ledger of every party), they read them through a subquery.
KEYS_LISTED = 5000
# Characters a file name may not hold on Windows, the street offices' desktops.
UNSAFE_IN_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


# ---------------------------------------------------------------------------------------
# Who may download what


@dataclass(frozen=True)
class LedgerReader:
    """What a user may read in a ledger, resolved to keys once (one query) so that every
    query of the ledger names them (an index lookup each) rather than repeating the
    permission subqueries inside the reports' and values' queries, which PostgreSQL
    could then only answer by reading those tables whole. ``everything``: the street admin
    and leadership, who read every row."""

    everything: bool
    communities: frozenset[int] = frozenset()  # those the user files for
    units: frozenset[int] = frozenset()  # the units the user files for
    led_items: frozenset[int] = frozenset()  # items led by a unit the user reviews for

    def assignments(self) -> AssignmentQuerySet:
        """The assignments whose rows the user may read: every one, or those their
        community or unit files and those on items their unit leads."""
        if self.everything:
            return Assignment.objects.all()
        if not (self.communities or self.units or self.led_items):
            return Assignment.objects.none()
        return Assignment.objects.filter(
            Q(community__in=sorted(self.communities))
            | Q(unit__in=sorted(self.units))
            | Q(item__in=sorted(self.led_items))
        )

    def has_rows(self) -> bool:
        """Whether the user has a row to read: one query, each kind of key looked up on
        its own index (an ``OR`` of them lets PostgreSQL read the table instead)."""
        if self.everything:
            return True
        if not connection.features.supports_slicing_ordering_in_compound:  # SQLite
            return self.assignments().exists()
        parts = [
            Assignment.objects.filter(**{f"{field}__in": sorted(keys)})
            .values_list(Value(1))
            .order_by(f"{field}_id")[:1]  # in the index's order: its first entry answers
            for field, keys in (
                ("community", self.communities),
                ("unit", self.units),
                ("item", self.led_items),
            )
            if keys
        ]
        if not parts:
            return False
        first, *others = parts
        return bool(list(first.union(*others, all=True)[:1]) if others else list(first))

    def may_open(self, assignment: Assignment, report: ProgressReport) -> bool:
        """``ProgressReport.objects.visible_to``'s rule for one report of a readable
        assignment: every report for those who see everything; a party's own (drafts
        included); the non-draft reports on items their unit leads."""
        if self.everything:
            return True
        if assignment.community_id in self.communities or assignment.unit_id in self.units:
            return True
        return (
            assignment.item_id in self.led_items
            and report.workflow_state != ProgressReport.WorkflowState.DRAFT
        )


def ledger_reader(user: AnyUser) -> LedgerReader:
    """The user's ``LedgerReader``: no query for those who see everything, one otherwise
    (their communities, units and led items in one ``UNION``)."""
    if access.sees_everything(user):
        return LedgerReader(everything=True)
    if not user.is_authenticated:
        return LedgerReader(everything=False)
    kinds = (
        Community.objects.filter(access.community_q(user, access.FILE_REPORTS, "pk"))
        .annotate(key_kind=Value("community"))
        .values_list("key_kind", "pk")
        .order_by()
        .union(
            Unit.objects.filter(access.unit_q(user, access.FILE_REPORTS, "pk"))
            .annotate(key_kind=Value("unit"))
            .values_list("key_kind", "pk")
            .order_by(),
            Item.objects.reviewable_by(user)
            .annotate(key_kind=Value("item"))
            .values_list("key_kind", "pk")
            .order_by(),
            all=True,
        )
    )
    found: dict[str, set[int]] = defaultdict(set)
    for kind, pk in kinds:
        found[kind].add(pk)
    return LedgerReader(
        everything=False,
        communities=frozenset(found["community"]),
        units=frozenset(found["unit"]),
        led_items=frozenset(found["item"]),
    )


def ledger_assignments_for(user: AnyUser) -> AssignmentQuerySet:
    """Assignments whose rows the user may read in a ledger: every one for the street
    admin and leadership; otherwise those their community or unit files and those on
    items their unit leads (``LedgerReader``)."""
    return ledger_reader(user).assignments()


def may_download_month_ledger(user: AnyUser, reader: LedgerReader | None = None) -> bool:
    """Anyone with a row to read: those who see everything, lead units, filing parties."""
    return (ledger_reader(user) if reader is None else reader).has_rows()


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
    # The filing deadline when the caller worked it out for many rows at once.
    filing_deadline: datetime.date | None = None

    @property
    def item(self) -> Item:
        return self.assignment.item

    @cached_property
    def deadline(self) -> datetime.date:
        """The filing deadline, with any extension the lead unit granted."""
        if self.filing_deadline is not None:
            return self.filing_deadline
        return self.assignment.filing_deadline(self.year, self.month)

    @property
    def workflow_label(self) -> str:
        if self.report is not None:
            return str(ProgressReport.WorkflowState(self.report.workflow_state).label)
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
        # The filing calendar says whether it is late (as ``ProgressReport.is_late``, with
        # the row's deadline); the row only counts the days.
        submitted_at = self.report.first_submitted_at if self.report is not None else None
        filed_on = timezone.localdate(submitted_at) if submitted_at is not None else None
        late = filing.is_late(submitted_on=filed_on, deadline=self.deadline, today=self.today)
        if filed_on is not None:
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
    reader: LedgerReader,
    assignments: AssignmentQuerySet,
    *,
    year: int,
    months: Sequence[int],
    today: datetime.date,
) -> list[LedgerRow]:
    """The rows of ``assignments`` (already narrowed to what ``reader`` may read) for
    ``months`` of ``year``, month by month, in a fixed number of queries: the year's
    items with pillar, checklist, targets and lead units; the assignments with their
    party; the months' extensions; the months' reports with their reviewer, each marked
    whether the user may open it (one that may not be opened only says a report exists);
    the values of those that may. Each is read once and joined here by key (6,000
    communities: 225,000 assignments), not through a prefetch per assignment."""
    items = {
        item.pk: item
        for item in Item.objects.filter(checklist__year=year)
        .select_related("checklist", "pillar")
        .prefetch_related(
            "targets",
            Prefetch(
                "lead_unit_links",
                queryset=ItemLeadUnit.objects.select_related("unit").order_by("order"),
            ),
        )
    }
    chosen = assignments.filter(item__checklist__year=year)
    fetched = list(
        chosen.select_related("community", "unit").order_by(
            "item__number", "is_street_level", "community__order", "unit__order", "pk"
        )
    )
    item_field = Assignment._meta.get_field("item")
    for assignment in fetched:
        item_field.set_cached_value(assignment, items[assignment.item_id])
    by_pk = {assignment.pk: assignment for assignment in fetched}
    # The rows' assignments by key when they are a party's or a unit's few (an index
    # lookup each); the whole year's as a subquery when the user reads everything.
    of_rows: Any = chosen if reader.everything or len(fetched) > KEYS_LISTED else sorted(by_pk)
    reports = ProgressReport.objects.filter(year=year, month__in=months, assignment__in=of_rows)
    granted: dict[tuple[int, int], list[datetime.date]] = defaultdict(list)
    for assignment_id, month, day in DeadlineExtension.objects.filter(
        state=DeadlineExtension.State.GRANTED,
        year=year,
        month__in=months,
        assignment__in=of_rows,
    ).values_list("assignment_id", "month", "requested_deadline"):
        granted[assignment_id, month].append(day)
    # Every report of the months, each marked whether the user may open it
    # (``LedgerReader.may_open``): the others only say that a report exists (未提交).
    fetched_reports = list(reports.select_related("reviewed_by").order_by())
    opened = [
        report for report in fetched_reports if reader.may_open(by_pk[report.assignment_id], report)
    ]
    values: dict[int, dict[int, TargetValue]] = defaultdict(dict)
    for value in TargetValue.objects.filter(
        report__in=reports.values("pk")
        if reader.everything or len(opened) > KEYS_LISTED
        else sorted(report.pk for report in opened)
    ):
        values[value.report_id][value.target_id] = value
    report_field = ProgressReport._meta.get_field("assignment")
    by_month: dict[tuple[int, int], ProgressReport] = {}
    filed = set()
    may_open = {report.pk for report in opened}
    for shown in fetched_reports:
        filed.add((shown.assignment_id, shown.month))
        if shown.pk not in may_open:
            continue
        report_field.set_cached_value(shown, by_pk[shown.assignment_id])
        shown.__dict__["values_by_target"] = values.get(shown.pk, {})  # cached_property
        by_month[shown.assignment_id, shown.month] = shown
    checklists = {item.checklist.pk: item.checklist for item in items.values()}
    figures: dict[registers.FigureKey, registers.Figure] = {}
    for checklist in checklists.values():
        figures.update(
            registers.figures(
                checklist=checklist,
                assignments=[a for a in fetched if a.item.checklist.pk == checklist.pk],
                months=months,
            )
        )
    deadlines = {
        (checklist.pk, month): checklist.filing_deadline(year, month)
        for checklist in checklists.values()
        for month in months
    }
    rows = []
    for month in months:
        owed = {pk for pk, checklist in checklists.items() if checklist.owes_month(year, month)}
        for assignment in fetched:
            report = by_month.get((assignment.pk, month))
            unsubmitted = report is None and (assignment.pk, month) in filed
            checklist_id = assignment.item.checklist.pk
            if not (report or unsubmitted or checklist_id in owed):
                continue  # not owed, and nothing filed: nothing is missing
            deadline = deadlines[checklist_id, month]
            extended = granted.get((assignment.pk, month))
            rows.append(
                LedgerRow(
                    assignment=assignment,
                    year=year,
                    month=month,
                    report=report,
                    unsubmitted=unsubmitted,
                    today=today,
                    figures=figures,
                    filing_deadline=(
                        filing.deadline_with_extensions(deadline, extended)
                        if extended
                        else deadline
                    ),
                )
            )
    return rows


def month_ledger(
    *, user: AnyUser, year: int, month: int, reader: LedgerReader | None = None
) -> list[LedgerRow]:
    """Every assignment the user may read (``reader``, when the caller has it), for one
    month."""
    reader = ledger_reader(user) if reader is None else reader
    return _ledger_rows(
        reader,
        reader.assignments(),
        year=year,
        months=[month],
        today=timezone.localdate(),
    )


def item_ledger(*, user: AnyUser, item: Item, up_to_month: int = 12) -> list[LedgerRow]:
    """One item, each party the user may read × months 1 to ``up_to_month`` of the item's
    year."""
    reader = ledger_reader(user)
    return _ledger_rows(
        reader,
        reader.assignments().filter(item=item),
        year=item.checklist.year,
        months=range(1, up_to_month + 1),
        today=timezone.localdate(),
    )


def community_ledger(
    *, user: AnyUser, community: Community, year: int, up_to_month: int = 12
) -> list[LedgerRow]:
    """One community, each item assigned to it × months 1 to ``up_to_month``."""
    reader = ledger_reader(user)
    return _ledger_rows(
        reader,
        reader.assignments().filter(community=community),
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
        labels = self._verdict_labels
        return "；".join(
            f"{evaluation.target.title}: {evaluation.measured} ({labels[evaluation.verdict]})"
            for evaluation in row.evaluations()
        )

    @cached_property
    def _verdict_labels(self) -> dict[str, str]:
        """The verdicts' labels in the export's language, translated once."""
        return {verdict: str(verdict.label) for verdict in Target.Verdict}

    def dehydrate_reviewer(self, row: LedgerRow) -> str:
        reviewer = row.report.reviewed_by if row.report is not None else None
        if reviewer is None:
            return ""
        return reviewer.get_full_name() or reviewer.get_username()


def _field_reader(resource: LedgerResource, field: Field) -> Callable[[LedgerRow], Any]:
    """How ``resource.export_field`` reads the field from a row (its ``dehydrate_``
    method, or its attribute through its widget as a native value), as one function, so
    that a ledger of 10,000 rows does not walk import-export's machinery per cell. A
    column read from the item is worked out once per item."""
    method = getattr(resource, f"dehydrate_{resource.get_field_name(field)}", None)
    if method is not None:
        return method
    parts = (field.attribute or "").split("__")
    render = field.widget.render

    def read(row: LedgerRow) -> Any:
        value: Any = row
        for part in parts:
            value = getattr(value, part, None)
            if value is None:
                break
        if callable(value) and not isinstance(value, Manager):
            value = value()
        return render(value, force_native_type=True)

    if parts[0] != "item":
        return read
    by_item: dict[int, Any] = {}

    def read_item(row: LedgerRow) -> Any:
        key = row.assignment.item_id
        if key not in by_item:
            by_item[key] = read(row)
        return by_item[key]

    return read_item


def ledger_cells(rows: Iterable[LedgerRow]) -> tuple[list[str], Iterator[list[Any]]]:
    """The headers and, row by row, the cells ``LedgerResource`` exports (dates and
    numbers as spreadsheet values), formula injection neutralised in every one. Call in
    the export's language (``ledger_dataset``, ``ledger_workbook``)."""
    resource = LedgerResource()
    fields = resource.get_export_fields()
    readers = [_field_reader(resource, field) for field in fields]

    def cells() -> Iterator[list[Any]]:
        for row in rows:
            yield [neutralise_formula(read(row)) for read in readers]

    return resource.get_export_headers(), cells()


def ledger_dataset(rows: Iterable[LedgerRow]) -> tablib.Dataset:
    """The rows under the Chinese headers, with dates and numbers as spreadsheet values.
    Written in Chinese whatever the user's interface language: a ledger is filed as is."""
    with translation.override(settings.LANGUAGE_CODE):
        headers, cells = ledger_cells(rows)
        dataset = tablib.Dataset(*cells, headers=headers)
    dataset.title = "台账"
    return dataset


def ledger_workbook(rows: Iterable[LedgerRow]) -> bytes:
    """The xlsx file of the rows: bold headers, frozen under the header row, wrapped
    multi-line text and columns as wide as their longest value (as tablib lays a sheet
    out). Control characters a workbook cannot hold (pasted into a narrative) become
    U+FFFD rather than failing the download.

    openpyxl's write-only mode writes the workbook, the header and one row of samples
    (the styles of wrapped text, a date, a date and time); the body's rows are then
    written as the XML openpyxl writes for them (``_sheet_rows``), without its
    cell object per value, which cost as much as building the rows."""
    with translation.override(settings.LANGUAGE_CODE):
        headers, cells = ledger_cells(rows)
        body = [
            [
                ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", cell)
                if isinstance(cell, str)
                else cell
                for cell in row
            ]
            for row in cells
        ]
    widths = [len(header) for header in headers]
    for row in body:
        for index, cell in enumerate(row):
            width = len(str(cell))
            if width > widths[index]:
                widths[index] = width
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("台账")
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold, wrap = Font(bold=True), Alignment(wrap_text=True)
    sheet.append([_styled(sheet, header, font=bold) for header in headers])
    sheet.append(
        [
            _styled(sheet, "\n", alignment=wrap),
            datetime.date(2017, 1, 1),
            datetime.datetime(2017, 1, 1, 8, 0),  # noqa: DTZ001 (a sample: its style)
        ]
    )
    stream = io.BytesIO()
    workbook.save(stream)
    return _with_rows(stream.getvalue(), body, epoch=workbook.epoch)


SHEET = "xl/worksheets/sheet1.xml"
_SAMPLES = re.compile(r'<row r="2">.*?</row>', re.DOTALL)
_SAMPLE_STYLE = re.compile(r'<c r="([ABC])2" s="(\d+)"')


def _with_rows(package: bytes, body: list[list[Any]], *, epoch: datetime.datetime) -> bytes:
    """The package openpyxl wrote, its row of samples replaced by the body's rows."""
    source = zipfile.ZipFile(io.BytesIO(package))
    sheet = source.read(SHEET).decode()
    samples = _SAMPLES.search(sheet)
    assert samples is not None  # noqa: S101 (written just before)
    styles = dict(_SAMPLE_STYLE.findall(samples.group(0)))
    rows = _sheet_rows(body, wrap=styles["A"], date=styles["B"], moment=styles["C"], epoch=epoch)
    sheet = sheet[: samples.start()] + rows + sheet[samples.end() :]
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            content = sheet.encode() if entry.filename == SHEET else source.read(entry)
            target.writestr(entry, content, compress_type=entry.compress_type)
    return stream.getvalue()


def _sheet_rows(
    body: list[list[Any]], *, wrap: str, date: str, moment: str, epoch: datetime.datetime
) -> str:
    """The ``<row>`` elements of ``body`` from row 2 on, cell for cell as openpyxl's
    write-only sheet writes them: text inline (wrapped when it holds a line break, its
    spaces kept when it starts or ends with some), numbers and booleans as values, dates
    and times as serial numbers in their styles; an empty text as an empty cell, a
    missing value not at all."""
    letters = [get_column_letter(index) for index in range(1, 1 + max(map(len, body), default=0))]
    parts: list[str] = []
    append = parts.append
    for number, row in enumerate(body, start=2):
        append(f'<row r="{number}">')
        for letter, value in zip(letters, row, strict=False):
            if value is None:
                continue
            at = f'<c r="{letter}{number}"'
            if value == "":
                append(f'{at} t="inlineStr"/>')
            elif isinstance(value, str):
                text = escape(value)
                stripped = value.strip()
                space = ' xml:space="preserve"' if stripped and stripped != value else ""
                style = f' s="{wrap}"' if "\n" in value else ""
                append(f'{at}{style} t="inlineStr"><is><t{space}>{text}</t></is></c>')
            elif isinstance(value, bool):
                append(f'{at} t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, datetime.datetime):
                append(f'{at} s="{moment}" t="n"><v>{safe_string(to_excel(value, epoch))}</v></c>')
            elif isinstance(value, datetime.date):
                append(f'{at} s="{date}" t="n"><v>{safe_string(to_excel(value, epoch))}</v></c>')
            else:
                append(f'{at} t="n"><v>{safe_string(value)}</v></c>')
        append("</row>")
    return "".join(parts)


def _styled(sheet: Any, value: Any, **style: Any) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


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
