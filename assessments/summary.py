"""The stored scores (``CommunityScore``): each community's points in a scheme up to each
month, kept equal to ``scoring.score_sheets`` so that the ranking reads one page of rows
instead of computing every sheet.

- **Kept within each change.** The receivers (connected in ``AssessmentsConfig.ready``,
  after the dashboards' own, so they read the summary rows already brought up to date)
  compute the one community's sheet again, in the transaction of the change, for each
  month stored that the change moves: a report's month and the months after it (a
  report counts up to every later month), every month for the meetings of a duty, a
  manual score or an adjustment.
- **Computed again when it no longer holds.** A ``ScoreMonth`` says what a month's rows
  were computed with: the day (``scoring.as_of``: the month's last day once it ended,
  else today) and the criteria (``criteria_key``). A page that needs another day or finds
  other criteria computes the month's rows again (``scores_ready``) before it reads
  them; a change that moves every community (a target's rule, the holidays, a bulk load,
  assignments made) forgets the checklist's months (``scores_forget``).
- **The proof.** ``scores_differences`` compares the stored rows with a computation from
  scratch: the tests, ``manage.py scores --check`` and ``manage.py consistency`` run it.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from communities.models import Community
from dashboards.consistency import Disagreement
from tasks.models import Assignment, Checklist, ProgressReport, ReportTransition
from tasks.signals import is_deferred

from .models import CommunityScore, Criterion, ManualScore, Scheme, ScoreMonth
from .scoring import ScoreSheet, as_of, community_sheet, score_sheets

MONTHS = range(1, 13)


def criteria_key(criteria: Iterable[Criterion]) -> str:
    """What the scores depend on in the scheme's criteria, as a digest."""
    described = repr(
        sorted(
            (c.pk, str(c.points), c.rule, repr(c.bands), c.target_id, c.item_id, c.pillar_id)
            for c in criteria
        )
    )
    return hashlib.sha256(described.encode()).hexdigest()


def _row(scheme: Scheme, month: int, sheet: ScoreSheet) -> CommunityScore:
    return CommunityScore(
        scheme=scheme,
        month=month,
        community_id=sheet.community.pk,
        earned=sheet.earned,
        adjusted=sheet.adjusted,
        total=sheet.total,
    )


def _month_store(
    scheme: Scheme,
    month: int,
    day: datetime.date,
    key: str,
    criteria: list[Criterion] | None = None,
) -> list[ScoreSheet]:
    """Compute and store every community's score of ``scheme`` up to ``month`` as of
    ``day``; returns the sheets, ranked. Rows are written over (an upsert), then those of
    communities no longer scored deleted: a reader never finds the month without rows, and
    two computations at once both succeed. Four queries beyond the computation's."""
    sheets = score_sheets(scheme, month=month, today=day, criteria=criteria)
    CommunityScore.objects.bulk_create(
        (_row(scheme, month, sheet) for sheet in sheets),
        update_conflicts=True,
        unique_fields=["scheme", "month", "community"],
        update_fields=["earned", "adjusted", "total"],
    )
    CommunityScore.objects.filter(scheme=scheme, month=month).exclude(
        community_id__in=[sheet.community.pk for sheet in sheets]
    ).delete()
    ScoreMonth.objects.bulk_create(
        [ScoreMonth(scheme=scheme, month=month, as_of=day, criteria_key=key)],
        update_conflicts=True,
        unique_fields=["scheme", "month"],
        update_fields=["as_of", "criteria_key"],
    )
    return sheets


def scores_ready(
    scheme: Scheme,
    month: int,
    *,
    today: datetime.date | None = None,
    criteria: list[Criterion] | None = None,
) -> list[ScoreSheet] | None:
    """Make sure the month's stored scores hold: when they were computed as of another day
    or with other criteria (``criteria``: the scheme's, with their targets, items and
    pillars, when the caller has them), compute them again and return the sheets (ranked)
    that were stored; None when they held (one query)."""
    checklist = scheme.checklist
    day = as_of(checklist, month, today or timezone.localdate())
    if criteria is None:
        criteria = list(scheme.criteria.select_related("target__item__checklist", "item", "pillar"))
    key = criteria_key(criteria)
    state = ScoreMonth.objects.filter(scheme=scheme, month=month).first()
    if state is not None and state.as_of == day and state.criteria_key == key:
        return None
    return _month_store(scheme, month, day, key, criteria)


def scores_rebuild(*, scheme: Scheme, today: datetime.date | None = None) -> int:
    """Compute and store every month of the scheme (the months of a year still to come
    as of today); returns the rows written."""
    today = today or timezone.localdate()
    criteria = list(scheme.criteria.select_related("target__item__checklist", "item", "pillar"))
    key = criteria_key(criteria)
    written = 0
    for month in MONTHS:
        day = as_of(scheme.checklist, month, today)
        written += len(_month_store(scheme, month, day, key, criteria))
    return written


def scores_forget(checklist_ids: Iterable[int]) -> None:
    """Every community moved: the checklists' months are computed again when next read."""
    ScoreMonth.objects.filter(scheme__checklist_id__in=list(checklist_ids)).delete()


def scores_refresh(*, checklist_id: int, community_id: int, from_month: int = 1) -> None:
    """Compute the community's stored scores again in the months from ``from_month`` on,
    inside the caller's transaction."""
    scheme = Scheme.objects.select_related("checklist").filter(checklist_id=checklist_id).first()
    if scheme is None:
        return
    states = list(ScoreMonth.objects.filter(scheme=scheme, month__gte=from_month))
    if not states:
        return
    community = Community.objects.filter(pk=community_id).first()
    if community is None:
        return
    for state in states:
        sheet = community_sheet(scheme, community, month=state.month, today=state.as_of)
        rows = CommunityScore.objects.filter(scheme=scheme, month=state.month, community=community)
        if sheet is None:
            rows.delete()
            continue
        figures = {"earned": sheet.earned, "adjusted": sheet.adjusted, "total": sheet.total}
        if not rows.update(**figures):
            try:
                with transaction.atomic():
                    CommunityScore.objects.create(
                        scheme=scheme, month=state.month, community=community, **figures
                    )
            except IntegrityError:  # written meanwhile by a computation of the month
                rows.update(**figures)


@dataclass(frozen=True)
class ScoreDifference:
    month: int
    community: str
    stored: Decimal | None
    computed: Decimal | None

    def __str__(self) -> str:
        return f"{self.month}月 {self.community}:汇总 {self.stored},重新计算 {self.computed}"


def scores_differences(*, scheme: Scheme) -> list[ScoreDifference]:
    """The stored rows of each month computed that differ from a computation from scratch
    as of the same day (earned, adjustments and total; a row missing or too many)."""
    differences: list[ScoreDifference] = []
    for state in ScoreMonth.objects.filter(scheme=scheme).order_by("month"):
        stored = {
            row.community_id: row
            for row in CommunityScore.objects.filter(scheme=scheme, month=state.month)
        }
        computed = {
            sheet.community.pk: sheet
            for sheet in score_sheets(scheme, month=state.month, today=state.as_of)
        }
        names = dict(
            Community.objects.filter(pk__in=set(stored) | set(computed)).values_list("pk", "name")
        )
        for pk in sorted(set(stored) | set(computed)):
            row, sheet = stored.get(pk), computed.get(pk)
            figures = (row.earned, row.adjusted, row.total) if row else None
            wanted = (sheet.earned, sheet.adjusted, sheet.total) if sheet else None
            if figures != wanted:
                differences.append(
                    ScoreDifference(
                        state.month,
                        names.get(pk, str(pk)),
                        row.total if row else None,
                        sheet.total if sheet else None,
                    )
                )
    return differences


@dataclass
class RankedRow:
    community: Community
    rank: int
    earned: Decimal
    adjusted: Decimal
    total: Decimal


def ranked_page(
    scheme: Scheme, month: int, *, offset: int, limit: int
) -> tuple[list[RankedRow], int]:
    """A page of the stored ranking (best total first; equal totals share a rank and the
    next rank skips, as ``scoring.rank``; then the communities' order) and the number of
    communities ranked. Three queries whatever the number of communities."""
    rows = CommunityScore.objects.filter(scheme=scheme, month=month)
    count = rows.count()
    page = list(
        rows.select_related("community").order_by("-total", "community__order", "community__name")[
            offset : offset + limit
        ]
    )
    ranked: list[RankedRow] = []
    for position, row in enumerate(page, start=offset + 1):
        if ranked and ranked[-1].total == row.total:
            place = ranked[-1].rank
        elif position == offset + 1 and offset:
            place = rows.filter(total__gt=row.total).count() + 1
        else:
            place = position
        ranked.append(RankedRow(row.community, place, row.earned, row.adjusted, row.total))
    return ranked, count


def rank_of(scheme: Scheme, month: int, community: Community) -> tuple[int, int, int] | None:
    """``community``'s place in the stored ranking, where it stands in the order of
    ``ranked_page`` (0-based) and the number of communities ranked; None when it is not
    ranked. Two queries."""
    rows = CommunityScore.objects.filter(scheme=scheme, month=month)
    own = rows.filter(community=community).select_related("community").first()
    if own is None:
        return None
    order, name = own.community.order, own.community.name
    counted = rows.aggregate(
        ranked=Count("pk"),
        better=Count("pk", filter=Q(total__gt=own.total)),
        tied_before=Count(
            "pk",
            filter=Q(total=own.total)
            & (Q(community__order__lt=order) | Q(community__order=order, community__name__lt=name)),
        ),
    )
    better, tied_before = counted["better"], counted["tied_before"]
    return better + 1, better + tied_before, counted["ranked"]


# Receivers (``AssessmentsConfig.ready``).


def _community_of(assignment_id: int) -> tuple[int, int] | None:
    row = (
        Assignment.objects.filter(pk=assignment_id, community__isnull=False)
        .values_list("item__checklist_id", "community_id")
        .first()
    )
    return (row[0], row[1]) if row and row[1] is not None else None


def on_progress_changed(
    sender: Any, *, assignment_id: int, year: int, month: int, **kwargs: Any
) -> None:
    if is_deferred() or _never_approved(assignment_id, year, month):
        return
    found = _community_of(assignment_id)
    if found is not None:
        scores_refresh(checklist_id=found[0], community_id=found[1], from_month=month)


def on_progress_changed_many(
    sender: Any, *, keys: list[tuple[int, int, int]], **kwargs: Any
) -> None:
    """Many months changed at once (``tasks.signals.progress_collected``): each community
    whose scores they move is recomputed once, from its earliest month changed."""
    if is_deferred():
        return
    earliest: dict[tuple[int, int], int] = {}
    for assignment_id, year, month in keys:
        if _never_approved(assignment_id, year, month):
            continue
        found = _community_of(assignment_id)
        if found is not None:
            earliest[found] = min(month, earliest.get(found, month))
    for (checklist_id, community_id), month in earliest.items():
        scores_refresh(checklist_id=checklist_id, community_id=community_id, from_month=month)


def _never_approved(assignment_id: int, year: int, month: int) -> bool:
    """Whether the month's report is not approved and never was: the sheets read approved
    reports alone, so a draft saved or a report submitted or returned before any approval
    moves no score (most changes while filing). One or two queries."""
    report = (
        ProgressReport.objects.filter(assignment_id=assignment_id, year=year, month=month)
        .values_list("pk", "workflow_state")
        .first()
    )
    if report is None or report[1] == ProgressReport.WorkflowState.APPROVED:
        return False
    return not ReportTransition.objects.filter(
        report_id=report[0], to_state=ProgressReport.WorkflowState.APPROVED
    ).exists()


def on_meetings_changed(
    sender: Any, *, target_id: int, community_id: int | None, **kwargs: Any
) -> None:
    if is_deferred() or community_id is None:
        return
    checklist_id = (
        Checklist.objects.filter(items__targets__pk=target_id).values_list("pk", flat=True).first()
    )
    if checklist_id is not None:
        scores_refresh(checklist_id=checklist_id, community_id=community_id)


def on_community_scored(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A manual score or an adjustment was saved or deleted."""
    if isinstance(instance, ManualScore):
        schemes = Scheme.objects.filter(criteria__pk=instance.criterion_id)
    else:
        schemes = Scheme.objects.filter(pk=instance.scheme_id)
    for checklist_id in schemes.values_list("checklist_id", flat=True):
        scores_refresh(checklist_id=checklist_id, community_id=instance.community_id)


def on_checklist_moved(sender: Any, *, checklist_id: int, **kwargs: Any) -> None:
    """Assignments were made or reports loaded in bulk."""
    scores_forget([checklist_id])


def on_target_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A target's rule moves every community's points on it."""
    scores_forget([instance.item.checklist_id])


def on_everything_moved(sender: Any, **kwargs: Any) -> None:
    """A holiday, a checklist or a community changed (the months owed, the deadlines, the
    communities that owe meetings): every month is computed again when next read."""
    ScoreMonth.objects.all().delete()


def score_disagreements(checklist: Checklist, today: datetime.date) -> Iterator[Disagreement]:
    """``manage.py consistency``'s check of the stored scores (registered as ``scores``)."""
    for scheme in Scheme.objects.filter(checklist=checklist).select_related("checklist"):
        for difference in scores_differences(scheme=scheme):
            yield Disagreement(
                "考核得分",
                f"{difference.community} {checklist.year}年截至{difference.month}月",
                f"汇总表记 {difference.stored} 分,重新计算为 {difference.computed} 分",
            )
