"""Reads that several views share, returned already prefetched; and the filters of "the
user's own rows" that stay index lookups however large the street grows.

A user's reach is a handful of communities and units (``communities.access``). Asked as
``assignment IN (… the user's assignments …)`` or ``community IN (perms) OR unit IN
(perms)``, PostgreSQL tests every row of the table against a hashed subplan: a community's
home page read all 112,000 summary rows of a month at 3,000 communities to count its 38.
``AmongIds`` asks the same as ``column = ANY(ARRAY(…))``: the few ids are read first, once,
then looked up in the column's index (``fileable_q``, ``reviewed_q``, ``report_visible_q``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import User
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, Expression, F, Prefetch, Q, QuerySet, Subquery
from django.db.models.sql.compiler import SQLCompiler
from django.http import Http404

from communities import access
from communities.models import (
    CommunityGroupObjectPermission,
    CommunityUserObjectPermission,
    UnitGroupObjectPermission,
    UnitUserObjectPermission,
)
from core.typing import AnyUser

from .models import (
    Assignment,
    DeadlineExtension,
    Evidence,
    ItemLeadUnit,
    ProgressReport,
    ProgressReportQuerySet,
    ReportTransition,
)


class AmongIds(Expression):
    """``column`` is one of the ids the ``subqueries`` select. On PostgreSQL
    ``column = ANY(ARRAY(…) || ARRAY(…))``: each subquery is an InitPlan run once before the
    scan, and the array is looked up in an index led by ``column`` (a BitmapOr when two such
    are OR-ed). Elsewhere (SQLite) ``column IN (…) OR column IN (…)``, the same rows."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, column: str, *subqueries: QuerySet[Any]) -> None:
        super().__init__(output_field=BooleanField())
        self.column: Any = F(column)
        self.subqueries: list[Any] = [Subquery(query) for query in subqueries]

    def get_source_expressions(self) -> list[Any]:
        return [self.column, *self.subqueries]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        self.column, *self.subqueries = exprs

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, list[Any]]:
        column, column_params = compiler.compile(self.column)
        compiled = [compiler.compile(subquery) for subquery in self.subqueries]
        if not compiled:
            return "1 = 0", []
        if connection.vendor == "postgresql":
            arrays = " || ".join(f"ARRAY{sql}" for sql, _params in compiled)
            params = [param for _sql, params in compiled for param in params]
            return f"{column} = ANY({arrays})", [*column_params, *params]
        ors = " OR ".join(f"{column} IN {sql}" for sql, _params in compiled)
        return f"({ors})", [
            param for _sql, params in compiled for param in [*column_params, *params]
        ]


def _held(user: AnyUser, codename: str, *, units: bool) -> list[QuerySet[Any]]:
    """The ids of the communities (or units) on which ``user`` holds ``codename``, granted
    to the user or to a group of theirs: the two subqueries ``communities.access``'s
    ``community_q`` and ``unit_q`` filter on."""
    if not isinstance(user, User):
        return []
    by_user = UnitUserObjectPermission if units else CommunityUserObjectPermission
    by_group = UnitGroupObjectPermission if units else CommunityGroupObjectPermission
    return [
        by_user.objects.filter(user=user, permission__codename=codename).values(
            "content_object_id"
        ),
        by_group.objects.filter(group__user=user, permission__codename=codename).values(
            "content_object_id"
        ),
    ]


def fileable_q(user: AnyUser, *, community: str = "community", unit: str = "unit") -> Q:
    """``Assignment.objects.fileable_by(user)`` as a filter on the party columns of any
    table that has them (an assignment's, a summary row's, through a join): rows of a
    community or unit on which the user holds ``file_reports``."""
    return Q(AmongIds(community, *_held(user, access.FILE_REPORTS, units=False))) | Q(
        AmongIds(unit, *_held(user, access.FILE_REPORTS, units=True))
    )


def led_items(user: AnyUser) -> QuerySet[ItemLeadUnit, Any]:
    """The ids of the items led by a unit the user reviews for
    (``Item.objects.reviewable_by``), a subquery on the small lead-unit table."""
    if not user.is_authenticated:
        return ItemLeadUnit.objects.none().values("item_id")
    return (
        ItemLeadUnit.objects.filter(access.unit_q(user, access.REVIEW_REPORTS, "unit"))
        .order_by()
        .values("item_id")
    )


def reviewed_q(user: AnyUser, *, item: str = "item") -> Q:
    """``Assignment.objects.reviewable_by(user)`` as a filter on an item column: rows of
    the items the user's unit leads."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    return Q(AmongIds(item, led_items(user)))


def report_visible_q(user: AnyUser) -> Q:
    """``ProgressReport.objects.visible_to(user)`` tested on each report's own assignment
    (joined by its key) instead of against every assignment of the street: for the few
    reports a page fetches by key. Everything for whoever sees every report; a party's own
    reports; the non-draft reports on items the user's unit leads."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    if access.sees_everything(user):
        return Q()
    own = fileable_q(user, community="assignment__community", unit="assignment__unit")
    reviewed = reviewed_q(user, item="assignment__item") & ~Q(
        workflow_state=ProgressReport.WorkflowState.DRAFT
    )
    return own | reviewed


# Everything a report page shows, fetched with the report.
REPORT_PREFETCH = (
    "assignment__item__targets",
    "assignment__item__evidence_requirements",
    Prefetch(
        "assignment__item__lead_unit_links",
        queryset=ItemLeadUnit.objects.select_related("unit").order_by("order"),
    ),
    Prefetch(
        "assignment__extensions", queryset=DeadlineExtension.objects.order_by("-requested_at")
    ),
    "values",
    Prefetch("evidence", queryset=Evidence.objects.select_related("uploaded_by")),
    Prefetch("transitions", queryset=ReportTransition.objects.select_related("by")),
)


def reports_with_details(user: AnyUser) -> ProgressReportQuerySet:
    """The reports ``user`` may open, with all a report page or list needs: for a page
    that fetches a few by key (each tested on its own assignment, ``report_visible_q``)."""
    return (
        ProgressReport.objects.filter(report_visible_q(user))
        .select_related(
            "assignment__item__checklist",
            "assignment__item__pillar",
            "assignment__community",
            "assignment__unit",
            "submitted_by",
            "reviewed_by",
            "exception_decided_by",
        )
        .prefetch_related(*REPORT_PREFETCH)
    )


def report_for_user(user: AnyUser, pk: int) -> ProgressReport:
    """The report if ``user`` may see it; 404 otherwise, so that nobody learns whether
    another community's report exists."""
    report = reports_with_details(user).filter(pk=pk).first()
    if report is None:
        raise Http404("没有找到这份月报,或您无权查看。")
    return report


def workspace_assignments(user: AnyUser, *, year: int) -> list[Assignment]:
    """The assignments ``user`` files for in the ``year`` checklist, with what the filing
    form needs."""
    return list(
        Assignment.objects.filter(fileable_q(user), item__checklist__year=year)
        .select_related("item__checklist", "item__pillar", "community", "unit")
        .prefetch_related(
            "item__targets",
            "item__evidence_requirements",
            # The compound register's counts that prefill denominators (one query).
            "community__compounds",
            Prefetch("extensions", queryset=DeadlineExtension.objects.order_by("-requested_at")),
        )
        .order_by("community__order", "unit__order", "item__number", "is_street_level")
    )
