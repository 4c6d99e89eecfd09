"""Review side: the lead unit's queue, a report's page, approve / return / reopen,
extension decisions, and an item's status across its parties for a month.

Each action loads what it acts on through the user's visibility first (404 for what they
may not see), checks the user's role on it (403), validates its form, then calls the
service, which checks again and applies the step once in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from communities import access
from core.http import logged_in_user
from core.periods import query_page
from core.typing import AnyUser

from . import registers, services
from .models import (
    Assignment,
    Checklist,
    DeadlineExtension,
    Evaluation,
    Item,
    ProgressReport,
    evaluate_assignment_month,
    prefetch_register_figures,
)
from .review_forms import (
    ApproveForm,
    ExtensionDecisionForm,
    ItemMonthForm,
    ReopenForm,
    ReturnForm,
    ReviewFilterForm,
)
from .selectors import report_for_user, reports_with_details

QUEUE_PAGE_SIZE = 50
# Pending extension requests are few (one per assignment and month at most, decided within
# days); the queue shows the oldest ones and says when there are more.
EXTENSIONS_SHOWN = 50


def _reviews(user: AnyUser, assignment_id: int) -> bool:
    """Whether the user's unit leads the assignment's item (one query)."""
    return Assignment.objects.reviewable_by(user).filter(pk=assignment_id).exists()


def _files(user: AnyUser, assignment_id: int) -> bool:
    return Assignment.objects.fileable_by(user).filter(pk=assignment_id).exists()


def _require_reviewer(user: AnyUser, report: ProgressReport) -> None:
    if not _reviews(user, report.assignment_id):
        raise PermissionDenied(_("只有该任务的牵头单位可以审核。"))


def _add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Attach a service's ValidationError to the form: to the field it names when the form
    has that field, to the whole form otherwise."""
    if hasattr(error, "error_dict") and set(error.error_dict) <= set(form.fields):
        form.add_error(None, error)
    else:
        form.add_error(None, error.messages)


# ---------------------------------------------------------------------------------------
# The queue


@dataclass(frozen=True)
class QueueRow:
    report: ProgressReport
    evaluations: list[Evaluation]
    late: bool


@require_safe
def review_queue(request: HttpRequest) -> HttpResponse:
    """待审核: the reports on items the user's unit leads (drafts never), filtered, with
    the pending extension requests. Users who see everything read every party's reports
    here; they act only where their own unit leads the item."""
    user = request.user
    reviewed = Assignment.objects.reviewable_by(user)
    everything = access.sees_everything(user)
    reviews_any = reviewed.exists()
    if not (everything or reviews_any):
        raise PermissionDenied(_("您所在的单位没有牵头的任务,没有需要审核的月报。"))

    covered = Assignment.objects.all() if everything else reviewed
    filtering = bool(set(request.GET) & set(ReviewFilterForm.base_fields))
    form = ReviewFilterForm(
        request.GET if filtering else ReviewFilterForm.DEFAULT,
        assignments=covered,
        offer_mine=everything and reviews_any,
    )
    lookups = form.filter_values()
    reports = reports_with_details(user).exclude(workflow_state=ProgressReport.WorkflowState.DRAFT)
    if not everything or form.cleaned_data.get("mine"):
        reports = reports.reviewable_by(user)
    may_review = Exists(reviewed.filter(pk=OuterRef("assignment_id")))
    reports = (
        reports.filter(**lookups)
        .annotate(may_review=may_review)
        .order_by(
            "-year",
            "-month",
            "assignment__item__number",
            "assignment__community__order",
            "assignment__unit__order",
            "pk",
        )
    )
    page = query_page(request, Paginator(reports, QUEUE_PAGE_SIZE))
    today = timezone.localdate()
    on_page = list(page)
    prefetch_register_figures(on_page)  # the meeting register's figures, for all at once
    rows = [QueueRow(report, report.evaluate(), report.is_late(today)) for report in on_page]

    pending = (
        DeadlineExtension.objects.pending()
        .select_related(
            "assignment__item__checklist",
            "assignment__community",
            "assignment__unit",
            "requested_by",
        )
        .prefetch_related("assignment__extensions")
        .annotate(may_decide=may_review)
        .order_by("requested_at", "pk")
    )
    if not everything:
        pending = pending.filter(assignment__in=reviewed)
    extensions = list(pending[: EXTENSIONS_SHOWN + 1])

    return render(
        request,
        "tasks/review_queue.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "extensions": [
                (extension, extension.assignment.filing_deadline(extension.year, extension.month))
                for extension in extensions[:EXTENSIONS_SHOWN]
            ],
            "more_extensions": len(extensions) > EXTENSIONS_SHOWN,
            "reviews_any": reviews_any,
        },
    )


# ---------------------------------------------------------------------------------------
# A report and the decisions on it


def _report_page(
    request: HttpRequest,
    report: ProgressReport,
    *,
    bound: forms.Form | None = None,
    status: int = 200,
) -> HttpResponse:
    """The report page; ``bound`` is a rejected action form shown again with its errors
    and what was typed."""
    user = request.user
    state = ProgressReport.WorkflowState
    # An archived year's report is only read: no action is offered (the services refuse).
    open_year = not report.assignment.item.checklist.is_archived
    may_review = (
        open_year
        and report.workflow_state == state.SUBMITTED
        and _reviews(user, report.assignment_id)
    )
    may_reopen = (
        open_year and report.workflow_state == state.APPROVED and access.may_reopen_reports(user)
    )
    may_edit = open_year and report.is_editable_by_party() and _files(user, report.assignment_id)

    def form(form_class: type[forms.Form], prefix: str) -> forms.Form:
        if isinstance(bound, form_class):
            return bound
        if form_class is ApproveForm:
            return ApproveForm(auto_id=f"{prefix}_%s", report=report)
        return form_class(auto_id=f"{prefix}_%s")

    evaluations = report.evaluate()

    return render(
        request,
        "tasks/report_detail.html",
        {
            "report": report,
            "item": report.assignment.item,
            "evaluations": evaluations,
            "judged_status": report.judged_status(evaluations),
            "late": report.is_late(timezone.localdate()),
            "extensions": [
                extension
                for extension in report.assignment.extensions.all()
                if (extension.year, extension.month) == (report.year, report.month)
            ],
            "missing_evidence": report.missing_evidence_kinds(),
            "approve_form": form(ApproveForm, "approve") if may_review else None,
            "return_form": form(ReturnForm, "return") if may_review else None,
            "reopen_form": form(ReopenForm, "reopen") if may_reopen else None,
            "may_edit": may_edit,
        },
        status=status,
    )


@require_safe
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _report_page(request, report_for_user(request.user, pk))


def _decide(
    request: HttpRequest,
    report: ProgressReport,
    form: forms.Form,
    action: Any,
    **arguments: Any,
) -> HttpResponse | None:
    """Run a review service with the form's data. Returns the response for a refusal, or
    None when the step was applied."""
    if not form.is_valid():
        return _report_page(request, report, bound=form, status=400)
    try:
        action(report=report, by=request.user, **arguments, **form.cleaned_data)
    except services.ConcurrentEditError as error:
        # Someone (or a double click) moved the report on: nothing was applied twice.
        messages.error(request, str(error))
        return redirect("report_detail", pk=report.pk)
    except ValidationError as error:
        _add_service_errors(form, error)
        return _report_page(request, report, bound=form, status=400)
    return None


@require_POST
def report_approve(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for_user(request.user, pk)
    _require_reviewer(request.user, report)
    form = ApproveForm(request.POST, auto_id="approve_%s", report=report)
    refusal = _decide(request, report, form, services.progress_report_approve)
    if refusal is not None:
        return refusal
    messages.success(request, _("已审核通过:%(report)s。") % {"report": report})
    return redirect("review_queue")


@require_POST
def report_return(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for_user(request.user, pk)
    _require_reviewer(request.user, report)
    form = ReturnForm(request.POST, auto_id="return_%s")
    refusal = _decide(request, report, form, services.progress_report_return)
    if refusal is not None:
        return refusal
    messages.success(request, _("已退回:%(report)s,等待%(party)s修改后重新提交。") % _names(report))
    return redirect("review_queue")


@require_POST
def report_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for_user(request.user, pk)
    if not access.may_reopen_reports(request.user):
        raise PermissionDenied(_("只有街道管理员可以重新打开已审核的月报。"))
    form = ReopenForm(request.POST, auto_id="reopen_%s")
    refusal = _decide(request, report, form, services.progress_report_reopen)
    if refusal is not None:
        return refusal
    messages.success(request, _("已重新打开:%(report)s,已退回%(party)s修改。") % _names(report))
    return redirect("report_detail", pk=report.pk)


def _names(report: ProgressReport) -> dict[str, str]:
    return {"report": str(report), "party": str(report.assignment.party)}


def _extension_for_user(user: AnyUser, pk: int) -> DeadlineExtension:
    """The extension request if the user may see it (its party, the item's lead unit,
    and those who see everything); 404 otherwise."""
    extension = (
        DeadlineExtension.objects.visible_to(user)
        .select_related("assignment__item__checklist", "assignment__community", "assignment__unit")
        .filter(pk=pk)
        .first()
    )
    if extension is None:
        raise Http404(_("没有找到这份延期申请,或您无权查看。"))
    return extension


@require_POST
def extension_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The lead unit grants or refuses a pending extension request (once)."""
    extension = _extension_for_user(request.user, pk)
    if not _reviews(request.user, extension.assignment_id):
        raise PermissionDenied(_("只有该任务的牵头单位可以审批延期。"))
    form = ExtensionDecisionForm(request.POST)
    if not form.is_valid():
        problems = [str(error) for errors in form.errors.values() for error in errors]
        messages.error(request, _("延期申请未审批:") + " ".join(problems))
        return redirect("review_queue")
    try:
        services.extension_decide(
            extension=extension,
            by=logged_in_user(request),
            grant=form.cleaned_data["grant"],
            comment=form.cleaned_data["comment"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("review_queue")
    names = {
        "party": str(extension.assignment.party),
        "item": extension.assignment.item.number,
        "period": f"{extension.year}年{extension.month}月",
        "date": f"{extension.requested_deadline:%Y-%m-%d}",
    }
    if form.cleaned_data["grant"]:
        message = _("已批准%(party)s第 %(item)s 项%(period)s月报延期至 %(date)s。") % names
    else:
        message = _("已不批准%(party)s第 %(item)s 项%(period)s月报的延期申请。") % names
    messages.success(request, message)
    return redirect("review_queue")


# ---------------------------------------------------------------------------------------
# An item across its parties


@dataclass(frozen=True)
class PartyMonth:
    """One party's row of an item's month: its report if the user may open it."""

    assignment: Assignment
    report: ProgressReport | None
    unsubmitted: bool  # a draft exists that the user may not open
    evaluations: list[Evaluation]
    late: bool


def _item_month(request: HttpRequest, checklist: Checklist) -> tuple[int, int]:
    """``?year=&month=``, by default the month being filed now within the checklist's
    months owed (``Checklist.month_being_filed``), kept inside the checklist's year. A
    value that is not a year or month leaves the default (the month picker is a form: it
    shows the month it fell back to)."""
    year, month = checklist.year, checklist.month_being_filed(timezone.localdate())
    form = ItemMonthForm(request.GET)
    if form.is_valid() and form.cleaned_data["month"]:
        year = form.cleaned_data["year"] or checklist.year
        month = form.cleaned_data["month"]
    return min(max((year, month), (checklist.year, 1)), (checklist.year, 12))


@require_safe
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An item with its targets and parties, and each party's state for one month. Users
    who see everything and the item's lead units see every party (a lead unit not the
    parties' drafts); everyone else sees their own party's row."""
    item = get_object_or_404(Item.objects.with_details(), pk=pk)
    year, month = _item_month(request, item.checklist)
    user = request.user
    everything = access.sees_everything(user)
    sees_all_parties = everything or (
        Assignment.objects.reviewable_by(user).filter(item=item).exists()
    )
    own = set(Assignment.objects.fileable_by(user).filter(item=item).values_list("pk", flat=True))

    month_reports = ProgressReport.objects.filter(year=year, month=month)
    # ``item.assignments`` gives every assignment the same ``item`` (with its prefetched
    # targets), and the reports prefetch points each report back at its assignment, so
    # judging the targets below needs no further query.
    assignments = list(
        item.assignments.select_related("community", "unit")
        .prefetch_related(
            # this month's extensions are all ``filing_deadline(year, month)`` reads
            Prefetch(
                "extensions", queryset=DeadlineExtension.objects.filter(year=year, month=month)
            ),
            Prefetch(
                "reports",
                queryset=month_reports.visible_to(user).prefetch_related("values"),
                to_attr="visible_reports",
            ),
        )
        .annotate(has_report=Exists(month_reports.filter(assignment=OuterRef("pk"))))
        .order_by("is_street_level", "community__order", "unit__order")
    )

    today = timezone.localdate()
    # The meeting register's figures (frequency targets) of every party, at once.
    figures = registers.figures(
        checklist=item.checklist,
        assignments=assignments,
        months=[month] if item.checklist.year == year else [],
    )
    rows = []
    for assignment in assignments:
        if not (sees_all_parties or assignment.pk in own):
            continue
        reports = assignment.visible_reports  # type: ignore[attr-defined]  # Prefetch to_attr
        report = reports[0] if reports else None
        # An unfiled month is late once its deadline passed: ask the model, with a report
        # that is not saved.
        judged = report or ProgressReport(assignment=assignment, year=year, month=month)
        rows.append(
            PartyMonth(
                assignment=assignment,
                report=report,
                unsubmitted=report is None and assignment.has_report,  # type: ignore[attr-defined]  # annotate()
                evaluations=evaluate_assignment_month(
                    assignment, report, year=year, month=month, figures=figures
                ),
                late=judged.is_late(today),
            )
        )
    return render(
        request,
        "tasks/item_detail.html",
        {
            "item": item,
            "assignments": assignments,
            "year": year,
            "month": month,
            "month_form": ItemMonthForm(initial={"year": year, "month": month}),
            "rows": rows,
            "sees_all_parties": sees_all_parties,
        },
    )
