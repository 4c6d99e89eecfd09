"""Downloads of the ledgers (台账) as xlsx: by month, by item, by community.

Each view checks the year (and month) first (404 with the reason), loads the item or
community through what the user may see (404), checks the user's role on it (403), then
builds the rows the user may read (``dashboards.ledger``)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from communities.access import communities_visible_to, ledger_downloadable_communities
from core.files import xlsx_response
from core.periods import query_month, query_year
from tasks.filing import month_being_filed
from tasks.models import Checklist, Item
from tasks.periods import asked_period, opening_period

from . import ledger


def _year(request: HttpRequest, default: int) -> int:
    """``?year=`` (``default`` when absent) if a checklist in use has that year."""
    year = query_year(request) or default
    if not Checklist.objects.exclude(status=Checklist.Status.DRAFT).filter(year=year).exists():
        raise Http404(_("没有%(year)s年度的目标任务清单") % {"year": year})
    return year


def _month(request: HttpRequest, default: int) -> int:
    """``?month=`` (``default`` when absent), from 1 to 12."""
    return query_month(request) or default


def _xlsx_response(rows: list[ledger.LedgerRow], filename: str) -> HttpResponse:
    return xlsx_response(ledger.ledger_workbook(rows), filename=filename)


@require_safe
def ledger_month(request: HttpRequest) -> HttpResponse:
    """``?period=`` or ``?year=&month=`` (by default the period a reading page opens on,
    ``tasks.periods``): every assignment the user may read."""
    year, month = asked_period(request)
    if year is None or month is None:
        today = timezone.localdate()
        opening_year, opening_month = opening_period(today) or month_being_filed(today)
        year, month = year or opening_year, month or opening_month
    year = _year(request, year)
    month = _month(request, month)
    reader = ledger.ledger_reader(request.user)
    if not ledger.may_download_month_ledger(request.user, reader):
        raise PermissionDenied(_("您没有可以导出的台账。"))
    rows = ledger.month_ledger(user=request.user, year=year, month=month, reader=reader)
    return _xlsx_response(rows, ledger.ledger_filename(year=year, month=month))


@require_safe
def ledger_item(request: HttpRequest, pk: int) -> HttpResponse:
    """One item, every party × months 1 to ``?month=`` (12 by default) of its year; for
    those who see everything and the item's lead units."""
    item = get_object_or_404(Item.objects.select_related("checklist"), pk=pk)
    year = _year(request, item.checklist.year)
    if year != item.checklist.year:
        raise Http404(
            _("第%(number)s项不是%(year)s年度清单的任务") % {"number": item.number, "year": year}
        )
    up_to_month = _month(request, 12)
    if not ledger.may_download_item_ledger(request.user, item):
        raise PermissionDenied(_("只有街道、领导和该任务的牵头单位可以导出本任务的台账。"))
    rows = ledger.item_ledger(user=request.user, item=item, up_to_month=up_to_month)
    return _xlsx_response(
        rows, ledger.ledger_filename(year=year, up_to_month=up_to_month, item=item)
    )


@require_safe
def ledger_community(request: HttpRequest, pk: int) -> HttpResponse:
    """One community, every item assigned to it × months 1 to ``?month=`` (12 by
    default) of ``?year=`` (the newest checklist in use by default); for those who see
    everything and the community's own staff."""
    downloadable = ledger_downloadable_communities(request.user).filter(pk=OuterRef("pk"))
    community = (
        communities_visible_to(request.user)
        .annotate(may_download_ledger=Exists(downloadable))
        .filter(pk=pk)
        .first()
    )
    if community is None:
        raise Http404(_("没有找到这个社区,或您无权查看。"))
    newest = (
        Checklist.objects.exclude(status=Checklist.Status.DRAFT)
        .order_by("-year")
        .values_list("year", flat=True)
        .first()
    )
    if newest is None:
        raise Http404(_("还没有启用的目标任务清单"))
    year = _year(request, newest)
    up_to_month = _month(request, 12)
    if not community.may_download_ledger:
        raise PermissionDenied(_("只有街道、领导和本社区的工作人员可以导出本社区的台账。"))
    rows = ledger.community_ledger(
        user=request.user, community=community, year=year, up_to_month=up_to_month
    )
    return _xlsx_response(
        rows, ledger.ledger_filename(year=year, up_to_month=up_to_month, community=community)
    )
