"""Keeping the summary tables (``AssignmentMonth``, ``PartyMonth``, ``ItemMonth``) equal to
the raw reports.

Each report change sends ``tasks.signals.progress_changed`` inside its transaction; the
receiver here recomputes that one assignment-month from the raw report and then its
party's month and its item's month, so a dashboard never reads a figure the raw data does
not back.
``summaries_rebuild`` recomputes a whole year (after a bulk load, or to repair), and
``summaries_differences`` compares the stored rows with a fresh computation: the proof,
run by the tests and by ``manage.py summaries --check``.
"""

from __future__ import annotations

import datetime
import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from communities.models import Community, Unit
from notifications.models import OutboxMessage
from notifications.services import outbox_add
from tasks import registers
from tasks.filing import deadline_with_extensions, filed_late_q, filed_on_time_q
from tasks.models import (
    Assignment,
    Checklist,
    DeadlineExtension,
    Evaluation,
    Item,
    ProgressReport,
    Target,
    TargetValue,
    evaluate_assignment_month,
)
from tasks.signals import is_deferred

from .figure_version import figures_changed
from .models import AssignmentMonth, ItemMonth, PartyMonth

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
ITEM_COLUMNS = (*PARTY_COLUMNS, "late_filed", "excepted", "unfiled")
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
    else:
        report.assignment = assignment  # share the prefetched item and targets
        evaluations = report.evaluate(figures)
        cell.report_id = report.pk
        cell.state = report.workflow_state
        if report.first_submitted_at is not None:
            cell.first_submitted_on = timezone.localdate(report.first_submitted_at)
    for column, value in judged_columns(report, evaluations).items():
        setattr(cell, column, value)
    return cell


def judged_columns(
    report: ProgressReport | None, evaluations: Sequence[Evaluation]
) -> dict[str, Any]:
    """The columns of a row that follow from its targets' verdicts (``evaluations``) and
    its report (None: not filed): the counts, the status that counts and whether the
    month is complete. The one home of these rules: ``cell_compute`` asks it per row, the
    set-based rebuild once per combination of verdicts and report states."""
    behind = sum(e.verdict == Target.Verdict.BEHIND for e in evaluations)
    columns: dict[str, Any] = {
        "targets_total": len(evaluations),
        "targets_met": sum(e.verdict == Target.Verdict.MET for e in evaluations),
        "targets_behind": behind,
        "targets_excepted": 0,
        "status": "",
        "is_complete": False,
    }
    if report is None:
        return columns
    if report_is_excepted(report, evaluations):
        # The lead unit accepted the party's exception and the status that counts is not
        # 滞后: its targets judged behind are shown as such, with the reason, but do not
        # count behind, so no page says the party is behind on an item counted 已完成.
        columns["targets_excepted"], columns["targets_behind"] = behind, 0
    # The status that counts (``ProgressReport.counted_status``): the targets' judgement,
    # or the declared one where no target measures the item or the lead unit accepted the
    # party's exception. Complete is that status, approved.
    status = report.counted_status(evaluations)
    columns["status"] = status
    approved = report.workflow_state == ProgressReport.WorkflowState.APPROVED
    columns["is_complete"] = approved and status == ProgressReport.Status.COMPLETED
    return columns


def report_is_excepted(
    report: ProgressReport, evaluations: Sequence[Evaluation] | None = None
) -> bool:
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


def item_aggregates() -> dict[str, Any]:
    """How ``AssignmentMonth`` rows add up into an ``ItemMonth`` row: the party's figures,
    and those the dashboard lists per item (filed late, excepted, not yet submitted: overdue
    once the row's deadline has passed)."""
    counted = "assignment"
    return {
        **stored_aggregates(),
        "late_filed": Count(counted, filter=filed_late_q()),
        "excepted": Count(counted, filter=Q(targets_excepted__gt=0)),
        "unfiled": Count(counted, filter=Q(first_submitted_on__isnull=True)),
    }


def _item_months_query(cells: QuerySet[AssignmentMonth]) -> QuerySet[Any]:
    return (
        cells.values("item_id", "year", "month", "deadline")
        .annotate(**item_aggregates())
        .order_by()
    )


def _item_months_refresh(keys: Iterable[tuple[int, int, int]]) -> None:
    """Recompute the ``ItemMonth`` rows of (item_id, year, month), from the item's cells of
    the month (the covering index ``summary_month_item_cover`` answers alone).

    The item is locked first (``FOR NO KEY UPDATE``: it blocks no row that refers to it),
    as ``_party_months_refresh`` locks the party's row: two submissions on one item at the
    same moment take turns, and the second adds up after the first committed. The items
    are locked in one statement, in the order of their keys, and nothing else is: without
    ``order_by("pk")`` the model's ordering joined the checklist, and ``FOR NO KEY UPDATE``
    locked the year's one checklist row too, which every save and review of the year then
    queued for and, under 50 users, deadlocked on (docs/load-test.md)."""
    keys = sorted(set(keys))
    list(
        Item.objects.select_for_update(no_key=True, of=("self",))
        .filter(pk__in={item_id for item_id, _year, _month in keys})
        .order_by("pk")
        .values_list("pk")
    )
    for item_id, year, month in keys:
        ItemMonth.objects.filter(item_id=item_id, year=year, month=month).delete()
        cells = AssignmentMonth.objects.filter(item_id=item_id, year=year, month=month)
        ItemMonth.objects.bulk_create(ItemMonth(**row) for row in _item_months_query(cells))


def _item_months_insert(year: int, cells: QuerySet[AssignmentMonth]) -> None:
    """Add ``cells`` up into ``ItemMonth`` rows in one ``INSERT … SELECT`` (a rebuild); the
    rows of those cells' items must be gone."""
    select, params = _item_months_query(cells.filter(year=year)).query.sql_with_params()
    columns = ("item_id", "year", "month", "deadline", *item_aggregates())
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table(ItemMonth)} ({', '.join(columns)}) {select}",  # noqa: S608
            params,
        )


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
        PartyMonth.objects.filter(pk=row.pk).update(**figures, party_order=party_order())


def party_order() -> Coalesce:
    """A ``PartyMonth`` row's party's order (``Community.order`` or ``Unit.order``), in SQL."""
    return Coalesce(
        Subquery(Community.objects.filter(pk=OuterRef("community_id")).values("order")),
        Subquery(Unit.objects.filter(pk=OuterRef("unit_id")).values("order")),
        Value(0),
    )


def on_party_saved(sender: Any, instance: Community | Unit, **kwargs: Any) -> None:
    """A community's or unit's order moved: its months follow (``PartyMonth.party_order``,
    the dashboard's order among parties equally behind)."""
    party = "community" if isinstance(instance, Community) else "unit"
    PartyMonth.objects.filter(**{party: instance}).exclude(party_order=instance.order).update(
        party_order=instance.order
    )


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
    items: list[tuple[int, int, int]] = []
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
        items.append((assignment.item_id, key[1], key[2]))
    _party_months_refresh(parties)
    _item_months_refresh(items)
    figures_changed()


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
    return [PartyMonth(**row) for row in _party_months_query(checklist, parties=parties)]


def _party_months_query(checklist: Checklist, *, parties: Q | None = None) -> QuerySet[Any]:
    cells = AssignmentMonth.objects.filter(year=checklist.year, item__checklist=checklist)
    if parties is not None:
        cells = cells.filter(parties)
    return (
        cells.values("community_id", "unit_id", "year", "month")
        .annotate(**stored_aggregates())
        .order_by()
    )


def _party_months_insert(checklist: Checklist, *, parties: Q | None = None) -> None:
    """Add the cells up into ``PartyMonth`` rows in one ``INSERT … SELECT``: the same
    query as ``_party_months_compute``, never brought into Python, each row with its
    party's order (``PartyMonth.party_order``)."""
    select, params = _party_months_query(checklist, parties=parties).query.sql_with_params()
    figures = (*stored_aggregates(),)
    columns = ("community_id", "unit_id", "year", "month", *figures, "party_order")
    order = connection.ops.quote_name("order")
    chosen = ", ".join(f"p.{column}" for column in columns[:-1])
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table(PartyMonth)} ({', '.join(columns)})"  # noqa: S608
            f" SELECT {chosen}, COALESCE(c.{order}, u.{order}, 0) FROM ({select}) p"
            f" LEFT JOIN {_table(Community)} c ON c.id = p.community_id"
            f" LEFT JOIN {_table(Unit)} u ON u.id = p.unit_id",
            params,
        )


@transaction.atomic
def summaries_rebuild(*, checklist: Checklist, item_id: int | None = None) -> int:
    """Recompute the summary rows of the checklist's year from the raw reports: every row,
    or only those of one item (after its targets changed: a fortieth of the work). Returns
    the number of assignment-months computed. Set-based (``_cells_write``): the 2.7
    million rows of 6,000 communities in 47 s on the 2-core machine (920 s row by row)."""
    assignments = Assignment.objects.filter(item__checklist=checklist)
    items = list(checklist.items.values_list("pk", flat=True))
    if item_id is not None:
        assignments = assignments.filter(item_id=item_id)
        items = [item_id]
    written = _cells_write(checklist, assignments, stored=items)
    PartyMonth.objects.filter(year=checklist.year).delete()
    _party_months_insert(checklist)
    ItemMonth.objects.filter(year=checklist.year, item_id__in=items).delete()
    _item_months_insert(checklist.year, AssignmentMonth.objects.filter(item_id__in=items))
    if connection.vendor == "postgresql":
        # Fresh statistics for the planner at once: the rows were all replaced.
        with connection.cursor() as cursor:
            tables = (AssignmentMonth, PartyMonth, ItemMonth)
            cursor.execute(f"ANALYZE {', '.join(_table(model) for model in tables)}")
    figures_changed()
    return written


def summaries_vacuum() -> None:
    """After a bulk rebuild, outside any transaction: ``VACUUM ANALYZE`` the summary tables
    on PostgreSQL (the replaced rows' space is reused, the visibility map lets the
    covering index answer alone, the planner's statistics are fresh). Nothing elsewhere,
    or inside a transaction (VACUUM cannot run there; the rebuild has ANALYZEd)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for model in (AssignmentMonth, PartyMonth, ItemMonth):
            cursor.execute(f"VACUUM ANALYZE {_table(model)}")


@transaction.atomic
def assignments_cells_sync(*, checklist: Checklist) -> None:
    """Give each new assignment of the checklist its twelve months (未填报 until filed) and
    recompute its party's months; after a removal, recompute every party's months."""
    new = Assignment.objects.filter(item__checklist=checklist, months__isnull=True)
    parties: set[tuple[int | None, int | None]] = set(
        new.values_list("community_id", "unit_id").distinct().order_by()
    )
    # The items whose months change: those of the new cells, or after a removal every one.
    items = list(checklist.items.values_list("pk", flat=True))
    if parties:
        items = list(new.values_list("item_id", flat=True).distinct().order_by())
        _cells_write(checklist, new, stored=None)
    stale = PartyMonth.objects.filter(year=checklist.year)
    wanted = Q()
    if parties:
        communities = {community for community, _unit in parties if community is not None}
        units = {unit for community, unit in parties if community is None}
        wanted = Q(community_id__in=communities) | Q(unit_id__in=units)
        stale = stale.filter(wanted)
    stale.delete()
    _party_months_insert(checklist, parties=wanted if parties else None)
    ItemMonth.objects.filter(year=checklist.year, item_id__in=items).delete()
    _item_months_insert(checklist.year, AssignmentMonth.objects.filter(item_id__in=items))
    figures_changed()


# ---------------------------------------------------------------------------------------
# The set-based computation of the cells
#
# One ``INSERT … SELECT`` writes every cell of the assignments: the assignments × the
# twelve months, left-joined to their reports and their targets' values. Nothing of a row
# is computed in Python per row. The rules that live in Python are asked once per
# combination of their inputs and their answers handed to the statement as small temporary
# tables:
#
# - the filing deadline of each month (``Checklist.filing_deadline``) and of each month
#   with a granted extension (``tasks.filing.deadline_with_extensions``);
# - each target's verdict (``Target.evaluate``) for each distinct figure reported in a
#   month (a few thousand at 6,000 communities), and with no figure;
# - the registers' figures (``tasks.registers``: the meeting register), judged;
# - ``judged_columns`` for each combination of the verdicts present (met, behind, on
#   track, not reported) and the report's states (workflow, exception, declared status):
#   the status that counts, complete, and whether behind targets are excepted.
#
# ``summaries_differences`` still computes every cell in Python, row by row, from the raw
# reports (``cell_compute``): the check that the two agree.

_PREFIX = "yijia_summary_"
_ABSENT = -1  # a value's empty column, in the join keys of ``_VALUES``
_NO_DATE = datetime.date(1, 1, 1)
_TEMPORARY = {
    "assignments": "id integer PRIMARY KEY, item_id integer NOT NULL, pillar_id integer NOT NULL, "
    "community_id integer, unit_id integer, is_street_level boolean NOT NULL",
    "months": "month integer PRIMARY KEY, deadline date NOT NULL",
    "extensions": "assignment_id integer, month integer, deadline date NOT NULL, "
    "PRIMARY KEY (assignment_id, month)",
    "targets": "target_id integer PRIMARY KEY, item_id integer NOT NULL, "
    "street_level boolean NOT NULL, registered boolean NOT NULL",
    # the verdict with no figure reported (or, for a register's target, no figure on record)
    "unfilled": "target_id integer, month integer, verdict varchar(20) NOT NULL, "
    "PRIMARY KEY (target_id, month)",
    "values_judged": "target_id integer, month integer, numerator bigint, denominator bigint, "
    "quantity bigint, achieved_on date, is_done integer, verdict varchar(20) NOT NULL",
    "registers": "target_id integer, assignment_id integer, month integer, "
    "verdict varchar(20) NOT NULL, PRIMARY KEY (target_id, assignment_id, month)",
    "cells": "assignment_id integer, year integer, month integer, item_id integer, "
    "pillar_id integer, community_id integer, unit_id integer, report_id integer, "
    "state varchar(10), status varchar(20), deadline date, first_submitted_on date, "
    "targets_total integer, targets_met integer, targets_behind integer, "
    "targets_excepted integer, is_complete boolean, PRIMARY KEY (assignment_id, month)",
    # keyed by "state:exception state:declared status:met?behind?on track?not reported?"
    "rules": "rule varchar(60) PRIMARY KEY, state varchar(10) NOT NULL, "
    "status varchar(20) NOT NULL, is_complete boolean NOT NULL, excepts boolean NOT NULL",
}
_VERDICTS = (
    Target.Verdict.MET,
    Target.Verdict.BEHIND,
    Target.Verdict.ON_TRACK,
    Target.Verdict.NOT_REPORTED,
)


def _table(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def _fill(cursor: CursorWrapper, name: str, rows: Iterable[Sequence[Any]]) -> None:
    """Write rows into a temporary table: COPY on PostgreSQL, ``executemany`` elsewhere."""
    rows = list(rows)
    if not rows:
        return
    table = _PREFIX + name
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(f"ANALYZE {table}")
        return
    marks = ", ".join(["%s"] * len(rows[0]))
    cursor.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)  # noqa: S608


def _rules() -> Iterator[tuple[Any, ...]]:
    """``judged_columns`` for every combination of the verdicts present and the report's
    states: (key, state, status, complete, excepted), the key as ``_cells_write`` spells
    it ("approved:none:completed:1000"; the report's states '' when not filed)."""
    judge = Target(kind=Target.Kind.MILESTONE)  # the verdicts alone are read
    states: list[tuple[Any, str, str, str]] = [(None, AssignmentMonth.State.MISSING, "", "")]
    for workflow, exception, declared in itertools.product(
        ProgressReport.WorkflowState.values,
        ProgressReport.ExceptionState.values,
        ProgressReport.Status.values,
    ):
        report = ProgressReport(
            workflow_state=workflow, exception_state=exception, declared_status=declared
        )
        states.append((report, workflow, exception, declared))
    for present in itertools.product((0, 1), repeat=len(_VERDICTS)):
        evaluations = [
            Evaluation(target=judge, verdict=verdict, measured="", explanation="")
            for verdict, there in zip(_VERDICTS, present, strict=True)
            if there
        ]
        for report, state, exception, declared in states:
            columns = judged_columns(report, evaluations)
            yield (
                f"{state}:{exception}:{declared}:{''.join(map(str, present))}",
                state,
                columns["status"],
                columns["is_complete"],
                columns["targets_excepted"] > 0,
            )


def _inputs_fill(
    cursor: CursorWrapper, checklist: Checklist, assignments: QuerySet[Assignment]
) -> None:
    """The temporary tables of the Python rules' answers for these assignments' cells."""
    year = checklist.year
    deadlines = {month: checklist.filing_deadline(year, month) for month in MONTHS}
    _fill(cursor, "months", deadlines.items())
    granted: dict[tuple[int, int], list[datetime.date]] = defaultdict(list)
    for assignment_id, month, day in DeadlineExtension.objects.filter(
        state=DeadlineExtension.State.GRANTED, year=year, assignment__in=assignments
    ).values_list("assignment_id", "month", "requested_deadline"):
        granted[assignment_id, month].append(day)
    _fill(
        cursor,
        "extensions",
        (
            (assignment_id, month, deadline_with_extensions(deadlines[month], days))
            for (assignment_id, month), days in granted.items()
        ),
    )
    targets = {
        target.pk: target
        for target in Target.objects.filter(item__checklist=checklist).select_related(
            "item__checklist"
        )
    }
    _fill(
        cursor,
        "targets",
        (
            (pk, t.item_id, t.level == Target.Level.STREET, t.is_judged_from_register)
            for pk, t in targets.items()
        ),
    )
    _fill(
        cursor,
        "unfilled",
        (
            (pk, month, target.evaluate(None, year=year, month=month).verdict)
            for pk, target in targets.items()
            for month in MONTHS
        ),
    )
    typed = [pk for pk, target in targets.items() if not target.is_judged_from_register]
    reported = (
        TargetValue.objects.filter(
            report__year=year, report__assignment__in=assignments, target_id__in=typed
        )
        .values_list(
            "target_id",
            "report__month",
            "numerator",
            "denominator",
            "quantity",
            "achieved_on",
            "is_done",
        )
        .order_by()
        .distinct()
    )
    judged = []
    for target_id, month, numerator, denominator, quantity, achieved_on, is_done in reported:
        value = TargetValue(
            numerator=numerator,
            denominator=denominator,
            quantity=quantity,
            achieved_on=achieved_on,
            is_done=is_done,
        )
        verdict = targets[target_id].evaluate(value, year=year, month=month).verdict
        judged.append(
            (
                target_id,
                month,
                _ABSENT if numerator is None else numerator,
                _ABSENT if denominator is None else denominator,
                _ABSENT if quantity is None else quantity,
                _NO_DATE if achieved_on is None else achieved_on,
                _ABSENT if is_done is None else int(is_done),
                verdict,
            )
        )
    _fill(cursor, "values_judged", judged)
    registered_items = {t.item_id for t in targets.values() if t.is_judged_from_register}
    figures = registers.figures(
        checklist=checklist,
        assignments=_assignments().filter(pk__in=assignments, item_id__in=registered_items),
        months=MONTHS,
    )
    verdicts: dict[tuple[int, int, registers.Figure], str] = {}
    rows = []
    for (target_id, assignment_id, month), figure in figures.items():
        key = (target_id, month, figure)
        if key not in verdicts:
            verdicts[key] = (
                targets[target_id].evaluate(None, year=year, month=month, figure=figure).verdict
            )
        rows.append((target_id, assignment_id, month, verdicts[key]))
    _fill(cursor, "registers", rows)
    _fill(cursor, "rules", _rules())


def _cells_write(
    checklist: Checklist, assignments: QuerySet[Assignment], *, stored: list[int] | None
) -> int:
    """Compute the twelve cells of each of ``assignments`` (of ``checklist``) in one
    statement, then store them. The stored rows of the year's ``stored`` items (the cells
    being replaced; None: the assignments have none yet) that differ are updated, those
    missing inserted, those no longer computed deleted; a row that has not changed is not
    written. Returns the number of cells computed."""
    year = checklist.year
    chosen, chosen_params = (
        assignments.order_by()
        .values_list(
            "pk", "item_id", "item__pillar_id", "community_id", "unit_id", "is_street_level"
        )
        .query.sql_with_params()
    )
    submitted_on, submitted_on_params = connection.ops.datetime_cast_date_sql(
        "r.first_submitted_at", (), timezone.get_current_timezone_name()
    )
    t = {name: _PREFIX + name for name in _TEMPORARY}
    report, value = _table(ProgressReport), _table(TargetValue)
    # Each (cell, target): its verdict, from the register for a register's targets, else
    # from the reported figure; the verdict with no figure where there is none.
    verdicts = f"""
        SELECT a.id AS assignment_id, m.month AS month, COALESCE(
            CASE WHEN tg.registered THEN g.verdict ELSE j.verdict END, u.verdict
        ) AS verdict
        FROM {t["assignments"]} a
        JOIN {t["targets"]} tg
            ON tg.item_id = a.item_id AND tg.street_level = a.is_street_level
        CROSS JOIN {t["months"]} m
        JOIN {t["unfilled"]} u ON u.target_id = tg.target_id AND u.month = m.month
        LEFT JOIN {report} r ON r.assignment_id = a.id AND r.year = %s AND r.month = m.month
        LEFT JOIN {value} v ON v.report_id = r.id AND v.target_id = tg.target_id
        LEFT JOIN {t["values_judged"]} j
            ON v.id IS NOT NULL AND j.target_id = tg.target_id AND j.month = m.month
            AND j.numerator = COALESCE(v.numerator, %s)
            AND j.denominator = COALESCE(v.denominator, %s)
            AND j.quantity = COALESCE(v.quantity, %s)
            AND j.achieved_on = COALESCE(v.achieved_on, %s)
            AND j.is_done = CASE WHEN v.is_done IS NULL THEN %s WHEN v.is_done THEN 1 ELSE 0 END
        LEFT JOIN {t["registers"]} g
            ON g.target_id = tg.target_id AND g.assignment_id = a.id AND g.month = m.month
    """  # noqa: S608 (table names from the models, values as parameters)
    verdicts_params = [year, *[_ABSENT] * 3, _NO_DATE, _ABSENT]
    counts = ", ".join(
        f"SUM(CASE WHEN verdict = %s THEN 1 ELSE 0 END) AS {verdict}" for verdict in _VERDICTS
    )
    present = " || ".join(
        f"CASE WHEN c.{verdict} > 0 THEN '1' ELSE '0' END" for verdict in _VERDICTS
    )
    behind = "COALESCE(c.behind, 0)"
    statement = f"""
        INSERT INTO {t["cells"]} ({", ".join(_STORED)})
        SELECT a.id, %s, m.month, a.item_id, a.pillar_id, a.community_id, a.unit_id,
            r.id, rule.state, rule.status, COALESCE(x.deadline, m.deadline), {submitted_on},
            COALESCE(c.total, 0), COALESCE(c.met, 0),
            CASE WHEN rule.excepts THEN 0 ELSE {behind} END,
            CASE WHEN rule.excepts THEN {behind} ELSE 0 END,
            rule.is_complete
        FROM {t["assignments"]} a
        CROSS JOIN {t["months"]} m
        LEFT JOIN {report} r ON r.assignment_id = a.id AND r.year = %s AND r.month = m.month
        LEFT JOIN {t["extensions"]} x ON x.assignment_id = a.id AND x.month = m.month
        LEFT JOIN (
            SELECT assignment_id, month, COUNT(*) AS total, {counts}
            FROM ({verdicts}) judged
            GROUP BY assignment_id, month
        ) c ON c.assignment_id = a.id AND c.month = m.month
        JOIN {t["rules"]} rule ON rule.rule = (
            COALESCE(r.workflow_state, %s) || ':' || COALESCE(r.exception_state, '') || ':'
            || COALESCE(r.declared_status, '') || ':' || {present}
        )
    """  # noqa: S608 (table names from the models, values as parameters)
    params = [
        year,
        *submitted_on_params,
        year,
        *_VERDICTS,
        *verdicts_params,
        AssignmentMonth.State.MISSING,
    ]
    expected = assignments.count() * len(MONTHS)
    with connection.cursor() as cursor:
        for name in _TEMPORARY:
            cursor.execute(f"DROP TABLE IF EXISTS {t[name]}")
        for name, columns in _TEMPORARY.items():
            cursor.execute(f"CREATE TEMPORARY TABLE {t[name]} ({columns})")
        cursor.execute(f"INSERT INTO {t['assignments']} {chosen}", chosen_params)
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {t['assignments']}")
        _inputs_fill(cursor, checklist, assignments)
        if connection.vendor == "postgresql":
            # The verdicts' grouping in memory, not spilled to disk (this transaction).
            cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute(statement, params)
        computed = cursor.rowcount
        if computed != expected:  # a state no rule covers: refuse rather than lose rows
            raise RuntimeError(f"summary rebuild computed {computed} cells of {expected}")
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {t['cells']}")
        _cells_store(cursor, t["cells"], computed, checklist.year, stored)
        # (After an error the transaction's rollback drops them.)
        for name in _TEMPORARY:
            cursor.execute(f"DROP TABLE {t[name]}")
    return computed


# What a cell stores, in the temporary table's order.
_STORED = ("assignment_id", "year", "month", *CELL_COLUMNS)
# From this many new rows on, into a table holding fewer, PostgreSQL writes them as a
# restore does: the secondary indexes and the foreign keys are dropped, the rows written,
# then the indexes built and the keys checked in one pass each (a few seconds at 2.7
# million rows, against minutes of per-row upkeep and per-row key checks at commit).
BULK_ROWS = 100_000


def _cells_store(
    cursor: CursorWrapper, cells: str, computed: int, year: int, stored: list[int] | None
) -> None:
    table = _table(AssignmentMonth)
    same_cell = "s.assignment_id = c.assignment_id AND s.year = c.year AND s.month = c.month"
    if stored:
        items = ", ".join(["%s"] * len(stored))
        cursor.execute(
            f"DELETE FROM {table} WHERE year = %s AND item_id IN ({items}) AND NOT EXISTS ("  # noqa: S608
            f"SELECT 1 FROM {cells} c WHERE c.assignment_id = {table}.assignment_id "
            f"AND c.year = {table}.year AND c.month = {table}.month)",
            [year, *stored],
        )
        changed = " OR ".join(f"s.{column} IS DISTINCT FROM c.{column}" for column in CELL_COLUMNS)
        cursor.execute(
            f"UPDATE {table} AS s SET "  # noqa: S608
            + ", ".join(f"{column} = c.{column}" for column in CELL_COLUMNS)
            + f" FROM {cells} c WHERE {same_cell} AND ({changed})"
        )
    columns = ", ".join(_STORED)
    insert = (
        f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {cells} c"  # noqa: S608
        f" WHERE NOT EXISTS (SELECT 1 FROM {table} s WHERE {same_cell})"
    )
    if connection.vendor != "postgresql" or computed < BULK_ROWS:
        cursor.execute(insert)
        return
    cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
    (held,) = cursor.fetchone()
    if held >= computed:
        cursor.execute(insert)
        return
    cursor.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
        " WHERE indrelid = %s::regclass AND NOT indisunique AND NOT indisprimary",
        [AssignmentMonth._meta.db_table],
    )
    indexes = cursor.fetchall()
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %s::regclass AND contype = 'f'",
        [AssignmentMonth._meta.db_table],
    )
    keys = cursor.fetchall()
    # The rows updated above may have queued their deferred key checks, and a table with
    # pending trigger events cannot be altered: check them now (as the commit would).
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for name, _definition in keys:
        cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {name}")
    cursor.execute(insert)
    for _name, definition in indexes:
        cursor.execute(definition)
    for name, definition in keys:
        cursor.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}"
        )
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # as the keys are declared


@dataclass(frozen=True)
class Difference:
    key: tuple[Any, ...]  # a cell's, a party's month's or an item's month's
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
    orders: dict[tuple[str, int | None], int] = {
        **{("community", pk): order for pk, order in Community.objects.values_list("pk", "order")},
        **{("unit", pk): order for pk, order in Unit.objects.values_list("pk", "order")},
    }
    for party in _party_months_compute(checklist):
        party_key = (party.community_id, party.unit_id, party.year, party.month)
        party_row = stored_parties.pop(party_key, None)
        if party_row is None:
            differences.append(Difference(party_key, "row", None, "present"))
            continue
        party.party_order = orders.get(
            ("community", party.community_id) if party.community_id else ("unit", party.unit_id),
            0,
        )
        differences += [
            Difference(party_key, column, getattr(party_row, column), getattr(party, column))
            for column in (*PARTY_COLUMNS, "party_order")
            if getattr(party_row, column) != getattr(party, column)
        ]
    differences += [Difference(key, "row", "present", None) for key in stored_parties]
    return differences + _item_months_differences(checklist)


def _item_months_differences(checklist: Checklist) -> list[Difference]:
    """The ``ItemMonth`` rows against the checklist's cells counted afresh, in Python (the
    stored rows were added up in SQL)."""
    counted: dict[tuple[int, int, int, datetime.date], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(ITEM_COLUMNS, 0)
    )
    behind_counted = {str(state) for state in BEHIND_COUNTED_STATES}
    for cell in AssignmentMonth.objects.filter(
        year=checklist.year, item__checklist=checklist
    ).values_list(
        "item_id",
        "month",
        "deadline",
        "first_submitted_on",
        "state",
        "is_complete",
        "targets_behind",
        "targets_excepted",
    ):
        item_id, month, deadline, submitted_on, state, complete, behind, excepted = cell
        row = counted[item_id, checklist.year, month, deadline]
        row["expected"] += 1
        row["received"] += submitted_on is not None
        row["on_time"] += submitted_on is not None and submitted_on <= deadline
        row["late_filed"] += submitted_on is not None and submitted_on > deadline
        row["unfiled"] += submitted_on is None
        row["approved"] += state == AssignmentMonth.State.APPROVED
        row["returned"] += state == AssignmentMonth.State.RETURNED
        row["complete"] += bool(complete)
        row["behind"] += behind > 0 and state in behind_counted
        row["excepted"] += excepted > 0
    differences = []
    for stored in ItemMonth.objects.filter(year=checklist.year, item__checklist=checklist):
        key = (stored.item_id, stored.year, stored.month, stored.deadline)
        fresh = counted.pop(key, None)
        if fresh is None:
            differences.append(Difference(key, "item row", "present", None))
            continue
        differences += [
            Difference(key, column, getattr(stored, column), fresh[column])
            for column in ITEM_COLUMNS
            if getattr(stored, column) != fresh[column]
        ]
    differences += [Difference(key, "item row", None, "present") for key in counted]
    return differences


def on_progress_changed(
    sender: Any, *, assignment_id: int, year: int, month: int, **kwargs: Any
) -> None:
    if not is_deferred():
        cells_refresh([(assignment_id, year, month)])


def on_progress_changed_many(
    sender: Any, *, keys: list[tuple[int, int, int]], **kwargs: Any
) -> None:
    """Many months changed at once (``tasks.signals.progress_collected``): one refresh."""
    if not is_deferred():
        cells_refresh(keys)


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
