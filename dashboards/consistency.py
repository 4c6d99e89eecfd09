"""Where two sources of one fact disagree: the proof that the portal holds one truth.

Each check compares two places that must say the same thing and returns one
``Disagreement`` per difference, in Chinese; ``manage.py consistency --check`` prints them
and fails when there is any. The checks:

- **summaries**: the dashboards' summary tables against a fresh computation from the
  reports (``dashboards.summaries.summaries_differences``);
- **months owed**: no report, and no summary row that counts one, for a month the
  checklist does not owe (``Checklist.months_owed``);
- **status**: the status stored on a report (what the pages and the dashboards count)
  against the one the portal judges from the targets (``ProgressReport.counted_status``):
  已完成 with an unmet target only with an accepted exception;
- **meetings**: a figure typed into a report for a recurring duty (items 3, 14, 16) against
  the meeting register (``meetings.compliance.year_compliance``), which is its only source;
  and the summary row of every month owed without a report against the register's verdicts
  of its duties (met and behind), which it carries as the assessment counts them.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain

from django.db.models import Prefetch

from meetings.compliance import year_compliance
from tasks.models import (
    Assignment,
    Checklist,
    ProgressReport,
    Target,
    TargetValue,
    prefetch_register_figures,
)

from .models import AssignmentMonth
from .summaries import summaries_differences

CHUNK = 2000


@dataclass(frozen=True)
class Disagreement:
    check: str  # which two sources: summaries, months owed, status, meetings
    where: str  # the row, in words a street admin reads
    detail: str

    def __str__(self) -> str:
        return f"[{self.check}] {self.where}:{self.detail}"


def _report_label(report: ProgressReport) -> str:
    assignment = report.assignment
    return f"{assignment.party} 第 {assignment.item.number} 项 {report.year}年{report.month}月"


def summaries_disagreements(checklist: Checklist) -> Iterator[Disagreement]:
    for difference in summaries_differences(checklist=checklist):
        yield Disagreement("汇总表", str(difference.key), str(difference))


def months_owed_disagreements(checklist: Checklist) -> Iterator[Disagreement]:
    owed = checklist.months_owed()
    reports = (
        ProgressReport.objects.filter(assignment__item__checklist=checklist)
        .exclude(year=checklist.year, month__in=owed)
        .select_related("assignment__item", "assignment__community", "assignment__unit")
        .order_by("pk")
    )
    for report in reports:
        yield Disagreement(
            "应报月份", _report_label(report), "这个月份不在清单的应报月份内,却有月报"
        )
    counted = (
        AssignmentMonth.objects.filter(item__checklist=checklist, year=checklist.year)
        .exclude(month__in=owed)
        .exclude(state=AssignmentMonth.State.MISSING)
    )
    for row in counted.values_list("assignment_id", "month"):
        yield Disagreement(
            "应报月份",
            f"任务分派 {row[0]} {checklist.year}年{row[1]}月",
            "汇总表计入了不应报的月份",
        )


def status_disagreements(checklist: Checklist) -> Iterator[Disagreement]:
    ids = list(
        ProgressReport.objects.filter(assignment__item__checklist=checklist)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(ids), CHUNK):
        reports = (
            ProgressReport.objects.filter(pk__in=ids[start : start + CHUNK])
            .select_related(
                "assignment__item__checklist", "assignment__community", "assignment__unit"
            )
            .prefetch_related("assignment__item__targets", "values")
            .order_by("pk")
        )
        chunk = list(reports)
        prefetch_register_figures(chunk)  # the meeting register's verdicts, batched
        for report in chunk:
            counted = report.counted_status()
            if report.status != counted:
                yield Disagreement(
                    "进展状态",
                    _report_label(report),
                    f"月报记为“{report.get_status_display()}”,"
                    f"按指标应计为“{ProgressReport.Status(counted).label}”",
                )


def meeting_disagreements(checklist: Checklist, today: datetime.date) -> Iterator[Disagreement]:
    """Typed figures of recurring duties that differ from the register's count."""
    owed = checklist.months_owed()
    if not owed:
        return
    register = year_compliance(checklist=checklist, months=owed, today=today)
    typed = (
        TargetValue.objects.filter(
            target__kind=Target.Kind.FREQUENCY,
            target__item__checklist=checklist,
            report__year=checklist.year,
            report__month__in=owed,
            quantity__isnull=False,
        )
        .select_related("target__item")
        .prefetch_related(
            Prefetch(
                "report",
                queryset=ProgressReport.objects.select_related(
                    "assignment__item", "assignment__community", "assignment__unit"
                ),
            )
        )
        .order_by("pk")
    )
    for value in typed:
        report = value.report
        duty_month = register.get((value.target_id, report.assignment.community_id, report.month))
        held = duty_month.held if duty_month is not None else 0
        if value.quantity != held:
            yield Disagreement(
                "会议台账",
                _report_label(report),
                f"月报填写开展 {value.quantity} 次,会议台账记录 {held} 次",
            )


def unfiled_meeting_disagreements(
    checklist: Checklist, today: datetime.date
) -> Iterator[Disagreement]:
    """Summary rows of months owed without a report whose duties' verdicts (met, behind)
    differ from the meeting register's."""
    owed = checklist.months_owed()
    if not owed:
        return
    register = year_compliance(checklist=checklist, months=owed, today=today)
    with_duties = Assignment.objects.filter(
        item__checklist=checklist, item__targets__kind=Target.Kind.FREQUENCY
    ).distinct()
    assignments = (
        with_duties.select_related("item", "community", "unit")
        .prefetch_related("item__targets")
        .in_bulk()
    )
    rows = (
        AssignmentMonth.objects.filter(
            assignment_id__in=with_duties.values("pk"),
            year=checklist.year,
            month__in=owed,
            state=AssignmentMonth.State.MISSING,
        )
        .order_by("assignment_id", "month")
        .values_list("assignment_id", "month", "targets_met", "targets_behind")
    )
    for assignment_id, month, met, behind in rows:
        assignment = assignments[assignment_id]
        verdicts = []
        for duty in assignment.targets():
            if duty.kind != Target.Kind.FREQUENCY:
                continue
            party = None if duty.level == Target.Level.STREET else assignment.community_id
            judged = register.get((duty.pk, party, month))
            if judged is not None:
                verdicts.append(judged.verdict)
        register_met = verdicts.count(Target.Verdict.MET)
        register_behind = verdicts.count(Target.Verdict.BEHIND)
        if (met, behind) != (register_met, register_behind):
            yield Disagreement(
                "会议台账",
                f"{assignment.party} 第 {assignment.item.number} 项 "
                f"{checklist.year}年{month}月(未填报)",
                f"汇总表记达标 {met}、滞后 {behind} 项,"
                f"会议台账判定达标 {register_met}、滞后 {register_behind} 项",
            )


# Checks of the apps above this one (the assessment's stored scores), which this layer
# cannot import: each registers itself in its ``AppConfig.ready`` (``check_register``).
Check = Callable[[Checklist, datetime.date], Iterable[Disagreement]]
REGISTERED: dict[str, Check] = {}


def check_register(name: str, check: Check) -> None:
    REGISTERED[name] = check


def checks_known() -> frozenset[str]:
    return CHECKS | frozenset(REGISTERED)


def disagreements(
    checklist: Checklist, *, today: datetime.date, checks: frozenset[str] | None = None
) -> list[Disagreement]:
    """Every disagreement of the checklist, the checks in the order of the module's doc."""
    found: list[Disagreement] = []
    runs: dict[str, Callable[[], Iterator[Disagreement]]] = {
        "summaries": lambda: summaries_disagreements(checklist),
        "months": lambda: months_owed_disagreements(checklist),
        "status": lambda: status_disagreements(checklist),
        "meetings": lambda: chain(
            meeting_disagreements(checklist, today),
            unfiled_meeting_disagreements(checklist, today),
        ),
    }
    for name, check in REGISTERED.items():
        runs[name] = lambda check=check: iter(check(checklist, today))  # type: ignore[misc]
    for name, run in runs.items():
        if checks is None or name in checks:
            found += list(run())
    return found


CHECKS = frozenset({"summaries", "months", "status", "meetings"})
