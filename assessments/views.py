"""The completion dashboard, the item × party matrix, the monthly briefing (简报) and the
page from which a late cell is urged (催办). All read the summary tables
(``assessments.summaries``); leadership reads them and changes nothing."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from notifications.models import Reminder, UrgeNotice
from tasks.models import Checklist, Item, ItemLeadUnit
from tasks.views import _checklist_for

from .access import Reach, reach_of
from .dashboard import (
    FILING_REMINDERS,
    Dashboard,
    dashboard_build,
    default_month,
    latest_urge,
    lead_links,
    report_months,
)
from .models import AssignmentMonth, PartyMonth

MATRIX_PAGE_SIZE = 30  # parties (rows) per page of the matrix


def _viewer_reach(request: HttpRequest) -> Reach:
    reach = reach_of(request.user)
    if not reach.may_view:
        raise PermissionDenied(_("完成情况看板只对街道管理员、街道领导和牵头单位开放。"))
    return reach


def _checklists(request: HttpRequest) -> QuerySet[Checklist]:
    """The checklist asked for (``?year=``), else the newest one in use, as a subquery."""
    checklists = Checklist.objects.exclude(status=Checklist.Status.DRAFT)
    year = request.GET.get("year")
    if year:
        if not year.isdigit():
            raise Http404(_("年度格式不对"))
        return checklists.filter(year=int(year))
    return checklists.order_by("-year").values("pk")[:1]


def _month_of(request: HttpRequest, checklist: Checklist) -> int:
    months = report_months(checklist)
    value = request.GET.get("month")
    if not value:
        return default_month(checklist, timezone.localdate())
    if not value.isdigit() or int(value) not in months:
        raise Http404(
            _("%(year)s年度清单只统计 %(first)s–12 月")
            % {"year": checklist.year, "first": months[0] if months else 12}
        )
    return int(value)


def _dashboard(request: HttpRequest) -> tuple[Dashboard, Reach]:
    reach = _viewer_reach(request)
    # The checklist comes with its items and lead units, in the query the figures need.
    links = lead_links(ItemLeadUnit.objects.filter(item__checklist__in=_checklists(request)))
    if not links:
        raise Http404(_("还没有启用的目标任务清单"))
    checklist = links[0].item.checklist
    month = _month_of(request, checklist)
    board = dashboard_build(checklist, month, timezone.localdate(), links=links)
    return board, reach


def dashboard(request: HttpRequest) -> HttpResponse:
    """The office's dashboard for a month and the year to date."""
    board, reach = _dashboard(request)
    return render(
        request,
        "assessments/dashboard.html",
        {"board": board, "reach": reach, "chart_data": board.chart_data()},
    )


def briefing(request: HttpRequest) -> HttpResponse:
    """The month's briefing (简报), laid out to print on A4."""
    board, reach = _dashboard(request)
    return render(
        request,
        "assessments/briefing.html",
        {"board": board, "reach": reach, "chart_data": board.chart_data()},
    )


@dataclass
class MatrixCell:
    cell: AssignmentMonth | None
    css: str
    label: str
    symbol: str
    url: str = ""
    urge_url: str = ""
    urge: object = None


def cell_look(cell: AssignmentMonth, today: datetime.date) -> tuple[str, str, str]:
    """The colour class, the words and the symbol of a matrix cell."""
    state = AssignmentMonth.State
    late_filed = cell.first_submitted_on is not None and cell.first_submitted_on > cell.deadline
    overdue = cell.first_submitted_on is None and cell.deadline < today
    if cell.is_complete:
        css, label, symbol = "complete", _("已完成"), "✓"
    elif cell.state == state.APPROVED:
        css, label, symbol = "approved", _("已审核,指标未全部达标"), "○"
    elif cell.state == state.SUBMITTED:
        css, label, symbol = "submitted", _("已提交,待审核"), "…"
    elif cell.state == state.RETURNED:
        css, label, symbol = "returned", _("已退回修改"), "↺"
    elif overdue:
        css, label, symbol = "overdue", _("逾期未报"), "!"
    elif cell.state == state.DRAFT:
        css, label, symbol = "draft", _("草稿,未提交"), "✎"
    else:
        css, label, symbol = "pending", _("未到截止日"), "·"
    if cell.targets_behind and cell.state in (state.SUBMITTED, state.APPROVED):
        css += " behind"
        label += _(",有指标滞后")
    if late_filed:
        css += " late"
        label += _(",逾期 %(days)s 天报送") % {
            "days": (cell.first_submitted_on - cell.deadline).days
        }
    elif overdue and cell.state != state.MISSING:
        css += " late"
        label += _(",已逾期")
    return css, label, symbol


def matrix(request: HttpRequest) -> HttpResponse:
    """Items (columns) × parties (rows) for a month, each cell coloured by its status and
    linking to its report where the user may open it; late cells offer 催办."""
    reach = _viewer_reach(request)
    checklist = _checklist_for(request)
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
    page = Paginator(parties, MATRIX_PAGE_SIZE).get_page(request.GET.get("page"))
    items = list(Item.objects.filter(checklist=checklist).order_by("number"))
    party_ids = [p.unit_id if showing_units else p.community_id for p in page]
    cells = AssignmentMonth.objects.filter(year=checklist.year, month=month)
    cells = cells.filter(**{"unit_id__in" if showing_units else "community_id__in": party_ids})
    urges = UrgeNotice.objects.filter(
        assignment_id=OuterRef("assignment_id"), year=OuterRef("year"), month=OuterRef("month")
    ).order_by("-sent_at", "-pk")
    cells = list(
        cells.annotate(
            urge_id=Subquery(urges.values("pk")[:1]),
            urge_sent_at=Subquery(urges.values("sent_at")[:1]),
            urge_acknowledged_at=Subquery(urges.values("acknowledged_at")[:1]),
        ).order_by("pk")
    )
    grid: dict[tuple[int, int], list[MatrixCell]] = {}
    for cell in cells:
        css, label, symbol = cell_look(cell, today)
        shown = MatrixCell(cell=cell, css=css, label=label, symbol=symbol)
        if reach.may_open(cell):
            shown.url = reverse("report_detail", args=[cell.report_id])
        if "overdue" in css or ("late" in css and cell.first_submitted_on is None):
            shown.urge = latest_urge(cell)
            if reach.may_urge(cell.item_id):
                shown.urge_url = (
                    reverse("dashboard_urge")
                    + f"?assignment={cell.assignment_id}&year={cell.year}&month={cell.month}"
                )
        party = cell.unit_id if showing_units else cell.community_id
        grid.setdefault((party, cell.item_id), []).append(shown)
    rows = [
        {
            "party": p.unit if showing_units else p.community,
            "figures": p,
            "cells": [grid.get((party_id, item.pk), []) for item in items],
        }
        for p, party_id in zip(page, party_ids, strict=True)
    ]
    return render(
        request,
        "assessments/matrix.html",
        {
            "checklist": checklist,
            "year": checklist.year,
            "month": month,
            "months": report_months(checklist),
            "items": items,
            "rows": rows,
            "page": page,
            "showing_units": showing_units,
            "reach": reach,
            "legend": LEGEND,
        },
    )


LEGEND = (
    ("complete", "✓", "已完成"),
    ("approved", "○", "已审核,指标未全部达标"),
    ("submitted", "…", "已提交,待审核"),
    ("returned", "↺", "已退回修改"),
    ("draft", "✎", "草稿,未提交"),
    ("overdue", "!", "逾期未报"),
    ("pending", "·", "未到截止日"),
)


def _safe_next(request: HttpRequest) -> str:
    target = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def urge(request: HttpRequest) -> HttpResponse:
    """What an urging notice (催办) is about — the party, the item, the month, how late,
    the reminders already sent and earlier urges — with the form that sends it."""
    reach = _viewer_reach(request)
    try:
        assignment_id = int(request.GET.get("assignment", ""))
        year = int(request.GET.get("year", ""))
        month = int(request.GET.get("month", ""))
    except ValueError:
        raise Http404(_("缺少要催办的任务或月份")) from None
    cell = get_object_or_404(
        AssignmentMonth.objects.select_related("item", "community", "unit", "assignment"),
        assignment_id=assignment_id,
        year=year,
        month=month,
    )
    if not reach.may_urge(cell.item_id):
        raise PermissionDenied(_("只有街道管理员和该任务的牵头单位可以催办。"))
    today = timezone.localdate()
    subject = f"community:{cell.community_id}" if cell.community_id else f"unit:{cell.unit_id}"
    labels = dict(Reminder.Kind.choices)
    reminders = [
        {"created_at": row["created_at"], "label": labels.get(row["kind"], row["kind"])}
        for row in Reminder.objects.filter(
            subject=subject,
            kind__in=FILING_REMINDERS,
            period__startswith=f"{year}-{month:02d}@",
            message__isnull=False,
        )
        .order_by("created_at")
        .values("kind", "created_at")
        .distinct()
    ]
    earlier = list(
        UrgeNotice.objects.filter(assignment_id=assignment_id, year=year, month=month)
        .select_related("sent_by", "acknowledged_by")
        .order_by("-sent_at")
    )
    css, label, _symbol = cell_look(cell, today)
    return render(
        request,
        "assessments/urge.html",
        {
            "cell": cell,
            "assignment": cell.assignment,
            "party": cell.community or cell.unit,
            "label": label,
            "is_late": cell.first_submitted_on is None and cell.deadline < today,
            "days_late": (today - cell.deadline).days,
            "reminders": reminders,
            "earlier": earlier,
            "back": _safe_next(request)
            or f"{reverse('dashboard_matrix')}?year={year}&month={month}",
        },
    )
