"""Meetings pages: the list with the office's compliance table, a meeting's page, recording
and changing a meeting, its files.

Each page loads what it shows through the user's visibility first (404 for a meeting the
user may not see), checks the user may change it (403), validates its form, then calls a
service (``meetings.services``), which applies the change in one transaction."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import EmptyPage, Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from communities import access as community_access
from communities.models import Community
from core.files import private_file_response
from core.http import logged_in_user
from core.periods import LARGEST_PK, query_int, query_page, query_pk
from tasks.models import Checklist, Item
from tasks.periods import (
    asked_period,
    checklists_in_use,
    opening_checklists,
    opening_month,
    period_picker,
)

from . import access, compliance, services
from .compliance import month_compliance
from .duties import recurring_duties
from .forms import AttendeeChoices, MeetingFilterForm, MeetingForm
from .models import Meeting, MeetingAttachment

logger = logging.getLogger(__name__)

LIST_PAGE_SIZE = 50
# Up to this many communities the list's community filter names them all (as the review
# queue's, ``tasks.review_forms.PARTY_CHOICES_LISTED``); beyond, a name search finds them.
COMMUNITIES_LISTED = 60


def _meeting_for_user(request: HttpRequest, pk: int) -> Meeting:
    """The meeting, with all its page shows, if the user may see it; 404 otherwise."""
    meeting = Meeting.objects.visible_to(request.user).with_details().filter(pk=pk).first()
    if meeting is None:
        raise Http404(_("没有找到这次会议,或您无权查看。"))
    return meeting


def _require_editable(request: HttpRequest, meeting: Meeting) -> None:
    if not Meeting.objects.editable_by(request.user).filter(pk=meeting.pk).exists():
        raise PermissionDenied(_("您不能修改这次会议的记录。"))


@require_safe
def meeting_list(request: HttpRequest) -> HttpResponse:
    """会议: the meetings of a month the user may see, filtered by duty and community; for
    the office (street admin, leadership, unit staff) the month's compliance table, a page
    of communities at a time (``?rows=``). Beyond ``COMMUNITIES_LISTED`` communities the
    community filter lists only the one chosen, and a name search (``?name=``) narrows the
    table and the meetings. A fixed number of queries, none reading a whole large table."""
    user = request.user
    today = timezone.localdate()
    office = community_access.sees_every_community(user)
    year, month = MeetingFilterForm(request.GET, duties=[], communities=[]).chosen_month(today)
    checklists = list(checklists_in_use())  # the month's, and the picker's years
    checklist = next((c for c in checklists if c.year == year), None)
    visible = community_access.communities_visible_to(user).order_by("order", "name", "pk")
    if office:
        visible = visible.filter(is_active=True)
        communities = list(visible[: COMMUNITIES_LISTED + 1])
        meetings = Meeting.objects.all()
    else:  # their own: a few, whose meetings are read by key (with the street's)
        own = list(visible)
        communities = [community for community in own if community.is_active]
        meetings = Meeting.objects.filter(
            Q(community__isnull=True) | Q(community__in=[community.pk for community in own])
        )
    searches = len(communities) > COMMUNITIES_LISTED
    if searches:  # the chosen one only, so that it shows and validates
        asked = request.GET.get("community", "")
        chosen_pk = int(asked) if asked.isdigit() and len(asked) < 19 else None
        communities = [c for c in communities if c.pk == chosen_pk] or (
            list(visible.filter(pk=chosen_pk)) if chosen_pk is not None else []
        )
    name = request.GET.get("name", "").strip()[:50] if searches else ""
    compliance = None
    if office and checklist is not None:
        rows = query_int(request, "rows", minimum=1, maximum=LARGEST_PK) or 1
        try:
            compliance = month_compliance(
                checklist=checklist, year=year, month=month, today=today, page=rows, name=name
            )
        except EmptyPage:
            raise Http404(_("没有第 %(number)s 页") % {"number": rows}) from None
    duties = compliance.duties if compliance else (recurring_duties(checklist) if checklist else [])
    # what may be recorded: the active checklist's duties (usually the ones shown)
    active_duties = (
        duties
        if checklist is not None and checklist.status == Checklist.Status.ACTIVE
        else recurring_duties()
    )
    form = MeetingFilterForm(
        request.GET,
        duties=duties,
        communities=communities,
        periods=period_picker(checklists, year=year, month=month).groups,
        chosen=(year, month),
        searches_communities=searches,
    )
    form.is_valid()
    # ``Meeting.objects.visible_to(user)``, its communities named
    meetings = (
        meetings.for_month(year, month)
        .select_related("target__item", "community")
        .order_by("starts_at", "pk")
    )
    duty = form.cleaned_data.get("duty")
    if duty:
        meetings = meetings.filter(target_id=duty)
    chosen = form.cleaned_data.get("community")
    if chosen == "street":
        meetings = meetings.street_level()
    elif chosen:
        meetings = meetings.filter(community_id=int(chosen))
    if name:
        meetings = meetings.filter(community__name__icontains=name)
    page = query_page(request, Paginator(meetings, LIST_PAGE_SIZE))
    page.object_list = list(page.object_list)  # fetched here, not while drawing the page
    _count_attachments(page.object_list)
    own = [] if office else communities
    return render(
        request,
        "meetings/meeting_list.html",
        {
            "form": form,
            "year": year,
            "month": month,
            "page": page,
            "compliance": compliance,
            "office": office,
            "own_communities": own,
            "may_record": access.may_record(user, active_duties),
        },
    )


def _count_attachments(meetings: list[Meeting]) -> None:
    """Each meeting's ``attachment_count``: one query for the page's meetings (a count
    joined into the list's query would group the month's every meeting before paging)."""
    counts = dict(
        MeetingAttachment.objects.filter(meeting__in=[meeting.pk for meeting in meetings])
        .values_list("meeting_id")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for meeting in meetings:
        meeting.attachment_count = counts.get(meeting.pk, 0)  # type: ignore[attr-defined]


def _form_page(
    request: HttpRequest,
    *,
    meeting: Meeting | None,
    initial: dict[str, Any] | None = None,
) -> HttpResponse:
    """The record form (new or edit): shown, or validated and saved through a service. A
    rejected form keeps what was typed and saves nothing."""
    scope = access.recording_scope(request.user)
    if not scope:
        raise PermissionDenied(_("您不负责记录任何会议或例行工作。"))
    attendees = AttendeeChoices(
        scope.communities(), present=list(meeting.attendees.all()) if meeting else []
    )
    checklists = {duty.item.checklist_id for duty in scope.duties}
    items = list(Item.objects.filter(checklist__in=checklists).order_by("number"))
    form = MeetingForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        scope=scope,
        attendee_choices=attendees,
        items=items,
        meeting=meeting,
        initial=initial,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = _save(request, form, meeting)
            except ValidationError as error:
                _add_service_errors(form, error)
            else:
                return redirect(saved)
        messages.error(request, _("记录需要修改,请查看标红的提示。什么都还没有保存。"))
        status = 400
    return render(
        request,
        "meetings/meeting_form.html",
        {"form": form, "meeting": meeting},
        status=status,
    )


def _save(request: HttpRequest, form: MeetingForm, meeting: Meeting | None) -> Meeting:
    details = form.details()
    state = form.cleaned_data["state"]
    attachments = form.cleaned_data["attachments"]
    if meeting is not None:
        saved = services.meeting_update(
            meeting=meeting,
            details=details,
            state=state,
            by=logged_in_user(request),
            attachments=attachments,
        )
        messages.success(request, _("已保存会议记录。"))
    elif state == Meeting.State.HELD:
        saved = services.meeting_record(
            details=details, by=logged_in_user(request), attachments=attachments
        )
        messages.success(request, _("已记录会议,计入本月例行工作。"))
    else:
        saved = services.meeting_schedule(
            details=details, by=logged_in_user(request), attachments=attachments
        )
        messages.success(request, _("已安排会议,会前将提醒参会人员。"))
    return saved


def _add_service_errors(form: MeetingForm, error: ValidationError) -> None:
    """A service's ValidationError on the field it names, or on the whole form."""
    if hasattr(error, "error_dict") and set(error.error_dict) <= set(form.fields):
        form.add_error(None, error)
    else:
        form.add_error(None, error.messages)


def meeting_create(request: HttpRequest) -> HttpResponse:
    """Schedule or record a meeting; ``?duty=&community=`` preselect (the compliance
    tables link here)."""
    initial = {}
    for name in ("duty", "community"):
        if (pk := query_pk(request, name)) is not None:
            initial[name] = str(pk)
    return _form_page(request, meeting=None, initial=initial)


def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting_for_user(request, pk)
    _require_editable(request, meeting)
    if not meeting.is_editable():
        messages.error(request, _("这次会议已经取消,不能再修改。"))
        return redirect(meeting)
    if meeting.target.item.checklist.is_archived:
        messages.error(request, _("该年度清单已归档,只能查看。"))
        return redirect(meeting)
    return _form_page(request, meeting=meeting)


@require_safe
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting_for_user(request, pk)
    may_edit = (
        meeting.is_editable()
        and not meeting.target.item.checklist.is_archived
        and Meeting.objects.editable_by(request.user).filter(pk=meeting.pk).exists()
    )
    return render(
        request, "meetings/meeting_detail.html", {"meeting": meeting, "may_edit": may_edit}
    )


@require_POST
def meeting_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting_for_user(request, pk)
    _require_editable(request, meeting)
    try:
        services.meeting_cancel(meeting=meeting, by=logged_in_user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("已取消这次会议,它不再计入例行工作。"))
    return redirect(meeting)


def _attachment_for_user(request: HttpRequest, pk: int) -> MeetingAttachment:
    """The file if the user may see its meeting; 404 otherwise."""
    attachment = (
        MeetingAttachment.objects.filter(meeting__in=Meeting.objects.visible_to(request.user))
        .select_related("meeting")
        .filter(pk=pk)
        .first()
    )
    if attachment is None:
        raise Http404(_("没有找到这个附件,或您无权查看。"))
    return attachment


@require_safe
def meeting_attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """Serve a meeting's file to users who may see the meeting, with the content type read
    from its bytes at upload; images and PDF open inline, the rest download."""
    attachment = _attachment_for_user(request, pk)
    try:
        stored = attachment.file.open("rb")
    except FileNotFoundError:
        logger.error("Meeting attachment %s: file %s is missing", attachment.pk, attachment.file)
        raise Http404(_("这个附件的文件已丢失,请联系街道管理员。")) from None
    return private_file_response(
        stored, filename=attachment.original_name, content_type=attachment.content_type
    )


@require_POST
def meeting_attachment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = _attachment_for_user(request, pk)
    meeting = attachment.meeting
    _require_editable(request, meeting)
    try:
        services.meeting_attachment_remove(attachment=attachment, by=logged_in_user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("已删除附件“%(name)s”。") % {"name": attachment.original_name})
    return redirect(meeting)


# A community's page: its compounds, how it did on its recurring duties month by month,
# and its recent meetings.

RECENT_MEETINGS = 10


def _community_for_user(request: HttpRequest, pk: int) -> Community:
    """The community with its compound count and whether the user may download its ledger,
    if the user may see it (its own staff, unit staff, the street admin, leadership); 404
    otherwise."""
    downloadable = community_access.ledger_downloadable_communities(request.user)
    community = (
        community_access.communities_visible_to(request.user)
        .annotate(
            compound_count=Count("compounds"),
            may_download_ledger=Exists(downloadable.filter(pk=OuterRef("pk"))),
        )
        .filter(pk=pk)
        .first()
    )
    if community is None:
        raise Http404(_("没有找到这个社区,或您无权查看。"))
    return community


def _checklists_for(request: HttpRequest) -> tuple[Checklist | None, list[Checklist]]:
    """The checklist ``?period=`` or ``?year=`` names, or the one pages open on
    (``tasks.periods.opening_checklists``); and every checklist in use, for the picker
    (one query)."""
    year, _month = asked_period(request)
    checklists = list(opening_checklists(timezone.localdate()))
    if year is not None:
        return next((c for c in checklists if c.year == year), None), checklists
    return (checklists[0] if checklists else None), checklists


@require_safe
def community_detail(request: HttpRequest, pk: int) -> HttpResponse:
    community = _community_for_user(request, pk)
    checklist, checklists = _checklists_for(request)
    today = timezone.localdate()
    # The picker's month: the row of the year's table it marks.
    month = (asked_period(request)[1] or opening_month(checklist, today)) if checklist else None
    year = (
        compliance.community_year_compliance(checklist=checklist, community=community, today=today)
        if checklist is not None
        else None
    )
    # Whether the user records for this community: its own duties are all that matter.
    duties = (
        year.duties if year and checklist and checklist.status == Checklist.Status.ACTIVE else None
    )
    scope = access.recording_scope(
        request.user, duties=duties, communities=Community.objects.filter(pk=community.pk)
    )
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
            "month": month,
            "picker": period_picker(checklists, year=checklist.year, month=month)
            if checklist is not None and month is not None
            else None,
            "recent_meetings": recent,
            "may_record": community.pk in {c.pk for c in scope.communities()},
        },
    )
