"""The checklist overview and the filing side: the monthly workspace (本月填报) of a
community or unit, extension requests, and evidence files."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from communities import access
from core.files import private_file_response
from core.http import logged_in_user
from core.periods import FIRST_YEAR, LAST_YEAR, parse_int

from . import registers, services, signals, staging
from .evidence import ALLOWED_LABEL
from .filing import month_being_filed
from .forms import ExtensionRequestForm, ReportForm
from .models import Assignment, Checklist, Evidence, ProgressReport, prefetch_register_figures
from .periods import (
    PageChecklists,
    asked_period,
    opening_checklists,
    page_checklists,
    period_picker,
)
from .selectors import workspace_assignments

logger = logging.getLogger(__name__)


def checklists_asked(request: HttpRequest) -> QuerySet[Checklist]:
    """The checklist a page shows, as a queryset of at most one: ``?year=`` (or the year of
    ``?period=``), or the one pages open on (``tasks.periods.opening_checklists``: the
    latest not archived; drafts are not shown). A page may fetch it within a query of its
    own."""
    checklists = Checklist.objects.exclude(status=Checklist.Status.DRAFT)
    year, _month = asked_period(request)
    if year is not None:
        return checklists.filter(year=year)
    opening = opening_checklists(timezone.localdate()).values("pk")[:1]
    return checklists.filter(pk__in=opening)


def checklist_for(request: HttpRequest) -> Checklist:
    """The checklist the page shows (``checklists_asked``); 404 when there is none."""
    checklist = checklists_asked(request).first()
    if checklist is None:
        raise Http404(_("还没有启用的目标任务清单"))
    return checklist


def checklist_and_in_use(request: HttpRequest) -> tuple[Checklist, PageChecklists]:
    """The checklist the page shows, as ``checklist_for`` finds it, and the checklists in
    use the page's period picker offers, in one query; 404 when there is none."""
    checklists = page_checklists(timezone.localdate())
    checklist = checklists.of_year(asked_period(request)[0])
    if checklist is None:
        raise Http404(_("还没有启用的目标任务清单"))
    return checklist, checklists


def checklist_overview(request: HttpRequest) -> HttpResponse:
    """The year's checklist: the four pillars, every item with its lead units, responsible
    parties and targets."""
    checklist = checklist_for(request)
    items = list(checklist.items.with_details())
    pillars = list(checklist.pillars.all())
    for pillar in pillars:
        pillar.item_list = [item for item in items if item.pillar_id == pillar.pk]  # type: ignore[attr-defined]  # for the template
    return render(
        request,
        "tasks/checklist.html",
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


def filing_month(request: HttpRequest, checklists: PageChecklists) -> tuple[int, int]:
    """``?period=`` or ``?year=&month=``, or the period a filing page opens on when either
    is not given (``tasks.periods``: the month being filed of the latest checklist not
    archived, read from the ``checklists`` the page loaded); 404 for a year or month that
    is not one (``core.periods``)."""
    year, month = asked_period(request)
    if year is None or month is None:
        today = timezone.localdate()
        return checklists.being_filed(today) or month_being_filed(today)
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


# The filters of the page (``?show=``), each with the states of the items it shows.
# The same five states, with the same names, as the home page's filing panel (lazy: the
# labels are read in the language of each request).
SHOW_FILTERS = {
    "todo": gettext_lazy("待填报"),
    "draft": gettext_lazy("草稿"),
    "returned": gettext_lazy("被退回"),
    "submitted": gettext_lazy("已提交"),
    "approved": gettext_lazy("已通过"),
    "all": gettext_lazy("全部"),
}
# Where a report's workflow state puts it among the filters (no report yet: 待填报).
_FILTER_OF_STATE: dict[str, str] = {
    ProgressReport.WorkflowState.DRAFT: "draft",
    ProgressReport.WorkflowState.RETURNED: "returned",
    ProgressReport.WorkflowState.SUBMITTED: "submitted",
    ProgressReport.WorkflowState.APPROVED: "approved",
}
# Up to this many items to file, every item's inputs are shown open.
OPEN_UP_TO = 3
# The filters of work to do (the home page's button leads to them): their items are shown
# open, so that filling one takes no click to open it first.
OPEN_FILTERS = ("todo", "draft", "returned")
# What the buttons of one item do: save it, submit it, or confirm last month's figures.
ITEM_ACTIONS = ("save", "submit", "confirm")


def _shown_filter(request: HttpRequest) -> str:
    """``?show=`` (any value but a filter's name shows everything)."""
    show = request.GET.get("show", "all")
    return show if show in SHOW_FILTERS else "all"


@dataclass
class FilingMonth:
    """Everything the filing page knows about one month of the user's assignments."""

    year: int
    month: int
    checklist: Checklist | None
    assignments: list[Assignment]
    reports: dict[int, ProgressReport]
    previous: dict[int, ProgressReport]
    editable: list[Assignment]
    future: bool
    not_owed: bool
    figures: dict[registers.FigureKey, registers.Figure]
    checklists: PageChecklists  # the checklists in use: the month picker's

    def url(self, show: str = "all", anchor: str = "") -> str:
        query = f"?year={self.year}&month={self.month}"
        if show != "all":
            query += f"&show={show}"
        return f"{reverse('workspace')}{query}{'#' + anchor if anchor else ''}"


def _filing_month_of(
    request: HttpRequest, year: int, month: int, checklists: PageChecklists
) -> FilingMonth:
    """The month's assignments of the user, their reports and last month's, and which of
    them the user may still change; 403 for a user who files nothing. The year's
    checklist is one of the ``checklists`` in use the page loaded (a draft's, or none, is
    asked for)."""
    today = timezone.localdate()
    checklist = checklists.of_year(year) or Checklist.objects.filter(year=year).first()
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
    # The registers' figures of the month (frequency targets: the meeting register), for
    # every assignment at once.
    figures = (
        registers.figures(checklist=checklist, assignments=assignments, months=[month])
        if checklist is not None and checklist.year == year
        else {}
    )
    prefetch_register_figures(reports.values(), figures)  # counted_status() on the page
    return FilingMonth(
        year,
        month,
        checklist,
        assignments,
        reports,
        previous,
        editable,
        future,
        not_owed,
        figures,
        checklists,
    )


def _report_form(
    request: HttpRequest, filing: FilingMonth, assignment: Assignment, *, action: str = ""
) -> ReportForm:
    """The assignment's form: bound to the request when ``action`` is given (the files
    staged on an earlier refused save found again by the tokens the page posts back)."""
    staged: list[staging.StagedFile] = []
    if action:
        staged = staging.find(
            user_pk=logged_in_user(request).pk,
            assignment_pk=assignment.pk,
            tokens=request.POST.getlist(f"a{assignment.pk}-staged"),
        )
    return ReportForm(
        request.POST if action else None,
        None,  # the files are staged first (``_file_item``), then attached on a save
        assignment=assignment,
        report=filing.reports.get(assignment.pk),
        previous=filing.previous.get(assignment.pk),
        submitting=action == "submit",
        month=filing.month,
        figures=filing.figures,
        staged=staged,
    )


@dataclass
class Filed:
    """What became of one item posted: ``saved``, ``submitted``, ``unchanged`` (nothing
    to save), ``untouched`` (not given anything: not validated) or ``refused`` (the form
    carries the errors, and the files given are staged)."""

    form: ReportForm
    outcome: str


def _file_item(
    request: HttpRequest,
    filing: FilingMonth,
    assignment: Assignment,
    action: str,
    *,
    explicit: bool = False,
) -> Filed:
    """Save one item (and with ``submit``, submit it) in one transaction, through the
    services. Files given are staged first, so that a refused save keeps them. An item
    not touched is left alone, unless ``explicit`` (its own 提交 pressed)."""
    by = logged_in_user(request)
    form = _report_form(request, filing, assignment, action=action)
    refused_files: list[str] = []
    kind = request.POST.get(form.add_prefix("evidence_kind"), "")
    for upload in request.FILES.getlist(form.add_prefix("evidence_files")):
        try:
            form.staged.append(
                services.evidence_stage(assignment=assignment, upload=upload, kind=kind, by=by)
            )
        except ValidationError as error:
            refused_files.extend(error.messages)
    if not refused_files and not (explicit or form.is_touched(action)):
        return Filed(form, "untouched")
    valid = form.is_valid()
    if refused_files:
        form.add_error("evidence_files", refused_files)
        valid = False
    if not valid:
        return Filed(form, "refused")
    changed = form.has_changed() or action == "confirm" or form.report is None
    if not (changed or form.staged or action == "submit"):
        return Filed(form, "unchanged")
    try:
        with transaction.atomic():
            report = form.report
            version = form.cleaned_data["version"]
            if changed:
                report = services.progress_report_save(
                    assignment=assignment,
                    year=filing.year,
                    month=filing.month,
                    by=by,
                    status=form.cleaned_data["status"],
                    narrative=form.cleaned_data["narrative"],
                    values=form.value_inputs(),
                    version=version,
                    exception_requested=form.cleaned_data.get("exception_requested", False),
                    exception_reason=form.cleaned_data.get("exception_reason", ""),
                )
                version = report.version
            assert report is not None  # noqa: S101 (saved above when there was none)
            for staged in form.staged:
                services.evidence_attach_staged(report=report, staged=staged, by=by)
            if action == "submit":
                # Read again: the files just attached count for the evidence required.
                report = ProgressReport.objects.select_related("assignment__item").get(pk=report.pk)
                services.progress_report_submit(report=report, by=by, version=version)
    except services.ConcurrentEditError as error:
        form.add_error(None, str(error))
        return Filed(form, "refused")
    except ValidationError as error:
        # A service's error about one input (``services.value_field``) is shown at it.
        by_field = error.error_dict if hasattr(error, "error_dict") else {}
        if by_field and all(name in form.fields for name in by_field):
            for name, errors in by_field.items():
                form.add_error(name, errors)
        else:
            form.add_error(None, error.messages)
        return Filed(form, "refused")
    return Filed(form, "submitted" if action == "submit" else "saved")


def _page_context(
    request: HttpRequest,
    filing: FilingMonth,
    *,
    show: str,
    bound: dict[int, ReportForm] | None = None,
    with_rows: bool = True,
) -> dict[str, Any]:
    """The page: the items of the filter shown, grouped by party, each with its form when
    the user may still change it (``bound``: the forms of a refused post), the index of
    every item with its state, the counts of the filters and the error summary."""
    bound = bound or {}
    editable = {a.pk for a in filing.editable}
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    index = []
    counts = dict.fromkeys(SHOW_FILTERS, 0)
    errors: list[tuple[Assignment, str, str, str]] = []
    prefilled = 0  # the items shown with last month's figures: 全部沿用上月 takes them
    for assignment in filing.assignments:
        report = filing.reports.get(assignment.pk)
        state = _FILTER_OF_STATE[report.workflow_state] if report else "todo"
        counts[state] += 1
        counts["all"] += 1
        shown = show in ("all", state)
        index.append(
            {
                "assignment": assignment,
                "report": report,
                "state": state,
                "href": f"#a{assignment.pk}" if shown else filing.url("all", f"a{assignment.pk}"),
                "has_errors": assignment.pk in bound and bool(bound[assignment.pk].errors),
            }
        )
        if not (shown and with_rows):
            continue
        form = None
        if assignment.pk in editable:
            form = bound.get(assignment.pk) or _report_form(request, filing, assignment)
            prefilled += form.prefilled
            errors.extend((assignment, *link) for link in form.error_links())
        row = _row(filing, assignment, form, show=show)
        # A party with few items to file sees them open, and so does one that asked for
        # its work to do; on the whole month (mostly read-only) they open the one they want.
        row["open"] = len(filing.editable) <= OPEN_UP_TO or show in OPEN_FILTERS
        groups[str(assignment.party)].append(row)
    return {
        "year": filing.year,
        "month": filing.month,
        "checklist": filing.checklist,
        "groups": dict(groups),
        "index": index,
        "show": show,
        "filters": [(key, label, counts[key]) for key, label in SHOW_FILTERS.items()],
        "filled_count": len(filing.reports),
        "submitted_count": counts["submitted"],
        "total_count": len(filing.assignments),
        "editable_count": len(filing.editable),
        "prefilled_count": prefilled,
        "error_summary": errors,
        "future": filing.future,
        "not_owed": services.not_owed_message(filing.checklist, filing.month)
        if filing.checklist is not None and filing.not_owed
        else "",
        "months": filing.checklist.months_owed() if filing.checklist else range(1, 13),
        # The month picker (``includes/period_picker.html``), keeping the filter shown.
        "picker": period_picker(
            filing.checklists.in_use,
            year=filing.year,
            month=filing.month,
            keep=request.GET,
            keep_names=("show",),
        ),
        "today": timezone.localdate(),
        "upload_help": _upload_help(),
        "extension_form": ExtensionRequestForm(
            assignments=filing.editable or filing.assignments,
            initial={"year": filing.year, "month": filing.month},
        ),
    }


def _upload_help() -> str:
    return _("可上传%(types)s,每个文件不超过 %(limit)s MB。") % {
        "types": ALLOWED_LABEL,
        "limit": settings.EVIDENCE_MAX_MEGABYTES,
    }


def _row(
    filing: FilingMonth, assignment: Assignment, form: ReportForm | None, *, show: str
) -> dict[str, Any]:
    """One item of the page, as ``tasks/filing_item.html`` shows it."""
    report = filing.reports.get(assignment.pk)
    return {
        "assignment": assignment,
        "report": report,
        "form": form,
        "evaluations": report.evaluate(filing.figures) if report and form is None else [],
        "deadline": assignment.filing_deadline(filing.year, filing.month),
        "extensions": [
            e
            for e in assignment.extensions.all()
            if (e.year, e.month) == (filing.year, filing.month)
        ],
        "item_url": f"{reverse('workspace_item', args=[assignment.pk])}"
        f"?year={filing.year}&month={filing.month}" + (f"&show={show}" if show != "all" else ""),
    }


def _refusal(filing: FilingMonth) -> str:
    """Why nothing of the month can be filed, or "" when it can."""
    if filing.future:
        return _("不能填报未来的月份。")
    if filing.not_owed:
        assert filing.checklist is not None  # noqa: S101 (not_owed says so)
        return services.not_owed_message(filing.checklist, filing.month)
    if not filing.editable:
        return _("本月没有可以修改的月报(可能已经全部提交)。")
    return ""


def workspace(request: HttpRequest) -> HttpResponse:
    """本月填报: every assignment of the user's community or unit for one month. Each item
    saves and submits on its own (``workspace_item``); the page's buttons save the items
    the user changed, submit the items filled or confirmed, or confirm last month's
    figures for every item not touched. An untouched item is neither validated nor saved;
    a refused item keeps what was typed and the files given (staged), the others are
    saved."""
    checklists = page_checklists(timezone.localdate())
    year, month = filing_month(request, checklists)
    filing = _filing_month_of(request, year, month, checklists)
    show = _shown_filter(request)
    if request.method != "POST":
        return render(request, "tasks/workspace.html", _page_context(request, filing, show=show))

    if refusal := _refusal(filing):
        level = (
            messages.info
            if filing.editable == [] and not (filing.future or filing.not_owed)
            else messages.error
        )
        level(request, refusal)
        return redirect(filing.url(show))
    action = "submit" if "submit" in request.POST else "save"
    confirming = "confirm_all" in request.POST
    results: list[Filed] = []
    # One transaction for the page's items, each item in a savepoint of its own (a refused
    # item is rolled back alone), and the summary rows and scores brought up to date once
    # for all of them before it commits (``progress_collected``): 38 items submitted at
    # once refreshed the summaries 76 times, which took longer than the server's timeout.
    with transaction.atomic(), signals.progress_collected():
        for assignment in filing.editable:
            # Only the items the page showed are posted (a filter hides the others): an
            # item absent from the post is left as it is, never saved blank.
            if f"a{assignment.pk}-version" not in request.POST:
                continue
            item_action = action
            if confirming:
                prefilled = assignment.pk not in filing.reports and assignment.pk in filing.previous
                item_action = "confirm" if prefilled else "save"
            results.append(_file_item(request, filing, assignment, item_action))
    done = [r for r in results if r.outcome in ("saved", "submitted")]
    refused = [r for r in results if r.outcome == "refused"]
    if done:
        if action == "submit":
            message = _("已提交 %(n)s 份月报,等待牵头单位审核。")
        elif confirming:
            message = _("已沿用上月数据,保存 %(n)s 份草稿。")
        else:
            message = _("草稿已保存(%(n)s 份有改动)。")
        messages.success(request, message % {"n": len(done)})
    if refused:
        messages.error(
            request,
            _("有 %(n)s 项任务的填写需要修改,请查看标红的提示;这些任务还没有保存。")
            % {"n": len(refused)},
        )
        filing = _filing_month_of(request, year, month, checklists)  # the items saved, now
        bound = {r.form.assignment.pk: r.form for r in refused}
        return render(
            request,
            "tasks/workspace.html",
            _page_context(request, filing, show=show, bound=bound),
            status=400,
        )
    if not done:
        if action == "submit":
            messages.info(
                request,
                _("没有可以提交的任务:请先填写,或点“沿用上月”确认上月的数据。"),
            )
        else:
            messages.info(request, _("没有改动,未保存。"))
    return redirect(filing.url(show))


ITEM_MESSAGES = {
    "saved": gettext_lazy("已保存。"),
    "submitted": gettext_lazy("已提交,等待牵头单位审核。"),
    "unchanged": gettext_lazy("没有改动,未保存。"),
    "untouched": gettext_lazy("没有改动,未保存。"),
    "refused": gettext_lazy("这项任务的填写需要修改,请查看标红的提示;还没有保存。"),
}


@require_POST
def workspace_item(request: HttpRequest, pk: int) -> HttpResponse:
    """One item of the filing page saved, submitted or confirmed (沿用上月) on its own.
    From the page's script (htmx) the answer is the item again, with its errors at the
    fields or its new state, and the page's index and progress line; without script, a
    redirect to the page (or the page with the item's errors)."""
    checklists = page_checklists(timezone.localdate())
    year, month = filing_month(request, checklists)
    show = _shown_filter(request)
    assignment = Assignment.objects.filter(pk=pk).first()
    if (
        assignment is None
        or not Assignment.objects.fileable_by(request.user).filter(pk=pk).exists()
    ):
        # Only the party's staff file: whoever sees every party is refused, the rest
        # do not learn whether the assignment exists.
        if assignment is not None and access.sees_everything(request.user):
            raise PermissionDenied(_("只有该任务的责任单位人员可以填报。"))
        raise Http404(_("没有找到这项任务,或您无权填报。"))
    filing = _filing_month_of(request, year, month, checklists)
    found = [a for a in filing.assignments if a.pk == pk]
    if not found:
        raise Http404(_("没有找到这项任务,或您无权填报。"))
    action = request.POST.get("action", "save")
    if action not in ITEM_ACTIONS:
        action = "save"
    htmx = request.headers.get("HX-Request") == "true"
    editable = any(a.pk == pk for a in filing.editable)
    refusal = _refusal(filing) or ("" if editable else _("这份月报已提交或已审核,不能再修改。"))
    if refusal:
        if not htmx:
            messages.error(request, refusal)
            return redirect(filing.url(show, f"a{pk}"))
        filed, message = None, refusal
    else:
        filed = _file_item(request, filing, found[0], action, explicit=action == "submit")
        message = str(ITEM_MESSAGES[filed.outcome])
    refused = filed is not None and filed.outcome == "refused"
    if not htmx:
        if refused:
            assert filed is not None  # noqa: S101
            messages.error(request, message)
            filing = _filing_month_of(request, year, month, checklists)
            context = _page_context(request, filing, show=show, bound={pk: filed.form})
            return render(request, "tasks/workspace.html", context, status=400)
        level = (
            messages.info
            if filed and filed.outcome in ("unchanged", "untouched")
            else (messages.success)
        )
        level(request, message)
        return redirect(filing.url(show, f"a{pk}"))
    # The item as it is now: its bound form when refused, a fresh one after a save.
    if not refused:
        filing = _filing_month_of(request, year, month, checklists)
    bound = {pk: filed.form} if refused and filed is not None else {}
    context = _page_context(request, filing, show=show, bound=bound, with_rows=False)
    [assignment] = [a for a in filing.assignments if a.pk == pk]
    form = bound.get(pk)
    if form is None and any(a.pk == pk for a in filing.editable):
        form = _report_form(request, filing, assignment)
    context.update(
        row=_row(filing, assignment, form, show=show),
        item_message=message,
        item_refused=refused or bool(refusal),
        oob=True,
    )
    return render(request, "tasks/filing_item_response.html", context)


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
