"""The figures of the completion dashboard, read from the summary tables.

Definitions (the dashboard's legend says the same in Chinese):

- expected (应报): every assignment owes a report for every month the checklist owes
  (``Checklist.months_owed``: from the month after it takes effect to December).
- received (已报): a report submitted at least once (a returned report stays received).
- on time (按时): first submitted on or before the filing deadline, a granted extension's
  date included.
- overdue (逾期未报): not submitted, and the deadline has passed (today decides).
- complete (完成): the month's report is approved and its status that counts is 已完成
  (``ProgressReport.counted_status``): every target met, or — where no target measures
  the item, or the lead unit accepted the party's exception — declared 已完成.
- behind (目标滞后): a submitted or approved report with a target judged 滞后, or a month
  with no report whose meetings (items 3, 14, 16: the meeting register) fell short. A report
  whose exception the lead unit accepted (its status that counts not 滞后) is not behind:
  its targets judged 滞后 are listed as 滞后·例外已认可 with the party's reason.

The month's figures and the year's trend are one grouped query on ``ItemMonth`` (about 40
rows a month, whatever the number of communities); the parties furthest behind one on
``PartyMonth``; the late list two on ``AssignmentMonth``, each read from a partial index in
the list's order and stopping at the rows listed. A page thus costs the same queries, and
about the same time, for 30 or 6,000 communities.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

from django.db.models import (
    Case,
    CharField,
    Count,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils.translation import gettext

from core.dates import month_name
from dashboards.models import UrgeNotice
from reminders.due import filing_period
from reminders.models import Reminder
from tasks.filing import filed_late_q, overdue_q
from tasks.models import Checklist, Item, ItemLeadUnit, ProgressReport

from .models import PARTY_ORDER, AssignmentMonth, ItemMonth, PartyMonth
from .summaries import ITEM_COLUMNS, stored_aggregates

# Figures that depend on today or are not kept per party and month (not in PartyMonth).
TODAY_DEPENDENT = ("overdue", "late_filed")
NOT_PER_PARTY = (*TODAY_DEPENDENT, "excepted")
EXCEPTED_LIMIT = 50  # excepted cells listed with their reasons, the items furthest behind first
LATE_LIMIT = 50  # late filers listed on the dashboard; the matrix shows the rest
PARTY_LIMIT = 40  # parties listed, those furthest behind first
FILING_REMINDERS = (
    Reminder.Kind.FILING_BEFORE,
    Reminder.Kind.FILING_DUE,
    Reminder.Kind.FILING_OVERDUE,
    Reminder.Kind.FILING_ESCALATION,
)


def _percent(part: int, whole: int) -> float | None:
    if not whole:
        return None
    return round(part * 100 / whole, 1)


@dataclass
class Figures:
    expected: int = 0
    received: int = 0
    on_time: int = 0
    approved: int = 0
    returned: int = 0
    complete: int = 0
    behind: int = 0
    overdue: int = 0
    late_filed: int = 0
    excepted: int = 0  # behind, exception accepted: not counted behind

    @classmethod
    def of(cls, row: dict[str, Any]) -> Figures:
        return cls(**{f.name: row.get(f.name) or 0 for f in fields(cls)})

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    @property
    def reporting_rate(self) -> float | None:
        return _percent(self.received, self.expected)

    @property
    def on_time_rate(self) -> float | None:
        return _percent(self.on_time, self.expected)

    @property
    def completion_rate(self) -> float | None:
        return _percent(self.complete, self.expected)

    @property
    def missing(self) -> int:
        return self.expected - self.received


def month_aggregates(today: datetime.date) -> dict[str, Any]:
    """How a month's ``AssignmentMonth`` rows add up: the figures ``PartyMonth`` keeps, and
    those that depend on today."""
    return {
        **stored_aggregates(),
        "overdue": Count("assignment", filter=overdue_q(today)),
        "late_filed": Count("assignment", filter=filed_late_q()),
        "excepted": Count("assignment", filter=Q(targets_excepted__gt=0)),
    }


def report_months(checklist: Checklist) -> list[int]:
    """The months reports are owed for (the 2017 checklist, in force from 28 June:
    July–December): ``Checklist.months_owed``."""
    return checklist.months_owed()


@dataclass
class Row:
    """A line of a breakdown: a pillar, a lead unit or a party, with its figures."""

    label: str
    figures: Figures
    obj: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class LateCell:
    cell: AssignmentMonth
    days_late: int
    reminders: int
    last_reminded: datetime.datetime | None
    urge: Any = None
    year_closed: bool = False  # unfiled, it reads 未报(年度已结束), counted to the close

    @property
    def is_filed(self) -> bool:
        return self.cell.first_submitted_on is not None


@dataclass(frozen=True)
class ExceptedCell:
    """A party whose targets are judged 滞后 but do not count behind: the lead unit accepted
    its exception (申请按申报状态认定); shown with its reason and the status that counts."""

    party: str
    targets: int
    status: str  # the status that counts, in words
    reason: str
    report_id: int


@dataclass
class Dashboard:
    checklist: Checklist
    month: int
    today: datetime.date
    months: list[int]
    trend: list[tuple[int, Figures]]
    figures: Figures
    year_to_date: Figures
    pillars: list[Row]
    lead_units: list[Row]
    parties: list[Row]
    party_count: int
    off_track: list[Row]
    late: list[LateCell]
    late_count: int

    @property
    def year(self) -> int:
        return self.checklist.year

    @property
    def deadline(self) -> datetime.date:
        return self.checklist.filing_deadline(self.year, self.month)

    @property
    def highlights(self) -> list[str]:
        """The month in a few sentences, for the briefing."""
        lines = []
        done = [row.label for row in self.pillars if row.figures.completion_rate == 100]
        if done:
            lines.append("、".join(done) + " 板块本月任务全部完成。")
        full = [row.label for row in self.parties if row.figures.completion_rate == 100]
        if full:
            lines.append(f"{len(full)} 个责任单位本月任务全部完成:" + "、".join(full[:8]) + "。")
        if self.figures.expected and self.figures.on_time == self.figures.expected:
            lines.append("全部责任单位按时报送。")
        return lines

    def chart_data(self) -> dict[str, Any]:
        """What the page's charts draw (passed to ECharts through ``json_script``)."""
        return {
            "months": [month_name(m) for m, _ in self.trend],
            # The series' names (legends, tooltips), in the page's language.
            "names": {
                "reporting": gettext("报送率"),
                "on_time": gettext("按时率"),
                "completion": gettext("完成率"),
                "states": gettext("月报状态"),
            },
            "reporting": [f.reporting_rate for _, f in self.trend],
            "on_time": [f.on_time_rate for _, f in self.trend],
            "completion": [f.completion_rate for _, f in self.trend],
            "pillars": [row.label for row in self.pillars],
            "pillar_completion": [row.figures.completion_rate or 0 for row in self.pillars],
            "lead_units": [row.label for row in self.lead_units],
            "lead_unit_completion": [row.figures.completion_rate or 0 for row in self.lead_units],
            "states": [
                {"name": gettext("已完成"), "value": self.figures.complete},
                {
                    "name": gettext("已报未完成"),
                    "value": self.figures.received - self.figures.complete,
                },
                {"name": gettext("未报"), "value": self.figures.missing},
            ],
        }


def _trend(checklist: Checklist, months: list[int], month: int) -> list[tuple[int, Figures]]:
    """The months owed up to ``month``, each with the figures ``PartyMonth`` keeps, added up
    from the items' months (``ItemMonth``: some 40 rows a month)."""
    sums = {
        name.name: Coalesce(Sum(name.name), 0)
        for name in fields(Figures)
        if name.name not in NOT_PER_PARTY
    }
    rows = {
        row["month"]: Figures.of(row)
        for row in ItemMonth.objects.filter(
            year=checklist.year, month__in=[m for m in months if m <= month]
        )
        .values("month")
        .annotate(**sums)
        .order_by("month")
    }
    return [(m, rows.get(m, Figures())) for m in months if m <= month]


def headline_figures(checklist: Checklist, month: int) -> tuple[Figures, Figures]:
    """The month's figures and the year's to date (the months owed up to ``month``), read
    from ``ItemMonth`` in one query (some 40 rows a month): the home page's headline. Only
    the figures ``PartyMonth`` keeps too: what depends on today (overdue) is the
    dashboard's."""
    trend = _trend(checklist, report_months(checklist), month)
    this_month = trend[-1][1] if trend and trend[-1][0] == month else Figures()
    return this_month, sum((figures for _, figures in trend), Figures())


def _by_item(checklist: Checklist, month: int, today: datetime.date) -> dict[int, Figures]:
    """Each item's figures for the month, from its ``ItemMonth`` rows (one per deadline):
    the stored counts added up, and overdue the unfiled cells of the rows whose deadline
    has passed (``month_aggregates`` over the cells says the same)."""
    sums: dict[str, Any] = {
        column: Sum(column) for column in ITEM_COLUMNS if column in Figures.__dataclass_fields__
    }
    return {
        row["item_id"]: Figures.of(row)
        for row in ItemMonth.objects.filter(year=checklist.year, month=month)
        .values("item_id")
        .annotate(**sums, overdue=Sum("unfiled", filter=Q(deadline__lt=today)))
        .order_by()
    }


def _parties(checklist: Checklist, month: int, today: datetime.date) -> tuple[list[Row], int]:
    """The parties furthest behind this month (least complete, then least reported; among
    equals the communities, then the units, each in its order), read from ``PartyMonth``
    in the order of an index (``PARTY_ORDER``); how many reports each has overdue is
    counted for those listed only (a subquery per row shown, on the (year, month, party)
    indexes)."""
    unfiled = AssignmentMonth.objects.filter(
        overdue_q(today), year=OuterRef("year"), month=OuterRef("month")
    )

    def overdue(party: str) -> Subquery:
        return Subquery(
            unfiled.filter(**{party: OuterRef(party)})
            .order_by()
            .values(party)
            .annotate(n=Count("id"))
            .values("n")
        )

    listed = PartyMonth.objects.filter(year=checklist.year, month=month, expected__gt=0)
    rows = list(
        listed.select_related("community", "unit")
        .annotate(
            # Counted once for the statement (an InitPlan), from the (year, month) index.
            parties=Subquery(listed.order_by().values("year").annotate(n=Count("*")).values("n")),
            overdue=Case(
                When(community__isnull=False, then=overdue("community_id")),
                default=overdue("unit_id"),
            ),
        )
        # The order of the index ``party_month_furthest_behind``: 40 entries read.
        .order_by(*PARTY_ORDER)[:PARTY_LIMIT]
    )
    total = rows[0].parties if rows else 0
    return [
        Row(
            label=str(row.community or row.unit),
            figures=Figures(
                **{
                    f.name: getattr(row, f.name) or 0
                    for f in fields(Figures)
                    if f.name not in ("late_filed", "excepted")
                }
            ),
            extra={"community_id": row.community_id, "unit_id": row.unit_id},
        )
        for row in rows
    ], total


def _excepted(checklist: Checklist, month: int) -> dict[int, list[ExceptedCell]]:
    """The month's cells whose targets judged 滞后 are set aside by an accepted exception,
    by item, each with the party's reason (one query; the first ``EXCEPTED_LIMIT``)."""
    cells = (
        AssignmentMonth.objects.filter(year=checklist.year, month=month, targets_excepted__gt=0)
        .order_by("item_id", "community__order", "unit__order", "assignment_id")
        .values(
            "item_id",
            "community__name",
            "unit__name",
            "targets_excepted",
            "status",
            "report_id",
            "report__exception_reason",
        )[:EXCEPTED_LIMIT]
    )
    found: dict[int, list[ExceptedCell]] = {}
    for cell in cells:
        found.setdefault(cell["item_id"], []).append(
            ExceptedCell(
                party=cell["community__name"] or cell["unit__name"] or "",
                targets=cell["targets_excepted"],
                status=str(ProgressReport.Status(cell["status"]).label),
                reason=cell["report__exception_reason"] or "",
                report_id=cell["report_id"],
            )
        )
    return found


def filing_reminders_sent(year: int, month: int) -> QuerySet[Reminder]:
    """The filing reminders about ``year``-``month`` that went out (in a digest)."""
    return Reminder.objects.filter(
        kind__in=FILING_REMINDERS,
        period__startswith=filing_period(year, month),
        message__isnull=False,
    )


def party_subject() -> Case:
    """``reminders.due.party_subject`` in SQL, for a row's party."""
    return Case(
        When(
            community_id__isnull=False,
            then=Concat(Value("community:"), Cast("community_id", CharField())),
        ),
        default=Concat(Value("unit:"), Cast("unit_id", CharField())),
        output_field=CharField(),
    )


def _late(checklist: Checklist, month: int, today: datetime.date) -> list[LateCell]:
    """Late cells: overdue (unfiled past the deadline) first, oldest deadline first; then
    those filed after their deadline, earliest filed first. Each carries, from subqueries of
    the same statement, the filing reminders its party was sent for the month and its
    latest urging notice.

    Two statements, each read from a partial index in its order (``summary_month_unfiled``,
    ``summary_month_filed_late``) and stopping at ``LATE_LIMIT`` rows: neither filters nor
    sorts the month's late cells (tens of thousands at 6,000 communities)."""
    reminders = (
        filing_reminders_sent(checklist.year, month)
        .filter(subject=OuterRef("subject"))
        .order_by()
        .values("subject")
    )
    urges = UrgeNotice.objects.filter(
        assignment_id=OuterRef("assignment_id"), year=OuterRef("year"), month=OuterRef("month")
    ).order_by("-sent_at", "-pk")
    listed = (
        AssignmentMonth.objects.filter(year=checklist.year, month=month)
        .select_related("item", "community", "unit")
        .annotate(
            subject=party_subject(),
            reminders_sent=Subquery(
                reminders.annotate(sent=Count("kind", distinct=True)).values("sent")
            ),
            last_reminded=Subquery(reminders.annotate(last=Max("created_at")).values("last")),
            urge_id=Subquery(urges.values("pk")[:1]),
            urge_sent_at=Subquery(urges.values("sent_at")[:1]),
            urge_acknowledged_at=Subquery(urges.values("acknowledged_at")[:1]),
        )
    )
    # Sorted on the table's own columns, in the indexes' order.
    overdue = list(
        listed.filter(overdue_q(today)).order_by("deadline", "assignment_id")[:LATE_LIMIT]
    )
    filed = list(
        listed.filter(filed_late_q()).order_by("first_submitted_on", "deadline", "assignment_id")[
            :LATE_LIMIT
        ]
    )
    cells = (overdue + filed)[:LATE_LIMIT]
    return [
        LateCell(
            cell=cell,
            days_late=checklist.days_late(cell.deadline, today, cell.first_submitted_on),
            reminders=cell.reminders_sent or 0,
            last_reminded=cell.last_reminded,
            urge=latest_urge(cell),
            year_closed=checklist.is_closed(today),
        )
        for cell in cells
    ]


class UrgeColumns(Protocol):
    """A cell annotated with its latest urging notice (``_late``, the matrix's rows)."""

    @property
    def urge_id(self) -> int | None: ...
    @property
    def urge_sent_at(self) -> datetime.datetime | None: ...
    @property
    def urge_acknowledged_at(self) -> datetime.datetime | None: ...


def latest_urge(cell: UrgeColumns) -> UrgeNotice | None:
    """The latest urging notice of a cell annotated by ``_late`` (no query)."""
    if cell.urge_id is None or cell.urge_sent_at is None:  # both set, or neither
        return None
    return UrgeNotice(
        pk=cell.urge_id,
        sent_at=cell.urge_sent_at,
        acknowledged_at=cell.urge_acknowledged_at,
    )


def lead_links(links: QuerySet[ItemLeadUnit]) -> list[ItemLeadUnit]:
    """The checklist's structure as the dashboard groups it: each item with its pillar
    and checklist, and its lead units (one query)."""
    return list(
        links.select_related("item__checklist", "item__pillar", "unit").order_by(
            "item__number", "order"
        )
    )


def dashboard_build(
    checklist: Checklist,
    month: int,
    today: datetime.date,
    *,
    links: list[ItemLeadUnit] | None = None,
) -> Dashboard:
    """Every figure of the dashboard for ``month`` of the checklist's year: four queries
    and ``links`` (``lead_links``), whatever the number of communities; one more when an
    accepted exception set targets behind aside (``_excepted``)."""
    months = report_months(checklist)
    trend = _trend(checklist, months, month)
    by_item = _by_item(checklist, month, today)
    if links is None:
        links = lead_links(ItemLeadUnit.objects.filter(item__checklist=checklist))
    items: dict[int, Item] = {link.item_id: link.item for link in links}
    pillar_rows: dict[int, Row] = {}
    for item in sorted(items.values(), key=lambda i: (i.pillar.number, i.number)):
        row = pillar_rows.setdefault(
            item.pillar_id, Row(label=item.pillar.name, figures=Figures(), obj=item.pillar)
        )
        row.figures = row.figures + by_item.get(item.pk, Figures())
    unit_rows: dict[int, Row] = {}
    for link in sorted(links, key=lambda link: (link.unit.order, link.unit.name, link.item.number)):
        row = unit_rows.setdefault(
            link.unit_id,
            Row(label=link.unit.name, figures=Figures(), obj=link.unit, extra={"items": []}),
        )
        row.figures = row.figures + by_item.get(link.item_id, Figures())
        row.extra["items"].append(link.item.number)
    figures = sum(by_item.values(), Figures())
    # The items with targets behind, and those whose targets judged behind were set aside by
    # an accepted exception (listed with the reasons; one more query, only when any was).
    excepted = _excepted(checklist, month) if figures.excepted else {}
    off_track = [
        Row(
            label=f"第 {item.number} 项",
            figures=by_item[item.pk],
            obj=item,
            extra={"excepted": excepted.get(item.pk, [])},
        )
        for item in sorted(items.values(), key=lambda i: i.number)
        if item.pk in by_item and (by_item[item.pk].behind or by_item[item.pk].excepted)
    ]
    off_track.sort(key=lambda row: -row.figures.behind)
    parties, party_count = _parties(checklist, month, today)
    late = _late(checklist, month, today)
    year_to_date = sum((f for _, f in trend[:-1]), Figures()) + figures
    trend = [*trend[:-1], (month, figures)] if trend else trend
    return Dashboard(
        checklist=checklist,
        month=month,
        today=today,
        months=months,
        trend=trend,
        figures=figures,
        year_to_date=year_to_date,
        pillars=list(pillar_rows.values()),
        lead_units=list(unit_rows.values()),
        parties=parties,
        party_count=party_count,
        off_track=off_track,
        late=late,
        late_count=figures.overdue + figures.late_filed,
    )
