"""Filing, submitting and reviewing a report through the API: the pages' forms validate
(``tasks.forms.ReportForm``, ``tasks.review_forms``) and the pages' services write
(``tasks.services``), in the order the filing page (``tasks.views._file_item``) and the
report page (``tasks.review_views._decide``) call them. So a request refused here is
refused on the page too, with the same words."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from communities import access
from tasks import registers, services
from tasks.forms import ReportForm
from tasks.models import Assignment, Evidence, ProgressReport
from tasks.review_forms import ApproveForm, ReturnForm
from tasks.selectors import report_for_user

from .errors import Refused, structured

# The columns of a value the request may give, each an input of the filing form.
VALUE_INPUTS = (*services.VALUE_COLUMNS, "denominator_reason")


def fileable_assignment(user: User, pk: int) -> Assignment:
    """The assignment if ``user`` files for it, with what the filing form needs. As the
    filing page answers: 403 for whoever sees every party (they read, the party files),
    404 for the others, who do not learn whether it exists."""
    assignment = (
        Assignment.objects.fileable_by(user)
        .select_related("item__checklist", "item__pillar", "community", "unit")
        .prefetch_related("item__targets", "item__evidence_requirements", "community__compounds")
        .filter(pk=pk)
        .first()
    )
    if assignment is None:
        if access.sees_everything(user) and Assignment.objects.filter(pk=pk).exists():
            raise PermissionDenied(_("只有该任务的责任单位人员可以填报。"))
        raise Http404(_("没有找到这项任务,或您无权填报。"))
    return assignment


def _form_data(assignment: Assignment, body: Mapping[str, Any]) -> dict[str, Any]:
    """The request's content as the filing page posts it (``a<assignment>-<input>``). A
    target left out of ``values`` is posted empty, as the page posts an empty input."""
    prefix = f"a{assignment.pk}-"
    version = body.get("version")
    data: dict[str, Any] = {
        "status": body.get("status", ""),
        "narrative": body.get("narrative") or "",
        "exception_requested": bool(body.get("exception_requested")),
        "exception_reason": body.get("exception_reason") or "",
        "version": "" if version is None else version,
        # No file comes by the API (JSON only); the form asks for a kind all the same.
        "evidence_kind": Evidence.Kind.PHOTO,
    }
    values = body.get("values") or []
    if not isinstance(values, list) or not all(isinstance(given, dict) for given in values):
        raise Refused({"values": [_("values 应为列表,每项是一个指标的数值。")]})
    targets = {target.pk for target in assignment.targets()}
    for given in values:
        target = given.get("target")
        if not isinstance(target, int) or target not in targets:
            raise Refused({"values": [_("指标 %(target)s 不属于这项任务。") % {"target": target}]})
        for column in VALUE_INPUTS:
            value = given.get(column)
            if column == "is_done" and isinstance(value, bool):
                value = "yes" if value else "no"
            data[f"t{target}_{column}"] = "" if value is None else value
    return {f"{prefix}{name}": value for name, value in data.items()}


def report_file(
    *,
    assignment: Assignment,
    year: int,
    month: int,
    body: Mapping[str, Any],
    by: User,
    report: ProgressReport | None,
) -> ProgressReport | None:
    """Save the party's report of ``year``-``month`` (``report``: the one filed already,
    or None), and submit it with ``body["submit"]``, in one transaction. Returns the report
    as saved, or None when nothing changed and nothing was to be submitted (the page's
    没有改动,未保存). Raises ``Refused`` for the form's errors, ValidationError,
    PermissionDenied or ConcurrentEditError for the services'."""
    checklist = assignment.item.checklist
    if checklist.is_archived:
        raise ValidationError(services.ARCHIVED_MESSAGE, code="archived")
    if report is not None and not report.is_editable_by_party():
        raise ValidationError(_("这份月报已提交或已审核,不能再修改。"), code="locked")
    submit = body.get("submit") is True
    figures = (
        registers.figures(checklist=checklist, assignments=[assignment], months=[month])
        if checklist.year == year
        else {}
    )
    form = ReportForm(
        _form_data(assignment, body),
        None,
        assignment=assignment,
        report=report,
        submitting=submit,
        month=month,
        figures=figures,
    )
    if not form.is_valid():
        raise Refused(structured(form.errors))
    changed = form.has_changed() or report is None
    if not (changed or submit):
        return None
    with transaction.atomic():
        version = form.cleaned_data["version"]
        if changed:
            report = services.progress_report_save(
                assignment=assignment,
                year=year,
                month=month,
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
        if submit:
            report = ProgressReport.objects.select_related("assignment__item").get(pk=report.pk)
            report = services.progress_report_submit(report=report, by=by, version=version)
    return report


def report_submit(*, report: ProgressReport, body: Mapping[str, Any], by: User) -> ProgressReport:
    """Hand a saved draft (or a corrected returned report) to the lead unit."""
    version = body.get("version")
    if version is not None and not isinstance(version, int):
        raise Refused({"version": [_("version 应为整数。")]})
    return services.progress_report_submit(report=report, by=by, version=version)


def reviewed_report(user: User, pk: int) -> ProgressReport:
    """The report if ``user`` may open it (404 otherwise), and 403 unless the user's unit
    leads its item: the report page's two refusals."""
    report = report_for_user(user, pk)
    if not Assignment.objects.reviewable_by(user).filter(pk=report.assignment_id).exists():
        raise PermissionDenied(_("只有该任务的牵头单位可以审核。"))
    return report


def report_approve(*, report: ProgressReport, body: Mapping[str, Any], by: User) -> ProgressReport:
    accepted = body.get("exception_accepted")
    if accepted is True or accepted is False:
        accepted = "1" if accepted else "0"  # the radio buttons' values
    data = {"comment": body.get("comment") or "", "exception_accepted": accepted or ""}
    form = ApproveForm(data, report=report)
    if not form.is_valid():
        raise Refused(structured(form.errors))
    return services.progress_report_approve(report=report, by=by, **form.cleaned_data)


def report_return(*, report: ProgressReport, body: Mapping[str, Any], by: User) -> ProgressReport:
    form = ReturnForm({"comment": body.get("comment") or ""})
    if not form.is_valid():
        raise Refused(structured(form.errors))
    return services.progress_report_return(report=report, by=by, **form.cleaned_data)
