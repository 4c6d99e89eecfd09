"""A community's page: its compounds, how it did on its recurring duties month by month,
and its recent meetings."""

from __future__ import annotations

from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from meetings import access as meeting_access
from meetings.compliance import community_year_compliance
from meetings.models import Meeting
from tasks.models import Checklist

from .models import Community

RECENT_MEETINGS = 10


def _community_for_user(request: HttpRequest, pk: int) -> Community:
    """The community with its compound count if the user may see it (its own staff, unit
    staff, the street admin, leadership); 404 otherwise."""
    community = (
        meeting_access.communities_visible_to(request.user)
        .annotate(compound_count=Count("compounds"))
        .filter(pk=pk)
        .first()
    )
    if community is None:
        raise Http404(_("没有找到这个社区,或您无权查看。"))
    return community


def _checklist_for(request: HttpRequest) -> Checklist | None:
    """``?year=``, or the newest checklist in use."""
    checklists = Checklist.objects.exclude(status=Checklist.Status.DRAFT)
    year = request.GET.get("year", "")
    if year:
        if not year.isdigit():
            raise Http404(_("年度格式不对"))
        return checklists.filter(year=int(year)).first()
    return checklists.order_by("-year").first()


@require_safe
def community_detail(request: HttpRequest, pk: int) -> HttpResponse:
    community = _community_for_user(request, pk)
    checklist = _checklist_for(request)
    year = (
        community_year_compliance(
            checklist=checklist, community=community, today=timezone.localdate()
        )
        if checklist is not None
        else None
    )
    # Whether the user records for this community: its own duties are all that matter.
    duties = (
        year.duties if year and checklist and checklist.status == Checklist.Status.ACTIVE else None
    )
    scope = meeting_access.recording_scope(request.user, duties=duties)
    recent = list(
        Meeting.objects.visible_to(request.user)
        .for_community(community)
        .select_related("target__item")
        .order_by("-starts_at", "-pk")[:RECENT_MEETINGS]
    )
    return render(
        request,
        "communities/community_detail.html",
        {
            "community": community,
            "checklist": checklist,
            "year": year,
            "recent_meetings": recent,
            "may_record": community.pk in {c.pk for c in scope.communities()},
        },
    )
