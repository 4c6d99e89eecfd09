"""Review side: the lead unit's queue, a report's page, approve / return / reopen,
extension decisions, and an item's status across its parties for a month.

Each action loads what it acts on through the user's visibility first (404 for what they
may not see), checks the user's role on it (403), validates its form, then calls the
service, which checks again and applies the step once in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from django import forms
from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Case, Exists, IntegerField, OuterRef, Prefetch, Q, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from communities import access
from communities.models import Community
from core.dates import month_label
from core.http import local_url, logged_in_user
from core.periods import LARGEST_PK, parse_int, query_page
from core.typing import AnyUser

from . import registers, services
from .history import report_history
from .models import (
    Assignment,
    AssignmentQuerySet,
    Checklist,
    DeadlineExtension,
    Evaluation,
    Evidence,
    Item,
    ItemQuerySet,
    ProgressReport,
    evaluate_assignment_month,
    prefetch_register_figures,
)
from .periods import opening_month, period_picker
from .review_forms import (
    QUEUE_STATES,
    ApproveForm,
    BulkApproveForm,
    ExtensionDecisionForm,
    ItemMonthForm,
    ReopenForm,
    ReturnForm,
    ReviewFilterForm,
)
from .selectors import REPORT_PREFETCH, report_for_user, report_visible_q, reports_with_details

QUEUE_PAGE_SIZE = 50
# Pending extension requests are few (one per assignment and month at most, decided within
# days); the queue shows the oldest ones and says when there are more.
EXTENSIONS_SHOWN = 50


def _reviews(user: AnyUser, assignment_id: int) -> bool:
    """Whether the user's unit leads the assignment's item (one query)."""
    return Assignment.objects.reviewable_by(user).filter(pk=assignment_id).exists()


def _files(user: AnyUser, assignment_id: int) -> bool:
    return Assignment.objects.fileable_by(user).filter(pk=assignment_id).exists()


def _require_reviewer(user: AnyUser, report: ProgressReport) -> None:
    if not _reviews(user, report.assignment_id):
        raise PermissionDenied(_("只有该任务的牵头单位可以审核。"))


def _add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Attach a service's ValidationError to the form: to the field it names when the form
    has that field, to the whole form otherwise."""
    if hasattr(error, "error_dict") and set(error.error_dict) <= set(form.fields):
        form.add_error(None, error)
    else:
        form.add_error(None, error.messages)


# ---------------------------------------------------------------------------------------
# The queue


@dataclass(frozen=True)
class QueueRow:
    report: ProgressReport
    evaluations: list[Evaluation]
    late: bool
    approvable: bool = False  # offered a checkbox for 批量通过 (``_bulk_approvable``)


# The queue counts its reports up to this many; beyond, it says "more than" (an exact
# count of a city's 60,000 waiting reports would read them all, on every page).
QUEUE_COUNT_LIMIT = 250

# The queue in its order: newest month first, then the item's number, then its
# communities before its units, each by its order (communities of equal order by their
# number, a unit's two assignments by their reports'); "下一份" follows it from a report's
# ``_position``. The order's keys live on four tables, so no index holds it, and sorting
# the queue means reading all of it. But each (year, month, item) is a group of its own,
# 12 a year per item whatever the number of communities: the groups are listed in order
# (``items``: the ids of the items the queue covers), and for each a LATERAL walks the
# communities by ``community_order_idx`` (an index lookup of the assignment and of the
# report each; ``OFFSET 0`` keeps PostgreSQL from turning the walk into a join of all the
# item's assignments), then the units, and stops at ``depth`` rows: a page reads its
# groups' first rows and stops. ``current``: the group of the position read after
# (下一份), whose rows up to it are skipped; the groups before it are left out.
QUEUE_SQL = """
SELECT q.id
FROM (
    SELECT i.id AS item_id, i.number, k.year, m.month,
           (k.year, m.month, i.number) = (%(year)s, %(month)s, %(number)s) AS current
    FROM tasks_item i
    JOIN tasks_checklist k ON k.id = i.checklist_id
    CROSS JOIN generate_series(1, 12) AS m(month)
    WHERE i.id = ANY(%(items)s) {groups}
      -- from the group of the position read after (none: year 0), on
      AND (%(year)s = 0 OR (k.year, m.month) < (%(year)s, %(month)s)
           OR ((k.year, m.month) = (%(year)s, %(month)s) AND i.number >= %(number)s))
    ORDER BY k.year DESC, m.month DESC, i.number
) g
CROSS JOIN LATERAL (
    (SELECT 0 AS kind, c."order" AS party_order, c.id AS party_id, found.id
     FROM communities_community c
     CROSS JOIN LATERAL (
         SELECT r.id
         FROM tasks_assignment a
         JOIN tasks_progressreport r ON r.assignment_id = a.id
         WHERE a.community_id = c.id AND a.item_id = g.item_id
           AND r.year = g.year AND r.month = g.month
           AND r.workflow_state = ANY(%(states)s)
         OFFSET 0
     ) found
     WHERE c."order" >= CASE WHEN g.current THEN %(order)s ELSE 0 END
       AND (NOT g.current OR (c."order", c.id) > (%(order)s, %(party)s)) {communities}
     ORDER BY c."order", c.id
     LIMIT %(depth)s)
    UNION ALL
    (SELECT 1 AS kind, u."order" AS party_order, r.id AS party_id, r.id
     FROM communities_unit u
     JOIN tasks_assignment a ON a.unit_id = u.id
     JOIN tasks_progressreport r ON r.assignment_id = a.id
     WHERE a.item_id = g.item_id AND r.year = g.year AND r.month = g.month
       AND r.workflow_state = ANY(%(states)s) {units}
       AND (NOT g.current OR (u."order", r.id) > (%(unit_order)s, %(unit_pk)s))
     ORDER BY u."order", r.id
     LIMIT %(depth)s)
) q
ORDER BY g.year DESC, g.month DESC, g.number, q.kind, q.party_order, q.party_id
LIMIT %(limit)s OFFSET %(offset)s
"""

# How many reports the queue holds, up to ``QUEUE_COUNT_LIMIT`` + 1: the reports in the
# states asked, newest month first from ``report_state_period_idx`` or the (year, month,
# state) index, each with its assignment (its item, its party). The order makes
# PostgreSQL read an index and stop, where it would scan the table for a LIMIT. Not
# restricted to the checklist's year: a report's year is its checklist's
# (``services._check_month``), as the groups of ``QUEUE_SQL`` assume.
QUEUE_COUNT_SQL = """
SELECT count(*) FROM (
    SELECT 1
    FROM tasks_progressreport r
    JOIN tasks_assignment a ON a.id = r.assignment_id
    WHERE {states} AND a.item_id = ANY(%(items)s) {filters}
    ORDER BY r.year DESC, r.month DESC
    LIMIT %(count_limit)s
) counted
"""

# No report before this position: the first page.
_START = {"year": 0, "month": 0, "number": 0, "kind": 0, "order": -1, "party": 0}


class QueueReports:
    """The queue's reports, for a ``Paginator``: ``count()`` up to ``QUEUE_COUNT_LIMIT`` +
    1, and a slice read in the queue's order by ``QUEUE_SQL`` (ids, then the reports with
    all a row needs, in the same queries whatever the slice)."""

    def __init__(self, *, lookups: dict[str, Any], items: ItemQuerySet, led: ItemQuerySet) -> None:
        self.led = led
        self.params: dict[str, Any] = {
            "states": [lookups["workflow_state"]]
            if "workflow_state" in lookups
            else [str(state.value) for state in QUEUE_STATES],
            "count_limit": QUEUE_COUNT_LIMIT + 1,
            # The items covered (40 a year, whatever the number of communities): one query.
            "items": list(items.order_by().values_list("pk", flat=True).distinct()),
        }
        groups, filters, communities, units = [], [], [], []
        if "assignment__item" in lookups:
            self.params["item"] = lookups["assignment__item"].pk
            groups.append("AND i.id = %(item)s")
            filters.append("AND a.item_id = %(item)s")
        for key in ("year", "month"):
            if key in lookups:
                self.params[f"only_{key}"] = lookups[key]
                groups.append(f"AND {'k.year' if key == 'year' else 'm.month'} = %(only_{key})s")
                filters.append(f"AND r.{key} = %(only_{key})s")
        if "assignment__community_id" in lookups:
            self.params["community"] = lookups["assignment__community_id"]
            communities.append("AND c.id = %(community)s")
            units.append("AND false")
            filters.append("AND a.community_id = %(community)s")
        if "assignment__unit_id" in lookups:
            self.params["unit"] = lookups["assignment__unit_id"]
            communities.append("AND false")
            units.append("AND u.id = %(unit)s")
            filters.append("AND a.unit_id = %(unit)s")
        self.sql = QUEUE_SQL.format(
            groups=" ".join(groups),
            communities=" ".join(communities),
            units=" ".join(units),
        )
        # One state as an equality: PostgreSQL then reads report_state_period_idx in order.
        self.count_sql = QUEUE_COUNT_SQL.format(
            states="r.workflow_state = %(state)s"
            if len(self.params["states"]) == 1
            else "r.workflow_state = ANY(%(states)s)",
            filters=" ".join(filters),
        )
        self.params["state"] = self.params["states"][0]
        self.lookups = lookups

    @property
    def _portable(self) -> bool:
        """Not PostgreSQL (SQLite, the portal's embedded default): the same queue in the
        same order through the ORM, which sorts what it reads (a street's few thousand
        reports; the walk above is for a city's million on PostgreSQL)."""
        return connection.vendor != "postgresql"

    def _ordered(self) -> Any:
        reports = ProgressReport.objects.filter(
            workflow_state__in=self.params["states"],
            assignment__item_id__in=self.params["items"],
            **self.lookups,
        )
        return reports.annotate(
            queue_kind=Case(
                When(assignment__community__isnull=False, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            queue_order=Coalesce("assignment__community__order", "assignment__unit__order"),
            queue_party=Coalesce("assignment__community_id", "pk"),
        ).order_by(*(f"-{key}" if descending else key for key, descending in _QUEUE_KEYS))

    def count(self) -> int:
        if self._portable:
            return int(self._ordered()[: QUEUE_COUNT_LIMIT + 1].count())
        with connection.cursor() as cursor:
            cursor.execute(self.count_sql, self.params)
            (counted,) = cursor.fetchone()
        return int(counted)

    def __len__(self) -> int:
        return self.count()

    def ids(self, *, offset: int, limit: int, after: dict[str, int] | None = None) -> list[int]:
        """The ids of ``limit`` reports from ``offset``, after the position ``after``
        (``_START`` and ``_position``'s keys) when given."""
        position = after or _START
        if self._portable:
            ordered = self._ordered()
            if after is not None:
                # Lexicographic "after": equal on the first keys, beyond on the next one.
                beyond = Q(pk__in=[])
                for index, (key, descending) in enumerate(_QUEUE_KEYS):
                    equal = {name: after[field] for name, field in _QUEUE_KEYS_FIELDS[:index]}
                    value = after[_QUEUE_KEYS_FIELDS[index][1]]
                    beyond |= Q(**equal, **{f"{key}__{'lt' if descending else 'gt'}": value})
                ordered = ordered.filter(beyond)
            return list(ordered.values_list("pk", flat=True)[offset : offset + limit])
        kind = position["kind"]
        params = {
            **self.params,
            "year": position["year"],
            "month": position["month"],
            "number": position["number"],
            # A position among the units skips the group's communities, and the other way.
            "order": position["order"] if kind == 0 else LARGEST_PARTY_ORDER,
            "party": position["party"] if kind == 0 else LARGEST_PK,
            "unit_order": position["order"] if kind == 1 else -1,
            "unit_pk": position["party"] if kind == 1 else 0,
            "depth": offset + limit,
            "limit": limit,
            "offset": offset,
        }
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            return [pk for (pk,) in cursor.fetchall()]

    def __getitem__(self, index: slice) -> list[ProgressReport]:
        if not isinstance(index, slice):
            raise TypeError("the queue is read a page at a time")
        offset = index.start or 0
        ids = self.ids(offset=offset, limit=index.stop - offset)
        # The ids are of reports the user may open (non-drafts on the items covered), so
        # the reports are fetched by their keys, with no visibility subquery to plan; their
        # assignments by theirs, in a query of their own: joined, PostgreSQL may hash a
        # district's assignments to find fifty.
        assignments = Assignment.objects.select_related(
            "item__checklist", "item__pillar", "community", "unit"
        ).annotate(led=Exists(self.led.filter(pk=OuterRef("item_id"))))
        found = (
            ProgressReport.objects.filter(pk__in=ids)
            .order_by()
            .select_related("submitted_by", "reviewed_by", "exception_decided_by")
            .prefetch_related(Prefetch("assignment", queryset=assignments), *REPORT_PREFETCH)
        )
        by_pk = {report.pk: report for report in found}
        for report in by_pk.values():
            report.may_review = report.assignment.led  # type: ignore[attr-defined]  # annotate()
        return [by_pk[pk] for pk in ids if pk in by_pk]


# ``QUEUE_SQL``'s order as ORM lookups (descending or not) for the portable path, and the
# ``_position`` key each compares with.
_QUEUE_KEYS = (
    ("year", True),
    ("month", True),
    ("assignment__item__number", False),
    ("queue_kind", False),
    ("queue_order", False),
    ("queue_party", False),
)
_QUEUE_KEYS_FIELDS = tuple(
    (key, field)
    for (key, _descending), field in zip(
        _QUEUE_KEYS, ("year", "month", "number", "kind", "order", "party"), strict=True
    )
)


# Above any community's order (a PositiveSmallIntegerField): "after the last community".
LARGEST_PARTY_ORDER = 32767


def _position(report: ProgressReport) -> dict[str, int]:
    """Where ``report`` stands in the queue's order (``QUEUE_SQL``)."""
    return {
        "year": report.year,
        "month": report.month,
        "number": report.assignment.item.number,
        "kind": 0 if report.assignment.community_id else 1,
        "order": report.assignment.party.order,
        # Communities of equal order follow their numbers, a unit's reports theirs.
        "party": report.assignment.community_id or report.pk,
    }


@dataclass(frozen=True)
class Queue:
    """The queue a user sees with the filters of a query string: its form and its reports
    (filtered, in the queue's order, with ``may_review``)."""

    form: ReviewFilterForm
    reports: QueueReports
    reviewed: AssignmentQuerySet
    led: ItemQuerySet  # the items the user's unit leads
    everything: bool
    reviews_any: bool


def _queue(user: AnyUser, data: QueryDict) -> Queue:
    """The user's queue filtered by ``data`` (the queue's query string); 403 for a user
    who has none."""
    reviewed = Assignment.objects.reviewable_by(user)
    everything = access.sees_everything(user)
    reviews_any = reviewed.exists()
    if not (everything or reviews_any):
        raise PermissionDenied(_("您所在的单位没有牵头的任务,没有需要审核的月报。"))

    covered = Assignment.objects.all() if everything else reviewed
    filtering = bool(set(data) & set(ReviewFilterForm.base_fields))
    form = ReviewFilterForm(
        data if filtering else ReviewFilterForm.DEFAULT,
        assignments=covered,
        offer_mine=everything and reviews_any,
    )
    lookups = form.filter_values()
    # Drafts never; the reports on the items the user's unit leads, unless the user sees
    # everything and did not ask for their own.
    led = Item.objects.reviewable_by(user)
    items = Item.objects.all() if everything and not form.cleaned_data.get("mine") else led
    reports = QueueReports(lookups=lookups, items=items, led=led)
    return Queue(form, reports, reviewed, led, everything, reviews_any)


def _leads(led: ItemQuerySet) -> Exists:
    """Whether the user's unit leads a row's item (``may_review``, ``may_decide``): asked
    of the few items led, never of the assignments they cover."""
    return Exists(led.filter(pk=OuterRef("assignment__item_id")))


def _queue_address(data: QueryDict) -> str:
    """The queue with these filters, on its first page: where a decision leads back to
    (the page a report was on may be gone once it is decided)."""
    kept = data.copy()
    kept.pop("page", None)
    query = kept.urlencode()
    return reverse("review_queue") + (f"?{query}" if query else "")


def _next_in_queue(user: AnyUser, back: str, report: ProgressReport) -> int | None:
    """The report after ``report`` in the queue ``back`` addresses (its filters), or None
    when ``back`` is not the queue or nothing follows. ``report`` itself need not be in
    the queue any more (approved, it left the 待审核 filter)."""
    address = urlsplit(back)
    if address.path != reverse("review_queue"):
        return None
    try:
        queue = _queue(user, QueryDict(address.query))
    except PermissionDenied:
        return None
    following = queue.reports.ids(offset=0, limit=1, after=_position(report))
    return following[0] if following else None


class QueuePaginator(Paginator):
    """Counts up to ``QUEUE_COUNT_LIMIT`` reports and knows when there are more: the pages
    beyond are not offered (the filters narrow the queue)."""

    @cached_property
    def counted(self) -> int:
        return int(self.object_list.count())  # type: ignore[attr-defined]  # QueueReports

    @cached_property
    def count(self) -> int:
        return min(self.counted, QUEUE_COUNT_LIMIT)

    @property
    def more_than_counted(self) -> bool:
        return self.counted > QUEUE_COUNT_LIMIT


@require_safe
def review_queue(request: HttpRequest) -> HttpResponse:
    """待审核: the reports on items the user's unit leads (drafts never), filtered, with
    the pending extension requests. Users who see everything read every party's reports
    here; they act only where their own unit leads the item."""
    queue = _queue(request.user, request.GET)
    paginator = QueuePaginator(queue.reports, QUEUE_PAGE_SIZE)  # type: ignore[arg-type]
    page = query_page(request, paginator)
    today = timezone.localdate()
    on_page = list(page)
    prefetch_register_figures(on_page)  # the meeting register's figures, for all at once
    rows = [
        QueueRow(report, report.evaluate(), report.is_late(today), _bulk_approvable(report))
        for report in on_page
    ]
    back = _queue_address(request.GET)

    pending = (
        DeadlineExtension.objects.pending()
        .select_related(
            "assignment__item__checklist",
            "assignment__community",
            "assignment__unit",
            "requested_by",
        )
        .prefetch_related("assignment__extensions")
        .annotate(may_decide=_leads(queue.led))
        .order_by("requested_at", "pk")
    )
    if not queue.everything:
        pending = pending.filter(assignment__item__in=queue.led)
    extensions = list(pending[: EXTENSIONS_SHOWN + 1])

    return render(
        request,
        "tasks/review_queue.html",
        {
            "form": queue.form,
            "page": page,
            "rows": rows,
            "extensions": [
                (extension, extension.assignment.filing_deadline(extension.year, extension.month))
                for extension in extensions[:EXTENSIONS_SHOWN]
            ],
            "more_extensions": len(extensions) > EXTENSIONS_SHOWN,
            "reviews_any": queue.reviews_any,
            # Where a report opened from here, and its decisions, lead back to.
            "back": back,
            "bulk_possible": any(row.approvable for row in rows),
        },
    )


# ---------------------------------------------------------------------------------------
# A report and the decisions on it


@dataclass(frozen=True)
class TargetRow:
    """A target on the report page: this month's verdict and figure, last month's beside."""

    evaluation: Evaluation
    last_month: Evaluation | None


# How the report page shows an evidence file inline: images a browser draws as thumbnails
# (HEIC, which most browsers do not draw, is a link), PDFs as links that open in the
# browser, anything else as a download.
THUMBNAIL_TYPES = ("image/jpeg", "image/png")


def _evidence_shown(report: ProgressReport) -> list[tuple[Evidence, str]]:
    return [
        (
            evidence,
            "image"
            if evidence.content_type in THUMBNAIL_TYPES
            else "pdf"
            if evidence.content_type == "application/pdf"
            else "file",
        )
        for evidence in report.evidence.all()
    ]


def _last_month(user: AnyUser, report: ProgressReport) -> list[Evaluation] | None:
    """Last month's verdicts of the same assignment in the same checklist year, judged as
    the page judges this month's (a report the user may not open counts as not filed);
    None in January (another year's checklist has other targets) and when last month is
    not owed (before the checklist took effect)."""
    month = report.month - 1
    if month < 1 or not report.assignment.item.checklist.owes_month(report.year, month):
        return None
    previous = (
        ProgressReport.objects.filter(
            report_visible_q(user),
            assignment_id=report.assignment_id,
            year=report.year,
            month=month,
        )
        .prefetch_related("values")
        .first()
    )
    if previous is not None:
        previous.assignment = report.assignment  # its targets, prefetched
    return evaluate_assignment_month(report.assignment, previous, year=report.year, month=month)


def _back(request: HttpRequest, data: QueryDict) -> str:
    """``next``: where the page came from (the queue with its filters), if it is an
    address on this portal."""
    return local_url(request, data.get("next", ""))


def _with_back(address: str, back: str) -> str:
    return f"{address}?{urlencode({'next': back})}" if back else address


def _report_page(
    request: HttpRequest,
    report: ProgressReport,
    *,
    bound: forms.Form | None = None,
    status: int = 200,
    back: str = "",
) -> HttpResponse:
    """The report page; ``bound`` is a rejected action form shown again with its errors
    and what was typed; ``back`` the queue (with its filters) the page was opened from,
    carried through its forms, and the report after this one in that queue."""
    user = request.user
    state = ProgressReport.WorkflowState
    # An archived year's report is only read: no action is offered (the services refuse).
    open_year = not report.assignment.item.checklist.is_archived
    may_review = (
        open_year
        and report.workflow_state == state.SUBMITTED
        and _reviews(user, report.assignment_id)
    )
    may_reopen = (
        open_year and report.workflow_state == state.APPROVED and access.may_reopen_reports(user)
    )
    may_edit = open_year and report.is_editable_by_party() and _files(user, report.assignment_id)

    def form(form_class: type[forms.Form], prefix: str) -> forms.Form:
        if isinstance(bound, form_class):
            return bound
        if form_class is ApproveForm:
            return ApproveForm(auto_id=f"{prefix}_%s", report=report)
        return form_class(auto_id=f"{prefix}_%s")

    evaluations = report.evaluate()
    last_month = _last_month(user, report)
    next_report = _next_in_queue(user, back, report) if back else None

    return render(
        request,
        "tasks/report_detail.html",
        {
            "report": report,
            "item": report.assignment.item,
            "evaluations": evaluations,
            "target_rows": [
                TargetRow(evaluation, last_month[index] if last_month else None)
                for index, evaluation in enumerate(evaluations)
            ],
            "last_month": report.month - 1 if last_month is not None else None,
            "judged_status": report.judged_status(evaluations),
            "late": report.is_late(timezone.localdate()),
            "extensions": [
                extension
                for extension in report.assignment.extensions.all()
                if (extension.year, extension.month) == (report.year, report.month)
            ],
            "evidence_shown": _evidence_shown(report),
            # The 修改记录: the latest changes, a constant number of queries (tasks/history.py).
            "history": report_history(report),
            "missing_evidence": report.missing_evidence_kinds(),
            "approve_form": form(ApproveForm, "approve") if may_review else None,
            "return_form": form(ReturnForm, "return") if may_review else None,
            "reopen_form": form(ReopenForm, "reopen") if may_reopen else None,
            "may_edit": may_edit,
            "back": back,
            "next_address": (
                _with_back(reverse("report_detail", args=[next_report]), back)
                if next_report
                else ""
            ),
        },
        status=status,
    )


@require_safe
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for_user(request.user, pk)
    return _report_page(request, report, back=_back(request, request.GET))


def _decide(
    request: HttpRequest,
    report: ProgressReport,
    form: forms.Form,
    action: Any,
    **arguments: Any,
) -> HttpResponse | None:
    """Run a review service with the form's data. Returns the response for a refusal, or
    None when the step was applied."""
    back = _back(request, request.POST)
    if not form.is_valid():
        return _report_page(request, report, bound=form, status=400, back=back)
    try:
        action(report=report, by=request.user, **arguments, **form.cleaned_data)
    except services.ConcurrentEditError as error:
        # Someone (or a double click) moved the report on: nothing was applied twice.
        messages.error(request, str(error))
        return redirect(_with_back(reverse("report_detail", args=[report.pk]), back))
    except ValidationError as error:
        _add_service_errors(form, error)
        return _report_page(request, report, bound=form, status=400, back=back)
    return None


def _after_decision(request: HttpRequest, report: ProgressReport, default: str) -> HttpResponse:
    """Where a decision leads: the next report of the queue it was opened from (with the
    same filters), the queue itself when none follows, ``default`` when the page was not
    opened from somewhere on the portal."""
    back = _back(request, request.POST)
    if not back:
        return redirect(default)
    following = _next_in_queue(request.user, back, report)
    if following is not None:
        return redirect(_with_back(reverse("report_detail", args=[following]), back))
    if urlsplit(back).path == reverse("review_queue"):
        messages.info(request, _("这是筛选结果中的最后一份月报。"))
    return redirect(back)


@require_POST
def report_approve(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for_user(request.user, pk)
    _require_reviewer(request.user, report)
    form = ApproveForm(request.POST, auto_id="approve_%s", report=report)
    refusal = _decide(request, report, form, services.progress_report_approve)
    if refusal is not None:
        return refusal
    messages.success(request, _("已审核通过:%(report)s。") % {"report": report})
    return _after_decision(request, report, reverse("review_queue"))


@require_POST
def report_return(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for_user(request.user, pk)
    _require_reviewer(request.user, report)
    form = ReturnForm(request.POST, auto_id="return_%s")
    refusal = _decide(request, report, form, services.progress_report_return)
    if refusal is not None:
        return refusal
    messages.success(request, _("已退回:%(report)s,等待%(party)s修改后重新提交。") % _names(report))
    return _after_decision(request, report, reverse("review_queue"))


@require_POST
def report_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for_user(request.user, pk)
    if not access.may_reopen_reports(request.user):
        raise PermissionDenied(_("只有街道管理员可以重新打开已审核的月报。"))
    form = ReopenForm(request.POST, auto_id="reopen_%s")
    refusal = _decide(request, report, form, services.progress_report_reopen)
    if refusal is not None:
        return refusal
    messages.success(request, _("已重新打开:%(report)s,已退回%(party)s修改。") % _names(report))
    return _after_decision(request, report, reverse("report_detail", args=[report.pk]))


# ---------------------------------------------------------------------------------------
# Several reports approved at once


def _bulk_approvable(report: ProgressReport) -> bool:
    """Offered a checkbox in the queue: submitted, on an item the user's unit leads
    (``may_review``, annotated by the queue), in a year still open."""
    return (
        report.workflow_state == ProgressReport.WorkflowState.SUBMITTED
        and bool(getattr(report, "may_review", False))
        and not report.assignment.item.checklist.is_archived
    )


def _bulk_reports(request: HttpRequest, data: QueryDict) -> list[ProgressReport]:
    """The reports ``data`` names (``reports=``, repeated), in the queue's order. 403 for
    a user who reviews nothing or for a report they may see but not review (its item is
    not led by their unit); 404 for a report they may not see or a number that is not
    one. Nothing is approved unless every report named may be."""
    user = request.user
    reviewed = Assignment.objects.reviewable_by(user)
    if not reviewed.exists():
        raise PermissionDenied(_("您所在的单位没有牵头的任务,不能审核月报。"))
    try:
        pks = {parse_int(text, minimum=1, maximum=LARGEST_PK) for text in data.getlist("reports")}
    except ValueError:
        raise Http404(
            _("链接中的“%(name)s”不对,请从页面上的链接重新打开。") % {"name": "reports"}
        ) from None
    pks.discard(None)
    if len(pks) > QUEUE_PAGE_SIZE:
        raise BadRequest(_("一次最多批量通过 %(count)d 份月报。") % {"count": QUEUE_PAGE_SIZE})
    found = list(
        reports_with_details(user)
        .filter(pk__in=pks)
        .annotate(may_review=Exists(reviewed.filter(pk=OuterRef("assignment_id"))))
        .order_by(
            "-year", "-month", "assignment__item__number", "assignment__community__order", "pk"
        )
    )
    if len(found) != len(pks):
        raise Http404(_("没有找到所选的某份月报,或您无权查看。"))
    refused = [report for report in found if not report.may_review]  # type: ignore[attr-defined]  # annotate()
    if refused:
        raise PermissionDenied(
            _("只有该任务的牵头单位可以审核,以下月报不能由您通过:%(reports)s。")
            % {"reports": "、".join(str(report) for report in refused)}
        )
    return found


def _bulk_problem(report: ProgressReport) -> str:
    """Why a chosen report cannot be approved with the others ("" when it can)."""
    if report.assignment.item.checklist.is_archived:
        return _("该年度清单已归档。")
    if report.workflow_state != ProgressReport.WorkflowState.SUBMITTED:
        return _("当前状态为“%(state)s”,不是待审核。") % {
            "state": report.get_workflow_state_display()
        }
    if report.exception_state == ProgressReport.ExceptionState.PENDING:
        return _("该单位申请按申报状态认定,请打开月报逐份决定。")
    return ""


@require_http_methods(["GET", "HEAD", "POST"])
def reports_bulk_approve(request: HttpRequest) -> HttpResponse:
    """批量通过: the queue's ticked reports listed with their verdicts for confirmation
    (GET), then each approved through ``progress_report_approve`` in a transaction of its
    own (POST): one that fails is named with the reason, the others are approved."""
    data = request.POST if request.method == "POST" else request.GET
    back = _back(request, data) or reverse("review_queue")
    reports = _bulk_reports(request, data)
    if not reports:
        messages.error(request, _("请先勾选要批量通过的月报。"))
        return redirect(back)
    form = BulkApproveForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        approved, failed = [], []
        user = logged_in_user(request)
        for report in reports:
            try:
                services.progress_report_approve(
                    report=report, by=user, comment=form.cleaned_data["comment"]
                )
            except services.ConcurrentEditError as error:
                failed.append(f"{report}({error})")
            except ValidationError as error:
                failed.append(f"{report}({_bulk_problem(report) or ' '.join(error.messages)})")
            else:
                approved.append(str(report))
        if approved:
            messages.success(
                request,
                _("已审核通过 %(count)d 份月报:%(reports)s。")
                % {"count": len(approved), "reports": "、".join(approved)},
            )
        if failed:
            messages.error(
                request,
                _("以下 %(count)d 份月报未通过:%(reports)s")
                % {"count": len(failed), "reports": ";".join(failed)},
            )
        return redirect(back)

    today = timezone.localdate()
    prefetch_register_figures(reports)
    rows = [
        (QueueRow(report, report.evaluate(), report.is_late(today)), _bulk_problem(report))
        for report in reports
    ]
    return render(
        request,
        "tasks/reports_bulk_approve.html",
        {
            "form": form,
            "rows": [row for row, problem in rows if not problem],
            "set_aside": [(row, problem) for row, problem in rows if problem],
            "back": back,
        },
        status=400 if form.is_bound else 200,
    )


def _names(report: ProgressReport) -> dict[str, str]:
    return {"report": str(report), "party": str(report.assignment.party)}


def _extension_for_user(user: AnyUser, pk: int) -> DeadlineExtension:
    """The extension request if the user may see it (its party, the item's lead unit,
    and those who see everything); 404 otherwise."""
    extension = (
        DeadlineExtension.objects.visible_to(user)
        .select_related("assignment__item__checklist", "assignment__community", "assignment__unit")
        .filter(pk=pk)
        .first()
    )
    if extension is None:
        raise Http404(_("没有找到这份延期申请,或您无权查看。"))
    return extension


@require_POST
def extension_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The lead unit grants or refuses a pending extension request (once), and is back
    on the queue with its filters (``next``)."""
    back = _back(request, request.POST) or reverse("review_queue")
    extension = _extension_for_user(request.user, pk)
    if not _reviews(request.user, extension.assignment_id):
        raise PermissionDenied(_("只有该任务的牵头单位可以审批延期。"))
    form = ExtensionDecisionForm(request.POST)
    if not form.is_valid():
        problems = [str(error) for errors in form.errors.values() for error in errors]
        messages.error(request, _("延期申请未审批:") + " ".join(problems))
        return redirect(back)
    try:
        services.extension_decide(
            extension=extension,
            by=logged_in_user(request),
            grant=form.cleaned_data["grant"],
            comment=form.cleaned_data["comment"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(back)
    names = {
        "party": str(extension.assignment.party),
        "item": extension.assignment.item.number,
        "period": month_label(extension.year, extension.month),
        "date": f"{extension.requested_deadline:%Y-%m-%d}",
    }
    if form.cleaned_data["grant"]:
        message = _("已批准%(party)s第 %(item)s 项%(period)s月报延期至 %(date)s。") % names
    else:
        message = _("已不批准%(party)s第 %(item)s 项%(period)s月报的延期申请。") % names
    messages.success(request, message)
    return redirect(back)


# ---------------------------------------------------------------------------------------
# An item across its parties


@dataclass(frozen=True)
class PartyMonth:
    """One party's row of an item's month: its report if the user may open it."""

    assignment: Assignment
    report: ProgressReport | None
    unsubmitted: bool  # a draft exists that the user may not open
    evaluations: list[Evaluation]
    late: bool


def _item_month(request: HttpRequest, checklist: Checklist) -> tuple[int, int]:
    """``?period=`` or ``?year=&month=`` (``ItemMonthForm``), kept inside the checklist's
    year; by default the month a reading page opens on (``tasks.periods.opening_month``). A
    value that is not a year or month leaves the default (the picker shows the month it
    fell back to)."""
    month = ItemMonthForm(request.GET, checklist=checklist).chosen()
    return checklist.year, month or opening_month(checklist, timezone.localdate())


# Parties (rows) per page of an item's month, as the matrix pages its parties.
ITEM_PAGE_SIZE = 50
# Up to this many parties, the item page names them all above the month's table.
PARTIES_NAMED = 60


class ItemParties:
    """An item's assignments in the page's order (its communities by their order, then its
    units, the street-level ones last), for a ``Paginator``: counted from the assignments'
    indexes, and a page read by walking ``community_order_idx`` (an index lookup of the
    assignment each) and the item's few unit assignments: no sort of the item's 6,000."""

    def __init__(self, item: Item) -> None:
        self.item = item
        self.communities = Community.objects.filter(assignments__item=item).order_by("order", "pk")
        self.units = item.assignments.filter(unit__isnull=False).order_by(
            "is_street_level", "unit__order", "pk"
        )

    @cached_property
    def community_count(self) -> int:
        # From the (item, community) unique index alone.
        return self.item.assignments.filter(community__isnull=False).count()

    @cached_property
    def unit_count(self) -> int:
        return self.units.count()

    def count(self) -> int:
        return self.community_count + self.unit_count

    def ids(self, offset: int, stop: int) -> list[int]:
        """The assignment ids from ``offset`` to ``stop`` in the page's order."""
        ids: list[int] = []
        if offset < self.community_count:
            ids += self.communities.values_list("assignments__pk", flat=True)[
                offset : min(stop, self.community_count)
            ]
        if stop > self.community_count:
            ids += self.units.values_list("pk", flat=True)[
                max(0, offset - self.community_count) : stop - self.community_count
            ]
        return ids

    def __getitem__(self, index: slice) -> list[int]:
        return self.ids(index.start or 0, index.stop)


@require_safe
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An item with its targets and parties, and each party's state for one month. Users
    who see everything and the item's lead units see every party (a lead unit not the
    parties' drafts), a page at a time; everyone else sees their own party's rows."""
    item = get_object_or_404(Item.objects.with_details(), pk=pk)
    year, month = _item_month(request, item.checklist)
    user = request.user
    everything = access.sees_everything(user)
    sees_all_parties = everything or Item.objects.reviewable_by(user).filter(pk=item.pk).exists()
    own = list(
        Assignment.objects.fileable_by(user)
        .filter(item=item)
        .order_by()
        .values_list("pk", flat=True)
    )

    parties = ItemParties(item)
    page = None
    if sees_all_parties:
        page = query_page(request, Paginator(parties, ITEM_PAGE_SIZE))  # type: ignore[arg-type]
        shown = item.assignments.filter(pk__in=list(page))
    else:
        # Their own rows only (a community's one, a unit's one or two), never found by
        # reading the item's other parties.
        shown = item.assignments.filter(pk__in=own)

    month_reports = ProgressReport.objects.filter(year=year, month=month).order_by()
    # ``visible_to(user)`` for the rows shown, whose parties are known: everything for those
    # who see everything and on one's own rows; a lead unit not the others' drafts. Said
    # here by the assignments' keys, where ``visible_to`` would read every assignment the
    # user files for or reviews.
    visible = month_reports
    if not everything and sees_all_parties:
        visible = visible.filter(
            ~Q(workflow_state=ProgressReport.WorkflowState.DRAFT) | Q(assignment_id__in=own)
        )
    # ``item`` is set on each assignment (with its prefetched targets), and the reports
    # prefetch points each report back at its assignment, so judging the targets below
    # needs no further query.
    assignments = list(
        shown.select_related("community", "unit")
        .prefetch_related(
            # this month's extensions are all ``filing_deadline(year, month)`` reads
            Prefetch(
                "extensions", queryset=DeadlineExtension.objects.filter(year=year, month=month)
            ),
            Prefetch(
                "reports",
                queryset=visible.prefetch_related("values"),
                to_attr="visible_reports",
            ),
        )
        .annotate(has_report=Exists(month_reports.filter(assignment=OuterRef("pk"))))
    )
    for assignment in assignments:
        assignment.item = item
    if page is not None:
        position = {pk: index for index, pk in enumerate(page)}
        assignments.sort(key=lambda assignment: position[assignment.pk])
    else:
        assignments.sort(
            key=lambda a: (a.is_street_level, a.community is None, a.party.order, a.pk)
        )

    today = timezone.localdate()
    # The meeting register's figures (frequency targets) of the rows shown, at once.
    figures = registers.figures(
        checklist=item.checklist,
        assignments=assignments,
        months=[month] if item.checklist.year == year else [],
    )
    rows = []
    for assignment in assignments:
        reports = assignment.visible_reports  # type: ignore[attr-defined]  # Prefetch to_attr
        report = reports[0] if reports else None
        # An unfiled month is late once its deadline passed: ask the model, with a report
        # that is not saved.
        judged = report or ProgressReport(assignment=assignment, year=year, month=month)
        rows.append(
            PartyMonth(
                assignment=assignment,
                report=report,
                unsubmitted=report is None and assignment.has_report,  # type: ignore[attr-defined]  # annotate()
                evaluations=evaluate_assignment_month(
                    assignment, report, year=year, month=month, figures=figures
                ),
                late=judged.is_late(today),
            )
        )
    # The parties named above the table when they are few (a street's 30 communities).
    named = (
        list(
            item.assignments.select_related("community", "unit").order_by(
                "is_street_level", "community__order", "unit__order"
            )
        )
        if parties.count() <= PARTIES_NAMED
        else None
    )
    return render(
        request,
        "tasks/item_detail.html",
        {
            "item": item,
            "named_parties": named,
            "community_count": parties.community_count,
            "unit_count": parties.unit_count,
            "party_count": parties.count(),
            "year": year,
            "month": month,
            "picker": period_picker([item.checklist], year=year, month=month),
            "rows": rows,
            "page": page,
            "sees_all_parties": sees_all_parties,
        },
    )
