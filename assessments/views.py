"""The assessment's pages: the ranking with the lead units' review record, each
community's score sheet, adjustments and publishing (street admin), the Excel export.
Once published, everyone sees the published (frozen) results; the street admin can also
look at the live computation before publishing again."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import tablib
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from communities import access
from communities.models import Community
from core.files import xlsx_response
from core.http import logged_in_user
from core.periods import month_parameter
from core.spreadsheets import neutralise_formula
from tasks.periods import (
    PeriodPicker,
    asked_period,
    checklists_in_use,
    opening_month,
    period_picker,
)
from tasks.views import checklist_for

from .models import Publication, Scheme, ScoreAdjustment
from .scoring import (
    ScoreSheet,
    community_sheet,
    points_text,
    results_publish,
    review_records,
    score_sheets,
)
from .summary import RankedRow, rank_of, ranked_page, scores_ready

PAGE_SIZE = 50  # communities a page of the ranking


def _scheme(request: HttpRequest) -> Scheme:
    checklist = checklist_for(request)
    scheme = Scheme.objects.filter(checklist=checklist).select_related("checklist").first()
    if scheme is None:
        raise Http404(_("%(year)s年度还没有考核方案") % {"year": checklist.year})
    return scheme


def _month(request: HttpRequest, scheme: Scheme) -> int:
    """``?period=``, ``?month=`` or a posted month; by default the month a reading page
    opens on (``tasks.periods.opening_month``)."""
    month = asked_period(request)[1] or month_parameter(request.POST)
    if month is not None:
        return month
    return opening_month(scheme.checklist, timezone.localdate())


def _picker(request: HttpRequest, results: Results) -> PeriodPicker:
    """The period picker of the ranking and the score sheets (keeps ``?live=``)."""
    return period_picker(
        checklists_in_use(),
        year=results.scheme.checklist.year,
        month=results.month,
        keep=request.GET,
        keep_names=["live"],
    )


@dataclass
class Results:
    """What the pages show: the published results, or the live computation."""

    scheme: Scheme
    month: int
    publication: Publication | None
    live: bool
    sheets: list[dict[str, Any]]  # {"community", "rank", "total", "sheet": as_json()}
    count: int = 0  # the communities ranked (``sheets`` may be one page of them)
    page: int = 1
    pages: int = 1


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def _is_live(request: HttpRequest, publication: Publication | None) -> bool:
    may_publish = request.user.has_perm("assessments.publish_scores")
    return publication is None or (may_publish and request.GET.get("live") == "1")


def _latest_publication(scheme: Scheme) -> Publication | None:
    return scheme.publications.select_related("published_by").order_by("-number").first()


def _ranking_results(
    request: HttpRequest, scheme: Scheme, criteria: list[Any], *, find: Community | None
) -> tuple[Results, int | None]:
    """One page of the ranking (``PAGE_SIZE`` communities): the published one, or the
    stored scores (``assessments.summary``), computed again first when they no longer
    hold. With ``find``, the page that community stands on; returns also its rank."""
    publication = _latest_publication(scheme)
    page = _page_number(request)
    found_rank: int | None = None
    if not _is_live(request, publication):
        assert publication is not None  # noqa: S101 (narrowing)
        rows = publication.scores.order_by("rank", "community__order", "community__name")
        if find is not None:
            own = rows.filter(community=find).first()
            if own is not None:
                found_rank = own.rank
                before = (
                    rows.filter(rank__lt=own.rank).count()
                    + rows.filter(rank=own.rank, community__order__lt=find.order).count()
                )
                page = before // PAGE_SIZE + 1
        count = rows.count()
        pages = max(1, -(-count // PAGE_SIZE))
        page = min(page, pages)
        offset = (page - 1) * PAGE_SIZE
        sheets = [
            {
                "community": row.community,
                "rank": row.rank,
                "total": row.total,
                "sheet": {k: row.sheet[k] for k in ("earned", "adjusted", "total")},
            }
            for row in rows.select_related("community")[offset : offset + PAGE_SIZE]
        ]
        results = Results(scheme, publication.as_of_month, publication, False, sheets)
    else:
        month = _month(request, scheme)
        computed = scores_ready(scheme, month, criteria=criteria)
        if computed is not None:  # computed again just now: the page from those sheets
            everyone, count, place = _page_of(computed, find)
        else:
            place = rank_of(scheme, month, find) if find is not None else None
            count = -1
        if place is not None:
            found_rank, page = place[0], place[1] // PAGE_SIZE + 1
        if computed is None:
            ranked, count = ranked_page(
                scheme, month, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
            )
        pages = max(1, -(-count // PAGE_SIZE))
        if page > pages:
            page = pages
            if computed is None:
                ranked, count = ranked_page(
                    scheme, month, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
                )
        if computed is not None:
            ranked = everyone[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        sheets = [
            {
                "community": row.community,
                "rank": row.rank,
                "total": row.total,
                "sheet": {"earned": row.earned, "adjusted": row.adjusted, "total": row.total},
            }
            for row in ranked
        ]
        results = Results(scheme, month, publication, True, sheets)
    results.count, results.page, results.pages = count, page, pages
    return results, found_rank


def _export_results(request: HttpRequest, scheme: Scheme) -> Results:
    """Every sheet, line by line (the export): the published ones, or every sheet
    computed now."""
    publication = _latest_publication(scheme)
    live = _is_live(request, publication)
    if not live:
        assert publication is not None  # noqa: S101 (narrowing)
        rows = publication.scores.select_related("community").order_by("rank", "community__order")
        sheets = [
            {"community": row.community, "rank": row.rank, "total": row.total, "sheet": row.sheet}
            for row in rows
        ]
        return Results(scheme, publication.as_of_month, publication, False, sheets)
    month = _month(request, scheme)
    computed: list[ScoreSheet] = score_sheets(scheme, month=month)
    sheets = [
        {"community": s.community, "rank": s.rank, "total": s.total, "sheet": s.as_json()}
        for s in computed
    ]
    return Results(scheme, month, publication, True, sheets)


def ranking(request: HttpRequest) -> HttpResponse:
    """The communities ranked, a page at a time."""
    if not request.user.has_perm("assessments.view_scores"):
        raise PermissionDenied(_("考核排名只对街道管理员、街道领导和牵头单位开放。"))
    checklist = checklist_for(request)
    scheme = Scheme.objects.filter(checklist=checklist).select_related("checklist").first()
    if scheme is None:
        return render(request, "assessments/no_scheme.html", {"checklist": checklist}, status=404)
    return _ranking_page(request, scheme)


def _ranking_page(
    request: HttpRequest, scheme: Scheme, *, note: str = "", errors: list[str] | None = None
) -> HttpResponse:
    """The ranking page, a page of ``PAGE_SIZE`` communities (``?page=``; ``?find=`` a
    community's name: the page it stands on); after a refused publication, with the reason
    and the note kept."""
    criteria = list(scheme.criteria.select_related("target__item__checklist", "item", "pillar"))
    wanted = request.GET.get("find", "").strip()
    find = (
        Community.objects.filter(name__icontains=wanted).order_by("order", "name").first()
        if wanted
        else None
    )
    results, found_rank = _ranking_results(request, scheme, criteria, find=find)
    return render(
        request,
        "assessments/ranking.html",
        {
            "scheme": scheme,
            "results": results,
            "picker": _picker(request, results),
            "criteria_count": len(criteria),
            "criteria_points": sum(c.points for c in criteria),
            "may_publish": request.user.has_perm("assessments.publish_scores"),
            "publications": list(scheme.publications.select_related("published_by")),
            "note": note,
            "errors": errors or [],
            "find": wanted,
            "found": find if found_rank is not None else None,
            "found_rank": found_rank,
            "page_numbers": _page_numbers(results.page, results.pages),
        },
        status=400 if errors else 200,
    )


def _page_of(
    sheets: list[ScoreSheet], find: Community | None
) -> tuple[list[RankedRow], int, tuple[int, int, int] | None]:
    """The ranking from sheets just computed (ranked): every row, their number, and
    ``find``'s rank and position."""
    rows = [RankedRow(s.community, s.rank, s.earned, s.adjusted, s.total) for s in sheets]
    place = next(
        (
            (row.rank, n, len(rows))
            for n, row in enumerate(rows)
            if find and row.community.pk == find.pk
        ),
        None,
    )
    return rows, len(rows), place


def _page_numbers(page: int, pages: int) -> list[int | None]:
    """The page links shown: the first, the last and two either side of ``page``; None
    where pages are left out."""
    shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    numbers: list[int | None] = []
    for number in shown:
        if numbers and numbers[-1] is not None and number - numbers[-1] > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers


def review_record(request: HttpRequest) -> HttpResponse:
    """The lead units' review record of the year (on a page of its own: it adds up every
    report of the year, which the ranking no longer does)."""
    if not request.user.has_perm("assessments.view_scores"):
        raise PermissionDenied(_("考核排名只对街道管理员、街道领导和牵头单位开放。"))
    checklist = checklist_for(request)
    return render(
        request,
        "assessments/review_record.html",
        {"checklist": checklist, "records": review_records(checklist)},
    )


def _may_see_sheet(request: HttpRequest, community: Community) -> bool:
    if request.user.has_perm("assessments.view_scores"):
        return True
    own = Community.objects.filter(access.community_q(request.user, access.FILE_REPORTS, "pk"))
    return own.filter(pk=community.pk).exists()


def score_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """How a community earned or lost each point, with the reports behind it."""
    community = get_object_or_404(Community, pk=pk)
    if not _may_see_sheet(request, community):
        raise Http404(_("没有找到这个社区的得分,或您无权查看。"))
    return _sheet_page(request, community, _scheme(request), AdjustmentForm())


class AdjustmentForm(forms.Form):
    points = forms.DecimalField(
        label=_lazy("加减分(扣分填负数)"),
        max_digits=6,
        decimal_places=2,
        error_messages={
            "required": _lazy("请填写加减的分数。"),
            "invalid": _lazy("加减分须是数字,如 2 或 -1.5。"),
            "max_digits": _lazy("加减分不能超过总分。"),
            "max_decimal_places": _lazy("加减分最多保留两位小数。"),
        },
    )
    reason = forms.CharField(
        label=_lazy("理由"),
        max_length=500,
        error_messages={"required": _lazy("请写明加减分的理由。")},
    )

    def __init__(self, *args: Any, total: Decimal | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.total = total

    def clean_points(self) -> Decimal:
        points = self.cleaned_data["points"]
        if points == 0:
            raise forms.ValidationError(_("加减分不能为 0。"))
        if self.total is not None and abs(points) > self.total:
            raise forms.ValidationError(
                _("加减分不能超过总分 %(total)s 分。") % {"total": points_text(self.total)}
            )
        return points


def _sheet_results(request: HttpRequest, scheme: Scheme, community: Community) -> Results:
    """The community's sheet, published or live, ranked among the others: live, its lines
    are computed from its own rows in the reader's language and its rank read from the
    stored scores (``assessments.summary``)."""
    publication = _latest_publication(scheme)
    not_ranked = Http404(_("这个社区不在本年度的考核范围内。"))
    if not _is_live(request, publication):
        assert publication is not None  # noqa: S101 (narrowing)
        own = publication.scores.filter(community=community).first()
        if own is None:
            raise not_ranked
        row = {"community": community, "rank": own.rank, "total": own.total, "sheet": own.sheet}
        results = Results(scheme, publication.as_of_month, publication, False, [row])
        results.count = publication.scores.count()
        return results
    month = _month(request, scheme)
    criteria = list(scheme.criteria.select_related("target__item__checklist", "item", "pillar"))
    computed = scores_ready(scheme, month, criteria=criteria)
    sheet: ScoreSheet | None
    if computed is not None:  # computed again just now: the sheet is among them
        _rows, count, place = _page_of(computed, community)
        sheet = next((s for s in computed if s.community.pk == community.pk), None)
    else:
        place = rank_of(scheme, month, community)
        sheet = community_sheet(scheme, community, month=month, criteria=criteria)
        count = place[2] if place is not None else 0
    if place is None or sheet is None:
        raise not_ranked
    row = {"community": community, "rank": place[0], "total": sheet.total, "sheet": sheet.as_json()}
    results = Results(scheme, month, publication, True, [row])
    results.count = count
    return results


def _sheet_page(
    request: HttpRequest, community: Community, scheme: Scheme, form: AdjustmentForm
) -> HttpResponse:
    results = _sheet_results(request, scheme, community)
    row = results.sheets[0]
    return render(
        request,
        "assessments/score_sheet.html",
        {
            "scheme": scheme,
            "results": results,
            "picker": _picker(request, results),
            "row": row,
            "community": community,
            "count": results.count,
            "may_adjust": request.user.has_perm("assessments.add_scoreadjustment")
            and not scheme.checklist.is_archived,
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@require_POST
def adjust(request: HttpRequest, pk: int) -> HttpResponse:
    """The street admin adds or deducts points with a reason; recorded with who and when."""
    if not request.user.has_perm("assessments.add_scoreadjustment"):
        raise PermissionDenied(_("只有街道管理员可以加减分。"))
    community = get_object_or_404(Community, pk=pk)
    scheme = _scheme(request)
    if scheme.checklist.is_archived:
        messages.error(request, _("该年度清单已归档,只能查看。"))
        return redirect(f"{reverse('score_sheet', args=[pk])}?year={scheme.checklist.year}")
    form = AdjustmentForm(request.POST, total=scheme.total_points)
    if not form.is_valid():
        return _sheet_page(request, community, scheme, form)  # what was typed stays
    ScoreAdjustment.objects.create(
        scheme=scheme,
        community=community,
        points=form.cleaned_data["points"],
        reason=form.cleaned_data["reason"],
        made_by=logged_in_user(request),
    )
    messages.success(request, _("已记录加减分,重新发布后生效于已发布的结果。"))
    return redirect(f"{reverse('score_sheet', args=[pk])}?year={scheme.checklist.year}&live=1")


@require_POST
def publish(request: HttpRequest) -> HttpResponse:
    """Publish (or publish again, with a reason) the year's results."""
    if not request.user.has_perm("assessments.publish_scores"):
        raise PermissionDenied(_("只有街道管理员可以发布考核结果。"))
    scheme = _scheme(request)
    note = request.POST.get("note", "")
    try:
        publication = results_publish(
            scheme=scheme, by=request.user, month=_month(request, scheme), note=note
        )
    except ValidationError as error:
        return _ranking_page(request, scheme, note=note, errors=error.messages)
    messages.success(
        request,
        _("已发布第 %(number)s 次考核结果,得分已冻结。") % {"number": publication.number},
    )
    return redirect(f"{reverse('ranking')}?year={scheme.checklist.year}")


def export(request: HttpRequest) -> HttpResponse:
    """The ranking and every score sheet's lines, as an Excel workbook."""
    if not request.user.has_perm("assessments.view_scores"):
        raise PermissionDenied(_("考核排名只对街道管理员、街道领导和牵头单位开放。"))
    scheme = _scheme(request)
    results = _export_results(request, scheme)
    ranking_sheet = tablib.Dataset(
        headers=["名次", "社区", "考核项得分", "加减分", "总分"], title="排名"
    )
    lines_sheet = tablib.Dataset(
        headers=["社区", "考核项", "分值", "计分规则", "完成程度", "得分", "说明"], title="得分明细"
    )
    adjustments_sheet = tablib.Dataset(
        headers=["社区", "加减分", "理由", "调整人", "调整时间"], title="加减分"
    )
    for row in results.sheets:
        sheet, name = row["sheet"], row["community"].name
        ranking_sheet.append(
            [
                row["rank"],
                neutralise_formula(name),
                float(sheet["earned"]),
                float(sheet["adjusted"]),
                float(sheet["total"]),
            ]
        )
        for line in sheet["lines"]:
            attainment = line["attainment"]
            lines_sheet.append(
                [
                    neutralise_formula(name),
                    neutralise_formula(line["title"]),
                    float(line["points"]),
                    line["rule"],
                    round(float(attainment) * 100, 1) if attainment is not None else "",
                    float(line["earned"]),
                    neutralise_formula(line["explanation"]),
                ]
            )
        for adjustment in sheet["adjustments"]:
            adjustments_sheet.append(
                [
                    neutralise_formula(name),
                    float(adjustment["points"]),
                    neutralise_formula(adjustment["reason"]),
                    neutralise_formula(adjustment["made_by"]),
                    adjustment["made_at"][:16].replace("T", " "),
                ]
            )
    book = tablib.Databook([ranking_sheet, lines_sheet, adjustments_sheet])
    state = _("已发布") if not results.live else _("未发布")
    filename = f"{scheme.checklist.year}年度考核结果_{state}.xlsx"
    return xlsx_response(book.export("xlsx"), filename=filename)
