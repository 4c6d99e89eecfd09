"""Keeping the summary tables (``AssignmentMonth``, ``PartyMonth``) equal to the raw reports.

Each report change sends ``tasks.signals.progress_changed`` inside its transaction; the
receiver here recomputes that one assignment-month from the raw report and then its
party's month, so a dashboard never reads a figure the raw data does not back.
``summaries_rebuild`` recomputes a whole year (after a bulk load, or to repair), and
``summaries_differences`` compares the stored rows with a fresh computation: the proof,
run by the tests and by ``manage.py summaries --check``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from notifications.models import OutboxMessage
from notifications.services import outbox_add
from tasks import registers
from tasks.filing import filed_on_time_q
from tasks.models import (
    Assignment,
    Checklist,
    DeadlineExtension,
    Evaluation,
    ProgressReport,
    Target,
    evaluate_assignment_month,
)
from tasks.signals import is_deferred

from .models import AssignmentMonth, PartyMonth

# The columns a recomputation sets (everything but the key).
CELL_COLUMNS = (
    "item_id",
    "pillar_id",
    "community_id",
    "unit_id",
    "report_id",
    "state",
    "status",
    "deadline",
    "first_submitted_on",
    "targets_total",
    "targets_met",
    "targets_behind",
    "targets_excepted",
    "is_complete",
)
PARTY_COLUMNS = ("expected", "received", "on_time", "approved", "returned", "complete", "behind")
# A received report's figures count as reported once the lead unit has it (submitted) or
# accepted it (approved); a returned one is being corrected.
REPORTED_STATES = (AssignmentMonth.State.SUBMITTED, AssignmentMonth.State.APPROVED)
# The rows whose targets behind count behind (目标滞后) on the dashboards: a report the lead
# unit has, and a month with no report at all, whose row holds only the verdicts of the
# targets judged from a register (the meetings of items 3, 14 and 16 are on record, report
# or not). A draft or a returned report is still being written.
BEHIND_COUNTED_STATES = (*REPORTED_STATES, AssignmentMonth.State.MISSING)
MONTHS = range(1, 13)  # every assignment has a row for each month of its year
CHUNK = 500  # assignments per step of a rebuild: 6,000 cells and their reports in memory


def _assignments() -> Any:
    return Assignment.objects.select_related("item__checklist").prefetch_related(
        "item__targets",
        Prefetch("extensions", queryset=DeadlineExtension.objects.filter(state="granted")),
    )


def cell_compute(
    assignment: Assignment,
    year: int,
    month: int,
    report: ProgressReport | None,
    figures: dict[registers.FigureKey, registers.Figure] | None = None,
) -> AssignmentMonth:
    """The row an assignment-month should have, from its raw report (None: not filed)
    and, for the targets judged from a register (frequency targets: the meeting
    register), from ``figures`` (``tasks.registers.figures``, fetched once for many
    cells; None: fetched for this cell). Expects ``assignment`` with its item's checklist
    and targets and its extensions prefetched, and ``report`` with its values."""
    cell = AssignmentMonth(
        assignment=assignment,
        year=year,
        month=month,
        item_id=assignment.item_id,
        pillar_id=assignment.item.pillar_id,
        community_id=assignment.community_id,
        unit_id=assignment.unit_id,
        deadline=assignment.filing_deadline(year, month),
    )
    if report is None:
        # Not filed: 未填报, and its targets too, except those judged from a register (the
        # meetings held are on record, report or not): their verdicts count as the
        # assessment counts them. The register judges only the months owed.
        if figures is None:
            figures = registers.figures(
                checklist=assignment.item.checklist, assignments=[assignment], months=[month]
            )
        evaluations = evaluate_assignment_month(
            assignment, None, year=year, month=month, figures=figures
        )
        cell.targets_total = len(evaluations)
        cell.targets_met = sum(e.verdict == Target.Verdict.MET for e in evaluations)
        cell.targets_behind = sum(e.verdict == Target.Verdict.BEHIND for e in evaluations)
        return cell
    report.assignment = assignment  # share the prefetched item and targets
    evaluations = report.evaluate(figures)
    cell.targets_total = len(evaluations)
    cell.targets_met = sum(e.verdict == Target.Verdict.MET for e in evaluations)
    cell.targets_behind = sum(e.verdict == Target.Verdict.BEHIND for e in evaluations)
    if report_is_excepted(report, evaluations):
        # The lead unit accepted the party's exception and the status that counts is not
        # 滞后: its targets judged behind are shown as such, with the reason, but do not
        # count behind, so no page says the party is behind on an item counted 已完成.
        cell.targets_excepted, cell.targets_behind = cell.targets_behind, 0
    cell.report_id = report.pk
    cell.state = report.workflow_state
    # The status that counts (``ProgressReport.counted_status``): the targets' judgement,
    # or the declared one where no target measures the item or the lead unit accepted the
    # party's exception. Complete is that status, approved.
    cell.status = report.counted_status(evaluations)
    if report.first_submitted_at is not None:
        cell.first_submitted_on = timezone.localdate(report.first_submitted_at)
    approved = report.workflow_state == ProgressReport.WorkflowState.APPROVED
    cell.is_complete = approved and cell.status == ProgressReport.Status.COMPLETED
    return cell


def report_is_excepted(report: ProgressReport, evaluations: list[Evaluation] | None = None) -> bool:
    """Whether the report's targets judged 滞后 are set aside: the lead unit accepted the
    party's exception (申请按申报状态认定) and the status that counts is not 滞后."""
    return (
        report.exception_state == ProgressReport.ExceptionState.ACCEPTED
        and report.counted_status(evaluations) != ProgressReport.Status.LAGGING
    )


def stored_aggregates() -> dict[str, Any]:
    """How ``AssignmentMonth`` rows add up into the figures ``PartyMonth`` keeps (the
    dashboard adds those that depend on today). They count ``assignment``, a column of the
    covering index ``summary_month_item_cover``, so PostgreSQL answers from the index."""
    state = AssignmentMonth.State
    received = Q(first_submitted_on__isnull=False)
    counted = "assignment"
    return {
        "expected": Count(counted),
        "received": Count(counted, filter=received),
        "on_time": Count(counted, filter=received & filed_on_time_q()),
        "approved": Count(counted, filter=Q(state=state.APPROVED)),
        "returned": Count(counted, filter=Q(state=state.RETURNED)),
        "complete": Count(counted, filter=Q(is_complete=True)),
        "behind": Count(counted, filter=Q(targets_behind__gt=0, state__in=BEHIND_COUNTED_STATES)),
    }


def _party_months_refresh(keys: Iterable[tuple[int | None, int | None, int, int]]) -> None:
    """Recompute the ``PartyMonth`` rows of (community_id, unit_id, year, month).

    The row is locked before its cells are added up: two staff of one community submitting
    at the same moment then take turns, and the second adds up after the first committed
    (each statement reads what was committed before it started), so neither overwrites
    the other's count with a stale one."""
    for community_id, unit_id, year, month in sorted(set(keys), key=str):
        period = {"community_id": community_id, "unit_id": unit_id, "year": year, "month": month}
        row = PartyMonth.objects.select_for_update().filter(**period).first()
        if row is None:
            try:
                with transaction.atomic():
                    row = PartyMonth.objects.create(**period)
            except IntegrityError:  # created by another transaction a moment ago
                row = PartyMonth.objects.select_for_update().get(**period)
        figures = AssignmentMonth.objects.filter(**period).aggregate(**stored_aggregates())
        if not figures["expected"]:
            row.delete()
            continue
        PartyMonth.objects.filter(pk=row.pk).update(**figures)


def cells_refresh(keys: Iterable[tuple[int, int, int]]) -> None:
    """Recompute the rows of (assignment_id, year, month) and their parties' months."""
    keys = set(keys)
    if not keys:
        return
    wanted = Q(pk__in=[])
    for assignment_id, year, month in keys:
        wanted |= Q(assignment_id=assignment_id, year=year, month=month)
    # Lock the rows first, then read the raw data: a change committed by another
    # transaction while this one waited is then read, not overwritten.
    list(AssignmentMonth.objects.select_for_update().filter(wanted).order_by("pk").values("pk"))
    assignments = _assignments().in_bulk({key[0] for key in keys})
    reports = {
        (r.assignment_id, r.year, r.month): r
        for r in ProgressReport.objects.filter(wanted).prefetch_related("values")
    }
    figures = _figures(assignments.values(), keys)
    parties = []
    for key in keys:
        assignment = assignments.get(key[0])
        if assignment is None:  # deleted in this transaction; its row went with it
            continue
        cell = cell_compute(assignment, key[1], key[2], reports.get(key), figures)
        AssignmentMonth.objects.update_or_create(
            assignment_id=key[0],
            year=key[1],
            month=key[2],
            defaults={column: getattr(cell, column) for column in CELL_COLUMNS},
        )
        parties.append((assignment.community_id, assignment.unit_id, key[1], key[2]))
    _party_months_refresh(parties)


def _figures(
    assignments: Iterable[Assignment], keys: Iterable[tuple[int, int, int]]
) -> dict[registers.FigureKey, registers.Figure]:
    """The registers' figures of the (assignment_id, year, month) cells: one batched call
    per checklist (and year), so a refresh or rebuild asks a few queries, not one per
    cell."""
    by_pk = {assignment.pk: assignment for assignment in assignments}
    groups: dict[tuple[int, int], tuple[Checklist, dict[int, Assignment], set[int]]] = {}
    for assignment_id, year, month in keys:
        assignment = by_pk.get(assignment_id)
        if assignment is None or assignment.item.checklist.year != year:
            continue
        checklist = assignment.item.checklist
        _checklist, members, months = groups.setdefault(
            (checklist.pk, year), (checklist, {}, set())
        )
        members[assignment.pk] = assignment
        months.add(month)
    figures: dict[registers.FigureKey, registers.Figure] = {}
    for checklist, members, months in groups.values():
        figures.update(
            registers.figures(checklist=checklist, assignments=members.values(), months=months)
        )
    return figures


def _cells_for(assignments: list[Assignment], checklist: Checklist) -> Iterator[AssignmentMonth]:
    reports = {
        (r.assignment_id, r.year, r.month): r
        for r in ProgressReport.objects.filter(
            assignment__in=assignments, year=checklist.year
        ).prefetch_related("values")
    }
    figures = registers.figures(checklist=checklist, assignments=assignments, months=MONTHS)
    for assignment in assignments:
        for month in MONTHS:
            yield cell_compute(
                assignment,
                checklist.year,
                month,
                reports.get((assignment.pk, checklist.year, month)),
                figures,
            )


def _assignment_chunks(
    checklist: Checklist, *, item_id: int | None = None
) -> Iterator[list[Assignment]]:
    assignments = Assignment.objects.filter(item__checklist=checklist)
    if item_id is not None:
        assignments = assignments.filter(item_id=item_id)
    ids = list(assignments.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        yield list(_assignments().filter(pk__in=ids[start : start + CHUNK]).order_by("pk"))


def _party_months_compute(checklist: Checklist, *, parties: Q | None = None) -> list[PartyMonth]:
    cells = AssignmentMonth.objects.filter(year=checklist.year, item__checklist=checklist)
    if parties is not None:
        cells = cells.filter(parties)
    rows = (
        cells.values("community_id", "unit_id", "year", "month")
        .annotate(**stored_aggregates())
        .order_by()
    )
    return [PartyMonth(**row) for row in rows]


@transaction.atomic
def summaries_rebuild(*, checklist: Checklist, item_id: int | None = None) -> int:
    """Recompute the summary rows of the checklist's year from the raw reports: every row,
    or only those of one item (after its targets changed: a fortieth of the work). Returns
    the number of assignment-months written."""
    cells = AssignmentMonth.objects.filter(year=checklist.year, item__checklist=checklist)
    if item_id is not None:
        cells = cells.filter(item_id=item_id)
    cells.delete()
    written = 0
    for assignments in _assignment_chunks(checklist, item_id=item_id):
        built = list(_cells_for(assignments, checklist))
        AssignmentMonth.objects.bulk_create(built, batch_size=5000)
        written += len(built)
    PartyMonth.objects.filter(year=checklist.year).delete()
    PartyMonth.objects.bulk_create(_party_months_compute(checklist), batch_size=5000)
    return written


@transaction.atomic
def assignments_cells_sync(*, checklist: Checklist) -> None:
    """Give each new assignment of the checklist its twelve months (未填报 until filed) and
    recompute its party's months; after a removal, recompute every party's months."""
    new_ids = list(
        Assignment.objects.filter(item__checklist=checklist, months__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    parties: set[tuple[int | None, int | None]] = set()
    for start in range(0, len(new_ids), CHUNK):
        assignments = list(_assignments().filter(pk__in=new_ids[start : start + CHUNK]))
        AssignmentMonth.objects.bulk_create(_cells_for(assignments, checklist), batch_size=5000)
        parties |= {(a.community_id, a.unit_id) for a in assignments}
    stale = PartyMonth.objects.filter(year=checklist.year)
    if parties:
        communities = {community for community, _unit in parties if community is not None}
        units = {unit for community, unit in parties if community is None}
        wanted = Q(community_id__in=communities) | Q(unit_id__in=units)
        stale = stale.filter(wanted)
    stale.delete()
    PartyMonth.objects.bulk_create(
        _party_months_compute(checklist, parties=wanted if parties else None), batch_size=5000
    )


@dataclass(frozen=True)
class Difference:
    key: tuple[int, int, int] | tuple[int | None, int | None, int, int]
    column: str
    stored: Any
    computed: Any

    def __str__(self) -> str:
        return f"{self.key} {self.column}: stored {self.stored!r}, raw data says {self.computed!r}"


def summaries_differences(*, checklist: Checklist) -> list[Difference]:
    """Where the stored summary rows differ from a fresh computation from the raw reports
    (an empty list is the proof that they agree)."""
    differences: list[Difference] = []
    stored = {
        (c.assignment_id, c.year, c.month): c
        for c in AssignmentMonth.objects.filter(year=checklist.year, item__checklist=checklist)
    }
    for assignments in _assignment_chunks(checklist):
        for cell in _cells_for(assignments, checklist):
            key = (cell.assignment_id, cell.year, cell.month)
            row = stored.pop(key, None)
            if row is None:
                differences.append(Difference(key, "row", None, "present"))
                continue
            differences += [
                Difference(key, column, getattr(row, column), getattr(cell, column))
                for column in CELL_COLUMNS
                if getattr(row, column) != getattr(cell, column)
            ]
    differences += [Difference(key, "row", "present", None) for key in stored]
    stored_parties = {
        (p.community_id, p.unit_id, p.year, p.month): p
        for p in PartyMonth.objects.filter(year=checklist.year)
    }
    for party in _party_months_compute(checklist):
        party_key = (party.community_id, party.unit_id, party.year, party.month)
        party_row = stored_parties.pop(party_key, None)
        if party_row is None:
            differences.append(Difference(party_key, "row", None, "present"))
            continue
        differences += [
            Difference(party_key, column, getattr(party_row, column), getattr(party, column))
            for column in PARTY_COLUMNS
            if getattr(party_row, column) != getattr(party, column)
        ]
    differences += [Difference(key, "row", "present", None) for key in stored_parties]
    return differences


def on_progress_changed(
    sender: Any, *, assignment_id: int, year: int, month: int, **kwargs: Any
) -> None:
    if not is_deferred():
        cells_refresh([(assignment_id, year, month)])


def on_meetings_changed(
    sender: Any, *, target_id: int, community_id: int | None, **kwargs: Any
) -> None:
    """A duty's meetings changed for a party (``meetings.signals.meetings_changed``):
    every month of the assignments that report that duty is judged again (a gap runs on
    into the following months)."""
    if is_deferred():
        return
    target = Target.objects.select_related("item__checklist").filter(pk=target_id).first()
    if target is None:
        return
    assignments = Assignment.objects.filter(item_id=target.item_id)
    if target.level == Target.Level.STREET:
        assignments = assignments.filter(is_street_level=True)
    else:
        assignments = assignments.filter(
            community_id=community_id if community_id is not None else 0, is_street_level=False
        )
    year = target.item.checklist.year
    cells_refresh(
        (assignment_id, year, month)
        for assignment_id in assignments.values_list("pk", flat=True)
        for month in MONTHS
    )


def on_assignments_changed(sender: Any, *, checklist_id: int, **kwargs: Any) -> None:
    if not is_deferred():
        assignments_cells_sync(checklist=Checklist.objects.get(pk=checklist_id))


def on_progress_loaded(sender: Any, *, checklist_id: int, **kwargs: Any) -> None:
    summaries_rebuild(checklist=Checklist.objects.get(pk=checklist_id))


REBUILD_TASK = "dashboards.summaries_rebuild"


def rebuild_later(checklist_ids: Iterable[int], *, item_id: int | None = None) -> None:
    """Ask, inside the caller's transaction, for the checklists' summaries (or one item's)
    to be rebuilt by a Celery job once it commits (through the outbox); once while the
    same job is still waiting. Checklists without assignments have nothing to rebuild."""
    if is_deferred():
        return
    with_cells = Checklist.objects.filter(
        pk__in=set(checklist_ids), items__assignments__isnull=False
    )
    for checklist_id in with_cells.values_list("pk", flat=True).distinct():
        job = {"checklist_id": checklist_id}
        if item_id is not None:
            job["item_id"] = item_id
        waiting = OutboxMessage.objects.filter(
            task=REBUILD_TASK, kwargs=job, published_at__isnull=True
        )
        if not waiting.exists():
            outbox_add(task=REBUILD_TASK, **job)


def on_target_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A target's rule judges only its item's months."""
    rebuild_later([instance.item.checklist_id], item_id=instance.item_id)


def on_checklist_saved(
    sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any
) -> None:
    """The date a checklist takes effect decides its months owed, and its status whether
    lateness still runs: a change to either (or a save of the whole row, as the admin's)
    rebuilds its rows."""
    if update_fields is None or {"takes_effect_on", "status"} & set(update_fields):
        rebuild_later([instance.pk])


def on_calendar_day_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A holiday entered moves deadlines of its year, and December's of the year before."""
    day = instance.date
    year = (day if isinstance(day, datetime.date) else datetime.date.fromisoformat(day)).year
    rebuild_later(Checklist.objects.filter(year__in=(year, year - 1)).values_list("pk", flat=True))


def summaries_refresh_registered(*, checklist: Checklist) -> int:
    """Recompute the rows of the items judged from a register (the meetings of items 3, 14
    and 16). Their verdicts move with time alone: a fortnightly duty's month turns from
    推进中 to 滞后 the day a gap overruns, with no write to tell the summary tables. The
    daily job calls this; returns the number of assignment-months written."""
    items = (
        Target.objects.filter(item__checklist=checklist, kind__in=registers.registered_kinds())
        .values_list("item_id", flat=True)
        .distinct()
    )
    return sum(summaries_rebuild(checklist=checklist, item_id=item_id) for item_id in items)
