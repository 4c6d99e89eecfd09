"""The checklist overview and the filing side: the monthly workspace (本月填报) of a
community or unit, extension requests, and evidence files."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.files import private_file_response
from core.http import logged_in_user
from core.periods import FIRST_YEAR, LAST_YEAR, parse_int, query_month, query_year

from . import registers, services
from .filing import month_being_filed
from .forms import ExtensionRequestForm, ReportForm
from .models import Assignment, Checklist, Evidence, ProgressReport, prefetch_register_figures
from .selectors import workspace_assignments

logger = logging.getLogger(__name__)


def checklists_asked(request: HttpRequest) -> QuerySet[Checklist]:
    """The checklist a page shows, as a queryset of at most one: ``?year=``, or the newest
    one in use (drafts are not shown). A page may fetch it within a query of its own."""
    checklists = Checklist.objects.exclude(status=Checklist.Status.DRAFT)
    year = query_year(request)
    if year is not None:
        return checklists.filter(year=year)
    return checklists.filter(pk__in=checklists.order_by("-year").values("pk")[:1])


def checklist_for(request: HttpRequest) -> Checklist:
    """The checklist the page shows (``checklists_asked``); 404 when there is none."""
    checklist = checklists_asked(request).first()
    if checklist is None:
        raise Http404(_("还没有启用的目标任务清单"))
    return checklist


def home(request: HttpRequest) -> HttpResponse:
    """The year's checklist: the four pillars, every item with its lead units, responsible
    parties and targets."""
    checklist = checklist_for(request)
    items = list(checklist.items.with_details())
    pillars = list(checklist.pillars.all())
    for pillar in pillars:
        pillar.item_list = [item for item in items if item.pillar_id == pillar.pk]  # type: ignore[attr-defined]  # for the template
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


def filing_month(request: HttpRequest) -> tuple[int, int]:
    """``?year=&month=``, or the month being filed now when either is not given, kept
    within the months owed of the checklist in use (``Checklist.being_filed``); 404 for a
    year or month that is not one (``core.periods``)."""
    year, month = query_year(request), query_month(request)
    if year is None or month is None:
        today = timezone.localdate()
        return Checklist.being_filed(today) or month_being_filed(today)
    return year, month


def _month_reports(
    assignments: list[Assignment], year: int, month: int, *, with_evidence: bool = True
) -> dict[int, ProgressReport]:
    """The month's reports by assignment, with their values (and evidence files, which
    last month's reports, read only to prefill the form, do not need)."""
    reports = ProgressReport.objects.filter(
        assignment__in=assignments, year=year, month=month
    ).prefetch_related("values")
    if with_evidence:
        reports = reports.prefetch_related(
            Prefetch("evidence", queryset=Evidence.objects.order_by("uploaded_at"))
        )
    by_pk = {assignment.pk: assignment for assignment in assignments}
    month_reports = {}
    for report in reports:
        # The prefetched assignment, so that judging a report (its targets, its deadline)
        # costs no query per row.
        report.assignment = by_pk[report.assignment_id]
        month_reports[report.assignment_id] = report
    return month_reports


def workspace(request: HttpRequest) -> HttpResponse:
    """本月填报: every assignment of the user's community or unit for one month, in one
    form that saves a draft or submits all. A rejected form keeps what was typed; nothing
    is saved unless everything is valid."""
    year, month = filing_month(request)
    today = timezone.localdate()
    checklist = Checklist.objects.filter(year=year).first()
    assignments = workspace_assignments(request.user, year=year) if checklist else []
    if not assignments and not Assignment.objects.fileable_by(request.user).exists():
        raise PermissionDenied(_("您不负责填报任何任务。"))
    future = (year, month) > (today.year, today.month)
    # A month before the checklist took effect is shown (a report may exist from before
    # the rule), never filed: the service refuses it too.
    not_owed = checklist is not None and not checklist.owes_month(year, month)
    reports = _month_reports(assignments, year, month)
    previous = {}
    if month > 1:
        previous = _month_reports(assignments, year, month - 1, with_evidence=False)

    editable = [
        a for a in assignments if a.pk not in reports or reports[a.pk].is_editable_by_party()
    ]
    if future or not_owed or (checklist and checklist.status == Checklist.Status.ARCHIVED):
        editable = []
    submitting = request.method == "POST" and "submit" in request.POST

    # The registers' figures of the month (frequency targets: the meeting register), for
    # every assignment at once.
    figures = (
        registers.figures(checklist=checklist, assignments=assignments, months=[month])
        if checklist is not None and checklist.year == year
        else {}
    )
    prefetch_register_figures(reports.values(), figures)  # counted_status() on the page

    def build(assignment: Assignment, data: bool) -> ReportForm:
        return ReportForm(
            request.POST if data else None,
            request.FILES if data else None,
            assignment=assignment,
            report=reports.get(assignment.pk),
            previous=previous.get(assignment.pk),
            submitting=submitting,
            month=month,
            figures=figures,
        )

    status = 200
    if request.method == "POST":
        if future:
            messages.error(request, _("不能填报未来的月份。"))
            return redirect(f"{reverse('workspace')}?year={year}&month={month}")
        if not_owed:
            assert checklist is not None  # noqa: S101 (not_owed says so)
            messages.error(request, services.not_owed_message(checklist, month))
            return redirect(f"{reverse('workspace')}?year={year}&month={month}")
        if not editable:
            messages.info(request, _("本月没有可以修改的月报(可能已经全部提交)。"))
            return redirect(f"{reverse('workspace')}?year={year}&month={month}")
        forms = {a.pk: build(a, data=True) for a in editable}
        # Every form is validated, so that the page shows all that needs fixing at once.
        if all([form.is_valid() for form in forms.values()]):
            saved = _save_forms(request, forms.values(), year=year, month=month)
            if saved is not None:
                if submitting:
                    messages.success(
                        request, _("已提交 %(n)s 份月报,等待牵头单位审核。") % {"n": saved}
                    )
                else:
                    messages.success(request, _("草稿已保存(%(n)s 份有改动)。") % {"n": saved})
                return redirect(f"{reverse('workspace')}?year={year}&month={month}")
        else:
            invalid = sum(1 for form in forms.values() if form.errors)
            messages.error(
                request,
                _("有 %(n)s 项任务的填写需要修改,请查看标红的提示。什么都还没有保存。")
                % {"n": invalid},
            )
        status = 400
    else:
        forms = {a.pk: build(a, data=False) for a in editable}

    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for assignment in assignments:
        report = reports.get(assignment.pk)
        groups[str(assignment.party)].append(
            {
                "assignment": assignment,
                "report": report,
                "form": forms.get(assignment.pk),
                "evaluations": report.evaluate(figures)
                if report and assignment.pk not in forms
                else [],
                "deadline": assignment.filing_deadline(year, month),
                "extensions": [
                    e for e in assignment.extensions.all() if (e.year, e.month) == (year, month)
                ],
            }
        )
    return render(
        request,
        "tasks/workspace.html",
        {
            "year": year,
            "month": month,
            "checklist": checklist,
            "groups": dict(groups),
            "editable_count": len(forms),
            "future": future,
            "not_owed": services.not_owed_message(checklist, month)
            if checklist is not None and not_owed
            else "",
            "months": checklist.months_owed() if checklist else range(1, 13),
            "today": today,
            "extension_form": ExtensionRequestForm(
                assignments=editable or assignments, initial={"year": year, "month": month}
            ),
        },
        status=status,
    )


def _save_forms(
    request: HttpRequest, forms: Iterable[ReportForm], *, year: int, month: int
) -> int | None:
    """Save (and with ``submit``, submit) every form in one transaction. Returns how many
    reports were written, or None after attaching the error to its form."""
    submitting = "submit" in request.POST
    saved = 0
    current: ReportForm | None = None
    stored: list[Evidence] = []
    committed = False
    try:
        with transaction.atomic():
            for current in forms:
                uploads = current.cleaned_data["evidence_files"]
                if not (submitting or current.has_changed() or uploads):
                    continue
                report = services.progress_report_save(
                    assignment=current.assignment,
                    year=year,
                    month=month,
                    by=logged_in_user(request),
                    status=current.cleaned_data["status"],
                    narrative=current.cleaned_data["narrative"],
                    values=current.value_inputs(),
                    version=current.cleaned_data["version"],
                    exception_requested=current.cleaned_data.get("exception_requested", False),
                    exception_reason=current.cleaned_data.get("exception_reason", ""),
                )
                for upload in uploads:
                    stored.append(
                        services.evidence_add(
                            report=report,
                            upload=upload,
                            kind=current.cleaned_data["evidence_kind"],
                            by=logged_in_user(request),
                        )
                    )
                if submitting:
                    services.progress_report_submit(report=report, by=logged_in_user(request))
                saved += 1
        committed = True
    except services.ConcurrentEditError as error:
        assert current is not None  # noqa: S101
        current.add_error(None, str(error))
        messages.error(request, str(error))
        return None
    except ValidationError as error:
        assert current is not None  # noqa: S101
        # A service's error about one input (``services.value_field``) is shown at it.
        by_field = error.error_dict if hasattr(error, "error_dict") else {}
        if by_field and all(name in current.fields for name in by_field):
            for name, errors in by_field.items():
                current.add_error(name, errors)
        else:
            current.add_error(None, error.messages)
        messages.error(request, _("有任务不能保存,请查看标红的提示。什么都还没有保存。"))
        return None
    finally:
        if not committed:
            # The rollback took the Evidence rows back, not the files already written.
            for evidence in stored:
                evidence.file.storage.delete(evidence.file.name)
    return saved


@require_POST
def extension_request(request: HttpRequest) -> HttpResponse:
    """A party asks its lead unit for a later filing deadline for one month."""
    assignments = Assignment.objects.fileable_by(request.user).select_related(
        "item__checklist", "community", "unit"
    )
    form = ExtensionRequestForm(request.POST, assignments=assignments)
    back = reverse("workspace")
    try:
        year_given = parse_int(request.POST.get("year"), minimum=FIRST_YEAR, maximum=LAST_YEAR)
        month_given = parse_int(request.POST.get("month"), minimum=1, maximum=12)
    except ValueError:
        year_given = month_given = None  # the form says what is wrong
    if year_given is not None and month_given is not None:
        back = f"{back}?year={year_given}&month={month_given}"  # the month asked about
    if form.is_valid():
        year, month = form.cleaned_data["year"], form.cleaned_data["month"]
        try:
            services.extension_request(
                assignment=form.cleaned_data["assignment"],
                year=year,
                month=month,
                requested_deadline=form.cleaned_data["requested_deadline"],
                reason=form.cleaned_data["reason"],
                by=logged_in_user(request),
            )
        except ValidationError as error:
            messages.error(request, _("延期申请未提交:") + " ".join(error.messages))
        else:
            messages.success(request, _("延期申请已提交,等待牵头单位审批。"))
    else:
        messages.error(
            request,
            _("延期申请未提交:")
            + " ".join(str(e) for errors in form.errors.values() for e in errors),
        )
    return redirect(f"{back}#extension")


def _evidence_for_user(request: HttpRequest, pk: int) -> Evidence:
    """The evidence file if the user may see its report; 404 otherwise."""
    evidence = (
        Evidence.objects.filter(report__in=ProgressReport.objects.visible_to(request.user))
        .select_related("report__assignment")
        .filter(pk=pk)
        .first()
    )
    if evidence is None:
        raise Http404(_("没有找到这份材料,或您无权查看。"))
    return evidence


def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    """Serve an evidence file to users who may see its report, with the content type read
    from its bytes at upload; images and PDF open inline, the rest download."""
    evidence = _evidence_for_user(request, pk)
    try:
        stored = evidence.file.open("rb")
    except FileNotFoundError:
        logger.error("Evidence %s: its file %s is missing", evidence.pk, evidence.file.name)
        raise Http404(_("这份材料的文件已丢失,请联系街道管理员。")) from None
    return private_file_response(
        stored, filename=evidence.original_name, content_type=evidence.content_type
    )


@require_POST
def evidence_delete(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = _evidence_for_user(request, pk)
    report = evidence.report
    try:
        services.evidence_remove(evidence=evidence, by=logged_in_user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("已删除材料“%(name)s”。") % {"name": evidence.original_name})
    return redirect(f"{reverse('workspace')}?year={report.year}&month={report.month}")
