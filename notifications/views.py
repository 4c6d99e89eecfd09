from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from tasks.models import Assignment, ProgressReport
from yijia.http import local_url

from . import services
from .models import Message, UrgeNotice, party_assignments

INBOX_PAGE_SIZE = 30


def inbox(request: HttpRequest) -> HttpResponse:
    """消息: the user's messages, newest first, unread ones marked."""
    messages = Message.objects.for_user(request.user).order_by("-created_at", "-pk")
    if request.GET.get("unread"):
        messages = messages.unread()
    page = Paginator(messages, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "unread_only": bool(request.GET.get("unread"))},
    )


@require_POST
def message_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one message read; with ``open`` go on to the page it links to."""
    message = get_object_or_404(Message.objects.for_user(request.user), pk=pk)
    services.message_mark_read(message=message, user=request.user)
    if request.POST.get("open") and message.url:
        if local_url(request, message.url):
            return HttpResponseRedirect(message.url)
    return HttpResponseRedirect(reverse("inbox"))


@require_POST
def messages_read_all(request: HttpRequest) -> HttpResponse:
    services.messages_mark_all_read(user=request.user)
    return HttpResponseRedirect(reverse("inbox"))


# ---------------------------------------------------------------------------------------
# Urges (催办)


class UrgeSendForm(forms.Form):
    """What the 催办 button of a late cell posts (``notifications/urge_button.html``)."""

    assignment = forms.ModelChoiceField(
        queryset=Assignment.objects.all(),
        error_messages={"invalid_choice": gettext_lazy("没有找到这项任务分派。")},
    )
    year = forms.IntegerField(min_value=2000, max_value=2100)
    month = forms.IntegerField(min_value=1, max_value=12)
    text = forms.CharField(required=False, max_length=500)
    next = forms.CharField(required=False)


@require_POST
def urge_send(request: HttpRequest) -> HttpResponse:
    """Send an urge from a late cell; back to the page the button was on."""
    form = UrgeSendForm(request.POST)
    back = local_url(request, request.POST.get("next", ""))
    if not form.is_valid():
        errors = " ".join(str(e) for field_errors in form.errors.values() for e in field_errors)
        flash.error(request, _("未能催办:") + errors)
        return HttpResponseRedirect(back or reverse("home"))
    assignment, year, month = (form.cleaned_data[key] for key in ("assignment", "year", "month"))
    if not services.may_urge(request.user, assignment):
        raise PermissionDenied(_("只有街道管理员或该任务的牵头单位可以催办。"))
    try:
        urge = services.urge_send(
            assignment=assignment,
            year=year,
            month=month,
            by=request.user,
            text=form.cleaned_data["text"],
        )
    except ValidationError as error:
        flash.error(request, _("未能催办:") + " ".join(error.messages))
        return HttpResponseRedirect(back or reverse("home"))
    flash.success(
        request,
        _("已催办%(party)s填报第 %(number)s 项 %(month)s月进展,等待对方确认收到。")
        % {"party": urge.assignment.party, "number": urge.assignment.item.number, "month": month},
    )
    return HttpResponseRedirect(back or urge.get_absolute_url())


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
        "notifications/urge_detail.html",
        {
            "urge": urge,
            "assignment": urge.assignment,
            "item": urge.assignment.item,
            "deadline": urge.filing_deadline(),
            "days_late": urge.days_late(timezone.localdate()),
            "report": report,
            "is_party_staff": is_party_staff,
            "workspace_url": f"{reverse('workspace')}?year={urge.year}&month={urge.month}",
        },
    )


@require_POST
def urge_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    urge = _urge_for_user(request, pk)
    urge = services.urge_acknowledge(urge=urge, by=request.user)
    flash.success(request, _("已确认收到催办,请尽快填报。"))
    return HttpResponseRedirect(urge.get_absolute_url())
