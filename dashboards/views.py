"""The completion dashboard, the item × party matrix, the monthly briefing (简报) and the
page from which a late cell is urged (催办). All read the summary tables
(``dashboards.summaries``); leadership reads them and changes nothing."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from html import escape
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Exists, OuterRef, Q, Subquery, When
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from communities import access
from core.dates import month_name
from core.http import local_url, logged_in_user
from core.periods import query_month, query_page, query_pk, query_year
from reminders.due import parties_without_staff, party_subject
from reminders.models import Reminder
from tasks.filing import is_filed_late, is_overdue
from tasks.models import Checklist, Item, ItemLeadUnit, ProgressReport
from tasks.periods import (
    PageChecklists,
    asked_period,
    checklists_in_use,
    opening_month,
    page_checklists,
    period_picker,
)
from tasks.views import checklist_and_in_use, checklists_asked

from . import services
from .access import Reach, reach_of
from .dashboard import (
    Dashboard,
    _late,
    filing_reminders_sent,
    latest_urge,
    lead_links,
    report_months,
)
from .figure_cache import FIGURES_SECONDS, dashboard_cached, dashboard_figures
from .figure_version import figures_and_late_versions, figures_version
from .models import AssignmentMonth, PartyMonth, UrgeNotice, party_assignments
from .summaries import BEHIND_COUNTED_STATES

MATRIX_PAGE_SIZE = 30  # parties (rows) per page of the matrix
# What a matrix cell needs of its AssignmentMonth row (``cell_look``); the matrix adds
# ``opens``, whether the report opens for the viewer.
CELL_COLUMNS = (
    "assignment_id",
    "year",
    "month",
    "item_id",
    "community_id",
    "unit_id",
    "report_id",
    "state",
    "deadline",
    "first_submitted_on",
    "targets_behind",
    "is_complete",
)


def _viewer_reach(request: HttpRequest) -> Reach:
    reach = reach_of(request.user)
    if not reach.may_view:
        raise PermissionDenied(_("完成情况看板只对街道管理员、街道领导和牵头单位开放。"))
    return reach


def _month_of(request: HttpRequest, checklist: Checklist) -> int:
    """``?period=`` or ``?month=`` if the checklist owes it (404 otherwise), by default
    the month a reading page opens on (``tasks.periods.opening_month``)."""
    months = report_months(checklist)
    _year, month = asked_period(request)
    if month is None:
        return opening_month(checklist, timezone.localdate())
    if month not in months:
        raise Http404(
            _("%(year)s年度清单只统计 %(first)s–12 月")
            % {"year": checklist.year, "first": months[0] if months else 12}
        )
    return month


def _dashboard(request: HttpRequest, version: str | None = None) -> tuple[Dashboard, Reach]:
    reach = _viewer_reach(request)
    # The checklist comes with its items and lead units, in the query the figures need.
    links = lead_links(ItemLeadUnit.objects.filter(item__checklist__in=checklists_asked(request)))
    if not links:
        raise Http404(_("还没有启用的目标任务清单"))
    checklist = links[0].item.checklist
    month = _month_of(request, checklist)
    # The figures come from the cache while no summary row changed (figure_cache).
    board = dashboard_cached(
        checklist, month, timezone.localdate(), version=version or figures_version(), links=links
    )
    return board, reach


def _page_period(
    request: HttpRequest, version: str, today: datetime.date
) -> tuple[Checklist, PageChecklists, int]:
    """``checklist_and_in_use`` and ``_month_of``, kept under the figures' version and the
    day: the checklists in use and the month a reading page opens on change only with the
    summary rows (a report submitted), a checklist saved or archived (all of which give the
    figures a new version) or the date. One cache round trip instead of two queries."""
    year, month_asked = asked_period(request)
    keys = [
        f"dashboards:in-use:{version}:{today.isoformat()}",
        f"dashboards:opening-month:{version}:{today.isoformat()}:{year}",
    ]
    found = cache.get_many(keys)
    in_use = found.get(keys[0])
    if in_use is None:
        in_use = page_checklists(today)
        cache.set(keys[0], in_use, FIGURES_SECONDS)
    checklist = in_use.of_year(year)
    if checklist is None:
        raise Http404(_("还没有启用的目标任务清单"))
    if month_asked is not None:  # checked against the months owed (404 if not)
        return checklist, in_use, _month_of(request, checklist)
    month = found.get(keys[1])
    if month is None:
        month = opening_month(checklist, today)
        cache.set(keys[1], month, FIGURES_SECONDS)
    return checklist, in_use, month


def dashboard(request: HttpRequest) -> HttpResponse:
    """The office's dashboard for a month and the year to date.

    Read most often of all pages, and its parts change at different moments, so each is
    rendered once per version of what it shows and then served from the cache
    (``{% cache %}`` in the template): the figures, charts and breakdowns under the summary
    rows' version (``figures_version``), the late list under that and the reminders' and
    urges' version (``late_version``) and the viewer's reach, the parties nobody receives
    reminders for under the access version. The board, the late list and that list are
    lazy: read only when their fragment is rendered, so a page whose fragments are all
    cached reads only the checklist and the month it opens on."""
    reach = _viewer_reach(request)
    version, late = figures_and_late_versions()
    today = timezone.localdate()
    checklist, in_use, month = _page_period(request, version, today)
    everything = access.sees_everything(request.user)
    return render(
        request,
        "dashboards/dashboard.html",
        {
            "checklist": checklist,
            "year": checklist.year,
            "month": month,
            "today": today,
            "deadline": checklist.filing_deadline(checklist.year, month),
            "board": SimpleLazyObject(
                lambda: dashboard_figures(checklist, month, today, version=version)
            ),
            "late_rows": SimpleLazyObject(lambda: _late(checklist, month, today)),
            "picker": period_picker(in_use.in_use, year=checklist.year, month=month),
            "reach": reach,
            # What the late list's links depend on, as a cache key of the fragment.
            "reach_key": reach.cache_key(),
            "late_version": late,
            "sees_everything": everything,
            "access_version": (
                access.access_version(getattr(request.session, "access_version_found", None))
                if everything
                else ""
            ),
            # Whose reminders nobody of theirs receives: for those who see everything.
            "unreminded": SimpleLazyObject(
                lambda: parties_without_staff(checklist) if everything else []
            ),
            "figures_version": version,
            "next_url": f"{request.path}?{urlencode({'year': checklist.year, 'month': month})}",
        },
    )


def briefing(request: HttpRequest) -> HttpResponse:
    """The month's briefing (简报), laid out to print on A4."""
    board, reach = _dashboard(request)
    return render(
        request,
        "dashboards/briefing.html",
        {
            "board": board,
            "reach": reach,
            "chart_data": board.chart_data(),
            "picker": period_picker(checklists_in_use(), year=board.year, month=board.month),
        },
    )


@dataclass
class MatrixCell:
    cell: AssignmentMonth | None
    css: str
    label: str
    symbol: str
    url: str = ""
    urge_url: str = ""
    urge: UrgeNotice | None = None

    def html(self, labels: dict[str, str]) -> str:
        """The cell's coloured mark: a link to the report, or to the urge page of an
        overdue cell, or a plain mark; its title says the status and any urge."""
        title = self.label
        if self.urge is not None:
            title += labels["acknowledged" if self.urge.is_acknowledged else "unacknowledged"]
        elif self.urge_url:
            title += labels["urge"]
        href = self.url or self.urge_url
        # Plain formatting with one escape per value: a page has 1,200 of these.
        title, symbol = escape(title), escape(self.symbol)
        if href:
            href = escape(href)
            return (
                f'<a href="{href}" class="mark {self.css}" title="{title}"'
                f' aria-label="{title}">{symbol}</a>'
            )
        return f'<span class="mark {self.css}" title="{title}">{symbol}</span>'


def cell_labels() -> dict[str, str]:
    """The words of the matrix's cells in the user's language, looked up once a page."""
    return {
        "complete": _("已完成"),
        "approved": _("已审核,指标未全部达标"),
        "submitted": _("已提交,待审核"),
        "returned": _("已退回修改"),
        "overdue": _("逾期未报"),
        "draft": _("草稿,未提交"),
        "pending": _("未到截止日"),
        "behind": _(",有指标滞后"),
        "late_filed": _(",逾期 %(days)s 天报送"),
        "late": _(",已逾期"),
        "acknowledged": _(",已催办,已确认"),
        "unacknowledged": _(",已催办,未确认"),
        "urge": _(",点击催办"),
    }


SYMBOLS = {
    "complete": "✓",
    "approved": "○",
    "submitted": "…",
    "returned": "↺",
    "overdue": "!",
    "draft": "✎",
    "pending": "·",
}


def cell_look(
    cell: Any, today: datetime.date, labels: dict[str, str] | None = None
) -> tuple[str, str, str]:
    """The colour class, the words and the symbol of a matrix cell (an ``AssignmentMonth``
    or a row with its ``CELL_COLUMNS``)."""
    labels = labels or cell_labels()
    state = AssignmentMonth.State
    late_filed = is_filed_late(submitted_on=cell.first_submitted_on, deadline=cell.deadline)
    overdue = is_overdue(submitted_on=cell.first_submitted_on, deadline=cell.deadline, today=today)
    if cell.is_complete:
        css = "complete"
    elif cell.state in (state.APPROVED, state.SUBMITTED, state.RETURNED):
        css = cell.state
    elif overdue:
        css = "overdue"
    elif cell.state == state.DRAFT:
        css = "draft"
    else:
        css = "pending"
    label, symbol = labels[css], SYMBOLS[css]
    if cell.targets_behind and cell.state in BEHIND_COUNTED_STATES:
        css += " behind"
        label += labels["behind"]
    if late_filed:
        css += " late"
        label += labels["late_filed"] % {"days": (cell.first_submitted_on - cell.deadline).days}
    elif overdue and cell.state != state.MISSING:
        css += " late"
        label += labels["late"]
    return css, label, symbol


def matrix(request: HttpRequest) -> HttpResponse:
    """Items (columns) × parties (rows) for a month, each cell coloured by its status and
    linking to its report where the user may open it; late cells offer 催办."""
    reach = _viewer_reach(request)
    # The checklist and those the period picker offers: one query.
    checklist, checklists = checklist_and_in_use(request)
    month = _month_of(request, checklist)
    today = timezone.localdate()
    showing_units = request.GET.get("parties") == "units"
    parties = PartyMonth.objects.filter(year=checklist.year, month=month)
    if showing_units:
        parties = parties.filter(unit__isnull=False).select_related("unit")
        parties = parties.order_by("unit__order", "unit__name")
    else:
        parties = parties.filter(community__isnull=False).select_related("community")
        parties = parties.order_by("community__order", "community__name")
    page = query_page(request, Paginator(parties, MATRIX_PAGE_SIZE))
    items = list(Item.objects.filter(checklist=checklist).order_by("number"))
    party_ids = [p.unit_id if showing_units else p.community_id for p in page]
    cells = AssignmentMonth.objects.filter(year=checklist.year, month=month)
    cells = cells.filter(**{"unit_id__in" if showing_units else "community_id__in": party_ids})
    urges = UrgeNotice.objects.filter(
        assignment_id=OuterRef("assignment_id"), year=OuterRef("year"), month=OuterRef("month")
    ).order_by("-sent_at", "-pk")
    unfiled = Q(first_submitted_on__isnull=True)  # only they can have been urged

    def latest(column: str) -> Case:
        # CASE keeps the subquery from running for the filed cells (most of them).
        return Case(When(unfiled, then=Subquery(urges.values(column)[:1])), default=None)

    # Whether the viewer may open the cell's report: asked of the one rule, as a subquery.
    opens = Exists(ProgressReport.objects.visible_to(request.user).filter(pk=OuterRef("report_id")))
    # Named tuples of the columns a cell shows, not model instances: 1,200 a page.
    cell_rows = list(
        cells.annotate(
            opens=opens,
            urge_id=latest("pk"),
            urge_sent_at=latest("sent_at"),
            urge_acknowledged_at=latest("acknowledged_at"),
        )
        .order_by("pk")
        .values_list(
            *CELL_COLUMNS, "opens", "urge_id", "urge_sent_at", "urge_acknowledged_at", named=True
        )
    )
    # A page is 30 × 40 cells: they are written here in one pass rather than through
    # the template language, which took most of the page's time.
    report_url = reverse("report_detail", args=[0]).removesuffix("0/")
    urge_url = reverse("dashboard_urge")
    back = urlencode({"next": request.get_full_path()})
    labels = cell_labels()
    grid: dict[tuple[int, int], list[str]] = {}
    for cell in cell_rows:
        shown = MatrixCell(cell, *cell_look(cell, today, labels))
        if cell.opens:
            shown.url = f"{report_url}{cell.report_id}/"
        if "overdue" in shown.css:
            shown.urge = latest_urge(cell)
            if reach.may_urge(cell.item_id) and not checklist.is_archived:
                shown.urge_url = (
                    f"{urge_url}?assignment={cell.assignment_id}&year={cell.year}"
                    f"&month={cell.month}&{back}"
                )
        party = cell.unit_id if showing_units else cell.community_id
        grid.setdefault((party, cell.item_id), []).append(shown.html(labels))
    rows = [
        {
            "party": p.unit if showing_units else p.community,
            "figures": p,
            "cells": mark_safe(  # noqa: S308 (each mark escaped by MatrixCell.html)
                "".join(
                    f'<td class="cell">{"".join(grid.get((party_id, item.pk), ()))}</td>'
                    for item in items
                )
            ),
        }
        for p, party_id in zip(page, party_ids, strict=True)
    ]
    return render(
        request,
        "dashboards/matrix.html",
        {
            "checklist": checklist,
            "year": checklist.year,
            "month": month,
            "months": report_months(checklist),
            "picker": period_picker(
                checklists.in_use,
                year=checklist.year,
                month=month,
                keep=request.GET,
                keep_names=["parties"],
            ),
            "items": items,
            "rows": rows,
            "page": page,
            "showing_units": showing_units,
            "reach": reach,
            "legend": [(css, SYMBOLS[css], labels[css]) for css in SYMBOLS],
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def urge(request: HttpRequest) -> HttpResponse:
    """What an urging notice (催办) is about — the party, the item, the month, how late,
    the reminders already sent and earlier urges — and the form that sends it. A refused
    urge (the report came in meanwhile) is said on the page."""
    reach = _viewer_reach(request)
    assignment_id = query_pk(request, "assignment")
    year, month = query_year(request), query_month(request)
    if assignment_id is None or year is None or month is None:
        raise Http404(_("缺少要催办的任务或月份"))
    cell = get_object_or_404(
        AssignmentMonth.objects.select_related(
            "item__checklist", "community", "unit", "assignment"
        ),
        assignment_id=assignment_id,
        year=year,
        month=month,
    )
    if not reach.may_urge(cell.item_id):
        raise PermissionDenied(_("只有街道管理员和该任务的牵头单位可以催办。"))
    back = local_url(request, request.GET.get("next", "")) or (
        f"{reverse('dashboard_matrix')}?year={year}&month={month}"
    )
    text, errors = request.POST.get("text", "").strip(), []
    if request.method == "POST":
        try:
            services.urge_send(
                assignment=cell.assignment,
                year=year,
                month=month,
                by=logged_in_user(request),
                text=text,
            )
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(
                request,
                _("已催办%(party)s填报第 %(number)s 项 %(month)s进展,等待对方确认收到。")
                % {
                    "party": cell.community or cell.unit,
                    "number": cell.item.number,
                    "month": month_name(month),
                },
            )
            return redirect(back)
    today = timezone.localdate()
    labels = dict(Reminder.Kind.choices)
    reminders = [
        {"created_at": row["created_at"], "label": labels.get(row["kind"], row["kind"])}
        for row in filing_reminders_sent(year, month)
        .filter(subject=party_subject(cell.community_id, cell.unit_id))
        .order_by("created_at")
        .values("kind", "created_at")
        .distinct()
    ]
    earlier = list(
        UrgeNotice.objects.filter(assignment_id=assignment_id, year=year, month=month)
        .select_related("sent_by", "acknowledged_by")
        .order_by("-sent_at")
    )
    _css, label, _symbol = cell_look(cell, today)
    return render(
        request,
        "dashboards/urge.html",
        {
            "cell": cell,
            "party": cell.community or cell.unit,
            "label": label,
            "is_late": is_overdue(
                submitted_on=cell.first_submitted_on, deadline=cell.deadline, today=today
            ),
            "days_late": cell.item.checklist.days_late(cell.deadline, today),
            "year_closed": cell.item.checklist.is_closed(today),
            "archived": cell.item.checklist.is_archived,
            "reminders": reminders,
            "earlier": earlier,
            "back": back,
            "text": text,
            "errors": errors,
        },
        status=400 if errors else 200,
    )


def _urge_for_user(request: HttpRequest, pk: int) -> UrgeNotice:
    """The urge if the user may see it; 404 otherwise."""
    urge = (
        UrgeNotice.objects.visible_to(request.user)
        .select_related(
            "assignment__item__checklist",
            "assignment__community",
            "assignment__unit",
            "sent_by",
            "acknowledged_by",
        )
        .prefetch_related("assignment__extensions")
        .filter(pk=pk)
        .first()
    )
    if urge is None:
        raise Http404(_("没有找到这条催办,或您无权查看。"))
    return urge


@require_safe
def urge_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """催办: what is urged, since when it is late, who urged, and whether it was
    acknowledged; the party's staff acknowledge it here."""
    urge = _urge_for_user(request, pk)
    report = (
        ProgressReport.objects.for_month(urge.year, urge.month)
        .filter(assignment_id=urge.assignment_id)
        .first()
    )
    is_party_staff = party_assignments(request.user).filter(pk=urge.assignment_id).exists()
    return render(
        request,
        "dashboards/urge_detail.html",
        {
            "urge": urge,
            "assignment": urge.assignment,
            "item": urge.assignment.item,
            "deadline": urge.filing_deadline(),
            "days_late": urge.days_late(timezone.localdate()),
            "year_closed": urge.year_closed(timezone.localdate()),
            "report": report,
            "is_party_staff": is_party_staff,
            "workspace_url": f"{reverse('workspace')}?year={urge.year}&month={urge.month}",
        },
    )


@require_POST
def urge_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    urge = _urge_for_user(request, pk)
    urge = services.urge_acknowledge(urge=urge, by=logged_in_user(request))
    messages.success(request, _("已确认收到催办,请尽快填报。"))
    return HttpResponseRedirect(urge.get_absolute_url())
