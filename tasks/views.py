from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from .models import Checklist, Item


def _checklist_for(request: HttpRequest) -> Checklist:
    """The checklist the page shows: ``?year=`` or the newest active one."""
    checklists = Checklist.objects.exclude(status=Checklist.Status.DRAFT)
    year = request.GET.get("year")
    if year:
        if not year.isdigit():
            raise Http404(_("年度格式不对"))
        return get_object_or_404(checklists, year=int(year))
    checklist = checklists.order_by("-year").first()
    if checklist is None:
        raise Http404(_("还没有启用的目标任务清单"))
    return checklist


def home(request: HttpRequest) -> HttpResponse:
    """The year's checklist: the four pillars, every item with its lead units, responsible
    parties and targets."""
    checklist = _checklist_for(request)
    items = list(checklist.items.with_details())
    pillars = list(checklist.pillars.all())
    for pillar in pillars:
        pillar.item_list = [item for item in items if item.pillar_id == pillar.pk]
    return render(
        request,
        "tasks/home.html",
        {
            "checklist": checklist,
            "pillars": pillars,
            "item_count": len(items),
            "years": list(
                Checklist.objects.exclude(status=Checklist.Status.DRAFT).values_list(
                    "year", flat=True
                )
            ),
        },
    )


def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Item.objects.with_details(), pk=pk)
    assignments = item.assignments.select_related("community", "unit").order_by(
        "is_street_level", "community__order", "unit__order"
    )
    return render(request, "tasks/item_detail.html", {"item": item, "assignments": assignments})
