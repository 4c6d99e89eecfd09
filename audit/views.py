"""The auditors' export of the 修改记录 (street admin only)."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from core.files import XLSX_CONTENT_TYPE
from core.typing import AnyUser

from .export import history_workbook

# Street admins hold every permission of the tasks app ("tasks.*"), this one included;
# leadership, lead units and communities do not.
EXPORT_PERMISSION = "tasks.view_historicalprogressreport"
LONGEST_PERIOD = datetime.timedelta(days=366)


def may_export_history(user: AnyUser) -> bool:
    return isinstance(user, User) and user.has_perm(EXPORT_PERMISSION)


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                raise ValidationError(_("结束日期不能早于开始日期。"))
            if end - start > LONGEST_PERIOD:
                raise ValidationError(_("一次最多导出一年的修改记录。"))
        return cleaned


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@require_safe
def history_export(request: HttpRequest) -> HttpResponseBase:
    if not may_export_history(request.user):
        raise PermissionDenied
    if "start" not in request.GET:
        today = timezone.localdate()
        form = PeriodForm(initial={"start": today.replace(day=1), "end": today})
        return render(request, "audit/export.html", {"form": form})
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return render(request, "audit/export.html", {"form": form}, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    stream = history_workbook(_day_start(start), _day_start(end + datetime.timedelta(days=1)))
    filename = f"修改记录_{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
    response = FileResponse(stream, content_type=XLSX_CONTENT_TYPE)
    disposition = content_disposition_header(True, filename)
    if disposition is not None:
        response["Content-Disposition"] = disposition
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # Written to the security log as a data export (core.security).
    response.security_export = filename  # type: ignore[attr-defined]
    return response
