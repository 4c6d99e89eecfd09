"""The annual assessment of communities: each criterion of the year's scheme scored from
the community's approved reports and its meeting compliance, the street admin's
adjustments added, communities ranked, results published (frozen) and the lead units'
review record.

How a criterion is scored (``docs/assessments.md`` says the same):

- **Attainment** (完成程度, 0–1) of a target, from the community's latest *approved*
  report of the year up to the month scored:
  - a rate: the reported rate ÷ the target rate (a rate over nothing counts as met);
  - a count: the number reported ÷ the number required;
  - a meeting frequency: the months the duty was met ÷ the months judged (meeting
    compliance, ``meetings.compliance``);
  - a date, zero growth or a milestone: 1 when met, else 0.
  Each is capped at 1. A criterion on an item takes the average of the item's targets. No
  approved report: 0.
- **An accepted exception** (the lead unit accepted that the party's declared status
  count, and it is 已完成): that report's targets are fully attained, the line saying why
  (例外已认可:reason); for a meeting frequency, that month counts as met.
- **Rule**: proportional (points × attainment); all-or-nothing (the points when attainment
  is 1, else 0); graded bands (the share of the highest band reached); manual (the
  points the street admin entered).
- Points are rounded to 0.01 per line; the total is the sum of the lines shown plus the
  adjustments, so a sheet always adds up to its total.
"""

from __future__ import annotations

import calendar
import datetime
import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Community
from core.dates import month_name
from dashboards.models import AssignmentMonth
from meetings.compliance import year_compliance
from tasks.models import (
    Assignment,
    Checklist,
    Item,
    ItemLeadUnit,
    ProgressReport,
    Target,
    TargetValue,
)

from .models import (
    Criterion,
    ManualScore,
    Publication,
    PublishedScore,
    Scheme,
)

CENT = Decimal("0.01")
ONE = Decimal(1)
REVIEW_PROMPT_DAYS = 5  # a review within this many days counts as prompt


def points_text(value: Decimal) -> str:
    """Points as people write them: 590, 88.5, 88.89."""
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}".rstrip("0")


def _points(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class ScoreLine:
    criterion_id: int
    title: str
    points: Decimal
    rule: str
    attainment: Decimal | None
    earned: Decimal
    explanation: str
    reports: list[dict[str, Any]] = field(default_factory=list)  # {"id", "label"}


@dataclass
class Adjustment:
    points: Decimal
    reason: str
    made_by: str
    made_at: datetime.datetime


@dataclass
class ScoreSheet:
    community: Community
    lines: list[ScoreLine]
    adjustments: list[Adjustment]
    rank: int = 0

    @property
    def earned(self) -> Decimal:
        return sum((line.earned for line in self.lines), Decimal(0))

    @property
    def adjusted(self) -> Decimal:
        return sum((adjustment.points for adjustment in self.adjustments), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.earned + self.adjusted

    def as_json(self) -> dict[str, Any]:
        """The sheet as published (``PublishedScore.sheet``): numbers as strings."""

        def plain(value: Any) -> Any:
            if isinstance(value, Decimal):
                return str(value)
            if isinstance(value, datetime.datetime):
                return value.isoformat()
            if isinstance(value, list):
                return [plain(v) for v in value]
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            return value

        return {
            "lines": [plain(asdict(line)) for line in self.lines],
            "adjustments": [plain(asdict(adjustment)) for adjustment in self.adjustments],
            "earned": str(self.earned),
            "adjusted": str(self.adjusted),
            "total": str(self.total),
        }


def target_attainment(
    target: Target, value: TargetValue | None, *, year: int, month: int
) -> tuple[Decimal, str]:
    """How far a reported value goes towards ``target`` (0–1), and the figure in words."""
    evaluation = target.evaluate(value, year=year, month=month)
    if evaluation.verdict == Target.Verdict.NOT_REPORTED or value is None:
        return Decimal(0), _("未填报")
    if target.kind == Target.Kind.RATE:
        numerator, denominator = value.numerator or 0, value.denominator or 0
        if denominator == 0 or not target.threshold:
            return ONE, evaluation.measured
        share = Decimal(numerator) * 100 / (Decimal(denominator) * target.threshold)
        return min(ONE, share), evaluation.measured
    if target.kind == Target.Kind.COUNT:
        assert target.threshold is not None  # noqa: S101 (target_threshold_set_when_kind_needs_it)
        share = Decimal(value.quantity or 0) / target.threshold
        return min(ONE, share), evaluation.measured
    return (ONE if evaluation.is_met else Decimal(0)), evaluation.measured


def rule_points(criterion: Criterion, attainment: Decimal) -> Decimal:
    """The points ``criterion``'s rule gives for an attainment (0–1)."""
    if criterion.rule == Criterion.Rule.PROPORTIONAL:
        return _points(criterion.points * attainment)
    if criterion.rule == Criterion.Rule.ALL_OR_NOTHING:
        return criterion.points if attainment >= ONE else Decimal("0.00")
    if criterion.rule == Criterion.Rule.BANDS:
        reached = [
            Decimal(str(share))
            for minimum, share in criterion.bands
            if attainment * 100 >= Decimal(str(minimum))
        ]
        return _points(criterion.points * max(reached) / 100) if reached else Decimal("0.00")
    raise ValueError(criterion.rule)


@dataclass
class _Year:
    """Everything the sheets of one year need, loaded once for every community."""

    checklist: Checklist
    month: int
    reports: dict[tuple[int, int], ProgressReport]  # (community, item) → latest approved
    compliance: dict[tuple[int, int], tuple[int, int]]  # (target, community) → (met, judged)
    # (target, community) → the months of a frequency target counted met by an exception
    excused: dict[tuple[int, int], list[ProgressReport]]
    manual: dict[tuple[int, int], ManualScore]
    assigned: dict[int, set[int]]  # community → the items assigned to it
    targets: dict[int, list[Target]]  # item → its targets at the community's own level
    items: dict[int, list[Item]]  # pillar → its items


def _scored_reports(
    checklist: Checklist, months: list[int], *, community: Community | None = None
) -> tuple[dict[tuple[int, int], ProgressReport], dict[tuple[int, int, int], ProgressReport]]:
    """The approved reports the sheets read, with their figures, in four queries whatever
    their number:

    - each community assignment's latest approved report in ``months``, keyed by
      (community, item);
    - the approved reports whose accepted exception counts 已完成 (the declared status
      counts once the exception is accepted: ``is_excepted_as_completed``), which excuse
      a month of a meeting duty, keyed by (community, item, month).

    Which reports those are is read from the summary rows (``dashboards.AssignmentMonth``
    keeps each month's report and state); then only those reports and their figures are
    read. PostgreSQL picks the latest with ``DISTINCT ON``; elsewhere (SQLite) a
    correlated subquery keeps the row that no later approved month follows."""
    rows = AssignmentMonth.objects.filter(
        year=checklist.year,
        month__in=months,
        state=AssignmentMonth.State.APPROVED,
        community__isnull=False,
        item__checklist=checklist,
        report__isnull=False,
    ).order_by()
    if community is not None:
        rows = rows.filter(community=community)
    if connection.vendor == "postgresql":
        latest_rows = rows.order_by("assignment_id", "-month").distinct("assignment_id")
    else:
        later = rows.filter(assignment_id=OuterRef("assignment_id"), month__gt=OuterRef("month"))
        latest_rows = rows.exclude(Exists(later))
    fields = ("report_id", "community_id", "item_id", "month")
    latest = list(latest_rows.values_list(*fields))
    excepted = list(
        rows.filter(
            report__exception_state=ProgressReport.ExceptionState.ACCEPTED,
            report__declared_status=ProgressReport.Status.COMPLETED,
        ).values_list(*fields)
    )
    wanted = {row[0] for row in latest} | {row[0] for row in excepted}
    reports = ProgressReport.objects.only(*_SCORED_REPORT_FIELDS).order_by().in_bulk(wanted)
    figures: dict[int, dict[int, TargetValue]] = defaultdict(dict)
    for value in TargetValue.objects.filter(report_id__in=wanted).order_by():
        figures[value.report_id][value.target_id] = value
    for report in reports.values():
        report.__dict__["values_by_target"] = figures[report.pk]  # the cached property
    return (
        {(community, item): reports[pk] for pk, community, item, _month in latest},
        {(community, item, month): reports[pk] for pk, community, item, month in excepted},
    )


# What the sheets read of a report (``_target_line``, ``_item_parts``,
# ``is_excepted_as_completed``): the rest is never loaded.
_SCORED_REPORT_FIELDS = (
    "id",
    "assignment_id",
    "year",
    "month",
    "status",
    "declared_status",
    "exception_state",
    "exception_reason",
)


def as_of(checklist: Checklist, month: int, today: datetime.date) -> datetime.date:
    """The day the scores up to ``month`` are computed as of: the month's last day once it
    has ended, else ``today`` (a running month's meetings are judged up to today)."""
    end_of_month = datetime.date(
        checklist.year, month, calendar.monthrange(checklist.year, month)[1]
    )
    return min(today, end_of_month)


def _compliance(
    checklist: Checklist, months: list[int], today: datetime.date, community: Community | None
) -> dict[tuple[int, int | None, int], Any]:
    """``meetings.compliance.year_compliance``, or its rows of one community alone."""
    return year_compliance(checklist=checklist, months=months, today=today, community=community)


def _load_year(
    scheme: Scheme,
    month: int,
    today: datetime.date,
    *,
    with_pillars: bool = True,
    community: Community | None = None,
) -> _Year:
    """``with_pillars``: whether a criterion scores a pillar (its items are then read);
    ``community``: only what that community's sheet needs (None: every community's)."""
    checklist = scheme.checklist
    # Only the months the checklist owes are scored (``Checklist.months_owed``).
    months = [owed for owed in checklist.months_owed() if owed <= month]
    reports, excepted = (
        _scored_reports(checklist, months, community=community) if months else ({}, {})
    )
    judged = _compliance(checklist, months, as_of(checklist, month, today), community)
    compliance: dict[tuple[int, int], tuple[int, int]] = defaultdict(lambda: (0, 0))
    excused: dict[tuple[int, int], list[ProgressReport]] = defaultdict(list)
    for (target_id, community_id, duty_month), duty in judged.items():
        if community_id is None or duty.verdict == Target.Verdict.ON_TRACK:
            continue  # the street's own duty; a month still running is not judged yet
        met, counted = compliance[(target_id, community_id)]
        exception = excepted.get((community_id, duty.duty.item_id, duty_month))
        if not duty.is_met and exception is not None:
            excused[(target_id, community_id)].append(exception)
        compliance[(target_id, community_id)] = (
            met + (duty.is_met or exception is not None),
            counted + 1,
        )
    manual = {
        (score.criterion_id, score.community_id): score
        for score in ManualScore.objects.filter(
            criterion__scheme=scheme, **({"community": community} if community else {})
        )
    }
    assigned: dict[int, set[int]] = defaultdict(set)
    assignments = Assignment.objects.filter(item__checklist=checklist, community__isnull=False)
    if community is not None:
        assignments = assignments.filter(community=community)
    for community_id, item_id in assignments.values_list("community_id", "item_id"):
        assigned[community_id].add(item_id)
    targets: dict[int, list[Target]] = defaultdict(list)
    for target in Target.objects.filter(
        item__checklist=checklist, level=Target.Level.PARTY
    ).select_related("item__checklist"):
        targets[target.item_id].append(target)
    items: dict[int, list[Item]] = defaultdict(list)
    for item in Item.objects.filter(checklist=checklist) if with_pillars else []:
        items[item.pillar_id].append(item)
    return _Year(
        checklist,
        month,
        reports,
        dict(compliance),
        dict(excused),
        manual,
        dict(assigned),
        targets,
        items,
    )


def is_excepted_as_completed(report: ProgressReport) -> bool:
    """Whether the lead unit accepted the party's exception and the status that counts is
    已完成: the report's targets then count as fully attained."""
    return (
        report.exception_state == ProgressReport.ExceptionState.ACCEPTED
        and report.counted_status() == ProgressReport.Status.COMPLETED
    )


def _exception_words(report: ProgressReport) -> str:
    return _("例外已认可:%(reason)s") % {"reason": report.exception_reason}


def _report_link(report: ProgressReport) -> dict[str, Any]:
    return {"id": report.pk, "label": month_name(report.month)}


def _in_month(words: str, month: int) -> str:
    """A figure and the month it was reported in: 80%(7月) / 80% (July)."""
    return _("%(words)s(%(month)s)") % {"words": words, "month": month_name(month)}


def _target_line(
    target: Target, community: Community, year: _Year
) -> tuple[Decimal, str, list[dict[str, Any]]]:
    if target.kind == Target.Kind.FREQUENCY:
        met, judged = year.compliance.get((target.pk, community.pk), (0, 0))
        if not judged:
            return Decimal(0), _("尚无已评判的月份"), []
        words = _("%(met)s/%(judged)s 个月达标") % {"met": met, "judged": judged}
        excused = year.excused.get((target.pk, community.pk), [])
        for exception in excused:
            words += _("(%(month)s%(why)s)") % {
                "month": month_name(exception.month),
                "why": _exception_words(exception),
            }
        return Decimal(met) / judged, words, [_report_link(exception) for exception in excused]
    report = year.reports.get((community.pk, target.item_id))
    if report is None:
        return Decimal(0), _("无已审核的月报"), []
    if is_excepted_as_completed(report):
        return ONE, _in_month(_exception_words(report), report.month), [_report_link(report)]
    value = report.values_by_target.get(target.pk)
    attainment, measured = target_attainment(target, value, year=report.year, month=report.month)
    return attainment, _in_month(measured, report.month), [_report_link(report)]


Part = tuple[Decimal, str, list[dict[str, Any]]]


def _item_parts(item: Any, community: Community, year: _Year) -> list[Part]:
    """An item's targets (the community's own level), each with its attainment; an item
    without measurable targets counts when approved as 已完成."""
    targets = year.targets.get(item.pk, [])
    if targets:
        return [_target_line(target, community, year) for target in targets]
    report = year.reports.get((community.pk, item.pk))
    done = report is not None and report.status == ProgressReport.Status.COMPLETED
    links = [_report_link(report)] if report else []
    words = _("已完成") if done else _("无已审核的“已完成”月报")
    return [(ONE if done else Decimal(0), words, links)]


def _pillar_parts(pillar: Any, community: Community, year: _Year) -> list[Part]:
    """A pillar's items assigned to the community, each with its average attainment."""
    assigned = year.assigned.get(community.pk, set())
    parts: list[Part] = []
    for item in year.items.get(pillar.pk, []):
        if item.pk not in assigned:
            continue
        item_parts = _item_parts(item, community, year)
        attainment = sum((part[0] for part in item_parts), Decimal(0)) / len(item_parts)
        words = _("第 %(number)s 项 %(percent)s%%") % {
            "number": item.number,
            "percent": round(attainment * 100),
        }
        parts.append((attainment, words, [link for part in item_parts for link in part[2]]))
    return parts or [(Decimal(0), _("本板块没有分派给该社区的任务"), [])]


def _line(criterion: Criterion, community: Community, year: _Year, *, rule: str) -> ScoreLine:
    """``rule``: the criterion's rule in words (``get_rule_display``, translated once)."""
    line = ScoreLine(
        criterion_id=criterion.pk,
        title=criterion.title,
        points=criterion.points,
        rule=rule,
        attainment=None,
        earned=Decimal("0.00"),
        explanation="",
    )
    if criterion.rule == Criterion.Rule.MANUAL:
        manual = year.manual.get((criterion.pk, community.pk))
        if manual is None:
            line.explanation = _("尚未评分")
        else:
            line.earned = min(criterion.points, _points(manual.points))
            line.explanation = manual.note or _("人工评分")
        return line
    if criterion.target is not None:
        parts = [_target_line(criterion.target, community, year)]
    elif criterion.item is not None:
        parts = _item_parts(criterion.item, community, year)
    else:
        assert criterion.pillar is not None  # noqa: S101 (criterion_has_a_basis_unless_manual)
        parts = _pillar_parts(criterion.pillar, community, year)
    line.attainment = sum((part[0] for part in parts), Decimal(0)) / len(parts)
    line.earned = rule_points(criterion, line.attainment)
    line.explanation = ";".join(part[1] for part in parts)
    seen: set[int] = set()
    for part in parts:
        for link in part[2]:
            if link["id"] not in seen:
                seen.add(link["id"])
                line.reports.append(link)
    return line


def score_sheets(
    scheme: Scheme,
    *,
    month: int = 12,
    today: datetime.date | None = None,
    criteria: list[Criterion] | None = None,
) -> list[ScoreSheet]:
    """Every community's score sheet, ranked (best first; equal totals share a rank).
    ``criteria``: the scheme's with their targets, items and pillars, when the caller has
    them."""
    today = today or timezone.localdate()
    return rank(_sheets(scheme, month=month, today=today, criteria=criteria))


def community_sheet(
    scheme: Scheme,
    community: Community,
    *,
    month: int = 12,
    today: datetime.date | None = None,
    criteria: list[Criterion] | None = None,
) -> ScoreSheet | None:
    """``community``'s sheet as ``score_sheets`` writes it (unranked), from its own rows
    alone: the same queries whatever the number of communities. None when the year assigns
    it nothing."""
    today = today or timezone.localdate()
    sheets = _sheets(scheme, month=month, today=today, only=community, criteria=criteria)
    return sheets[0] if sheets else None


def _sheets(
    scheme: Scheme,
    *,
    month: int,
    today: datetime.date,
    only: Community | None = None,
    criteria: list[Criterion] | None = None,
) -> list[ScoreSheet]:
    """Every community's sheet (or ``only``'s), unranked, in the communities' order."""
    checklist = scheme.checklist
    if criteria is None:
        criteria = list(scheme.criteria.select_related("target__item__checklist", "item", "pillar"))
    rules = {criterion.pk: criterion.get_rule_display() for criterion in criteria}
    with_pillars = any(criterion.pillar_id is not None for criterion in criteria)
    year = _load_year(scheme, month, today, with_pillars=with_pillars, community=only)
    assigned = Assignment.objects.filter(item__checklist=checklist)
    adjusted = scheme.adjustments.select_related("made_by")
    if only is not None:
        assigned, adjusted = assigned.filter(community=only), adjusted.filter(community=only)
    communities = list(
        Community.objects.filter(pk__in=assigned.values("community_id")).order_by("order", "name")
    )
    adjustments: dict[int, list[Adjustment]] = defaultdict(list)
    for adjustment in adjusted:
        adjustments[adjustment.community_id].append(
            Adjustment(
                points=adjustment.points,
                reason=adjustment.reason,
                made_by=adjustment.made_by.get_full_name() or adjustment.made_by.get_username(),
                made_at=adjustment.made_at,
            )
        )
    sheets = [
        ScoreSheet(
            community=community,
            lines=[
                _line(criterion, community, year, rule=rules[criterion.pk])
                for criterion in criteria
            ],
            adjustments=adjustments[community.pk],
        )
        for community in communities
    ]
    return sheets


def rank(sheets: list[ScoreSheet]) -> list[ScoreSheet]:
    """Best total first; equal totals share a rank and the next rank skips (1, 2, 2, 4)."""
    ordered = sorted(sheets, key=lambda sheet: -sheet.total)
    for position, sheet in enumerate(ordered, start=1):
        previous = ordered[position - 2] if position > 1 else None
        sheet.rank = previous.rank if previous and previous.total == sheet.total else position
    return ordered


@transaction.atomic
def results_publish(*, scheme: Scheme, by: Any, month: int = 12, note: str = "") -> Publication:
    """Publish the year's results: each community's sheet is frozen as it stands now;
    later changes to reports do not touch it. Publishing again is recorded as the next
    publication (a note saying why is required)."""
    previous = scheme.publications.order_by("-number").first()
    if previous is not None and not note.strip():
        raise ValidationError({"note": _("重新发布时请写明原因。")})
    points = sum((criterion.points for criterion in scheme.criteria.all()), Decimal(0))
    if points != scheme.total_points:
        raise ValidationError(
            _("考核项分值合计 %(points)s 分,与总分 %(total)s 分不符,不能发布。")
            % {"points": points_text(points), "total": points_text(scheme.total_points)}
        )
    publication = Publication.objects.create(
        scheme=scheme,
        number=(previous.number + 1) if previous else 1,
        published_by=by,
        note=note,
        as_of_month=month,
    )
    PublishedScore.objects.bulk_create(
        PublishedScore(
            publication=publication,
            community=sheet.community,
            rank=sheet.rank,
            total=sheet.total,
            sheet=sheet.as_json(),
        )
        for sheet in score_sheets(scheme, month=month)
    )
    return publication


@dataclass
class ReviewRecord:
    """How promptly a lead unit reviewed the reports on the items it leads."""

    unit: Any
    reviewed: int = 0
    prompt: int = 0
    waiting: int = 0
    median_days: float | None = None
    oldest_waiting_days: int = 0

    @property
    def prompt_rate(self) -> float | None:
        return round(self.prompt * 100 / self.reviewed, 1) if self.reviewed else None


# Each lead unit's figures for a checklist's reports, added up in the database; a report
# counts as reviewed when it left 已提交 with a review after its submission, as
# ``_review_figures_in_python`` counts it.
_REVIEW_FIGURES_SQL = """
SELECT lead.unit_id,
       count(*) FILTER (WHERE r.reviewed) AS reviewed,
       count(*) FILTER (WHERE r.reviewed AND r.days <= %(prompt_days)s) AS prompt,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY r.days) FILTER (WHERE r.reviewed),
       count(*) FILTER (WHERE r.workflow_state = %(submitted)s) AS waiting,
       min(r.submitted_at) FILTER (WHERE r.workflow_state = %(submitted)s) AS oldest
FROM (
    SELECT a.item_id, report.workflow_state, report.submitted_at,
           report.workflow_state <> %(submitted)s AND report.reviewed_at IS NOT NULL
               AND report.reviewed_at >= report.submitted_at AS reviewed,
           EXTRACT(EPOCH FROM report.reviewed_at - report.submitted_at)::float8 / 86400 AS days
    FROM tasks_progressreport report
    JOIN tasks_assignment a ON a.id = report.assignment_id
    JOIN tasks_item item ON item.id = a.item_id
    WHERE item.checklist_id = %(checklist)s AND report.submitted_at IS NOT NULL
) r
JOIN tasks_itemleadunit lead ON lead.item_id = r.item_id
GROUP BY lead.unit_id
"""


def _review_figures_in_python(
    checklist: Checklist,
    units: dict[int, ReviewRecord],
    leads: dict[int, list[int]],
    now: datetime.datetime,
) -> None:
    """``_REVIEW_FIGURES_SQL`` where ``percentile_cont`` is missing (SQLite); ``leads``:
    item → its lead units."""
    days: dict[int, list[float]] = defaultdict(list)
    rows = ProgressReport.objects.filter(
        assignment__item__checklist=checklist, submitted_at__isnull=False
    ).values_list("assignment__item_id", "workflow_state", "submitted_at", "reviewed_at")
    for item_id, state, submitted_at, reviewed_at in rows:
        assert submitted_at is not None  # noqa: S101 (filtered on submitted_at above)
        for unit_id in leads.get(item_id, []):
            record = units[unit_id]
            if state == ProgressReport.WorkflowState.SUBMITTED:
                record.waiting += 1
                record.oldest_waiting_days = max(
                    record.oldest_waiting_days, (now - submitted_at).days
                )
            elif reviewed_at is not None and reviewed_at >= submitted_at:
                taken = (reviewed_at - submitted_at).total_seconds() / 86400
                record.reviewed += 1
                record.prompt += taken <= REVIEW_PROMPT_DAYS
                days[unit_id].append(taken)
    for unit_id, taken_days in days.items():
        units[unit_id].median_days = round(statistics.median(taken_days), 1)


def review_records(
    checklist: Checklist, *, now: datetime.datetime | None = None
) -> list[ReviewRecord]:
    """Each lead unit's record for the year: reports reviewed, the median days from
    submission to review, the share reviewed within ``REVIEW_PROMPT_DAYS`` days, and those
    still waiting. Two queries: the units, and their figures added up in the database
    (on PostgreSQL; elsewhere the reports' dates are added up here)."""
    now = now or timezone.now()
    units: dict[int, ReviewRecord] = {}
    leads: dict[int, list[int]] = defaultdict(list)
    for link in ItemLeadUnit.objects.filter(item__checklist=checklist).select_related("unit"):
        units.setdefault(link.unit_id, ReviewRecord(unit=link.unit))
        leads[link.item_id].append(link.unit_id)
    if connection.vendor != "postgresql":
        _review_figures_in_python(checklist, units, leads, now)
    else:
        parameters: dict[str, int | str] = {
            "checklist": checklist.pk,
            "submitted": ProgressReport.WorkflowState.SUBMITTED.value,
            "prompt_days": REVIEW_PROMPT_DAYS,
        }
        with connection.cursor() as cursor:
            cursor.execute(_REVIEW_FIGURES_SQL, parameters)
            for unit_id, reviewed, prompt, median, waiting, oldest in cursor.fetchall():
                record = units[unit_id]
                record.reviewed, record.prompt, record.waiting = reviewed, prompt, waiting
                record.median_days = round(median, 1) if median is not None else None
                record.oldest_waiting_days = max(0, (now - oldest).days) if oldest else 0
    return sorted(units.values(), key=lambda record: (record.unit.order, record.unit.name))


def scheme_default(*, checklist: Checklist, total: Decimal = Decimal(600)) -> Scheme:
    """A first scheme the street admin then edits: one criterion per item that communities
    report on, the total shared out equally (whole points, the remainder to the first
    items); proportional for rates and counts, meeting compliance for frequencies,
    all-or-nothing for dates, zero growth and milestones."""
    scheme, _created = Scheme.objects.get_or_create(
        checklist=checklist, defaults={"total_points": total}
    )
    if scheme.criteria.exists():
        return scheme
    items = list(
        checklist.items.filter(assignments__community__isnull=False)
        .distinct()
        .prefetch_related("targets")
        .order_by("number")
    )
    if not items:
        return scheme
    share, remainder = divmod(int(scheme.total_points), len(items))
    proportional = {Target.Kind.RATE, Target.Kind.COUNT, Target.Kind.FREQUENCY}
    Criterion.objects.bulk_create(
        Criterion(
            scheme=scheme,
            order=position,
            title=_("第 %(number)s 项") % {"number": item.number}
            + " "
            + item.text[:60].split(",")[0].split("。")[0],
            points=Decimal(share + (1 if position <= remainder else 0)),
            item=item,
            rule=Criterion.Rule.PROPORTIONAL
            if {t.kind for t in item.targets.all() if t.level == Target.Level.PARTY} <= proportional
            and any(t.level == Target.Level.PARTY for t in item.targets.all())
            else Criterion.Rule.ALL_OR_NOTHING,
        )
        for position, item in enumerate(items, start=1)
    )
    return scheme


def scheme_copy(*, source: Checklist, checklist: Checklist) -> Scheme | None:
    """Carry the source year's scheme into ``checklist`` (rolled over from it): the same
    criteria on the same-numbered items and targets, to be edited for the new year. Scores,
    adjustments and publications stay with the old year."""
    old = Scheme.objects.filter(checklist=source).first()
    if old is None or Scheme.objects.filter(checklist=checklist).exists():
        return None
    items = {item.number: item for item in checklist.items.all()}
    pillars = {pillar.number: pillar for pillar in checklist.pillars.all()}
    targets = {
        (target.item.number, target.order): target
        for target in Target.objects.filter(item__checklist=checklist).select_related("item")
    }
    scheme = Scheme.objects.create(
        checklist=checklist, title=old.title, total_points=old.total_points
    )
    Criterion.objects.bulk_create(
        Criterion(
            scheme=scheme,
            order=criterion.order,
            title=criterion.title,
            points=criterion.points,
            pillar=pillars.get(criterion.pillar.number) if criterion.pillar else None,
            item=items.get(criterion.item.number) if criterion.item else None,
            target=targets.get((criterion.target.item.number, criterion.target.order))
            if criterion.target
            else None,
            rule=criterion.rule,
            bands=criterion.bands,
        )
        for criterion in old.criteria.select_related("pillar", "item", "target__item")
    )
    return scheme


def on_checklist_rolled_over(
    sender: Any, *, source_id: int, checklist_id: int, **kwargs: Any
) -> None:
    scheme_copy(
        source=Checklist.objects.get(pk=source_id), checklist=Checklist.objects.get(pk=checklist_id)
    )
