"""Every write to the checklist goes through these functions, each in one transaction."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import islice
from pathlib import Path, PurePath
from typing import Any

import yaml
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from communities import access
from communities.models import Community, Unit
from core.dates import month_name
from core.history import record_change, recorded_by
from notifications.models import Message
from notifications.services import notify, party_staff

from . import registers, staging
from .evidence import evidence_content_type
from .models import (
    Assignment,
    Checklist,
    DeadlineExtension,
    Evidence,
    EvidenceRequirement,
    Item,
    ItemLeadUnit,
    Pillar,
    ProgressReport,
    ReportTransition,
    Target,
    TargetValue,
    judge_status,
)
from .signals import (
    assignments_changed,
    checklist_rolled_over,
    checklist_status_changed,
    progress_changed_send,
)

TARGET_FIELDS = (
    "title",
    "threshold",
    "numerator_label",
    "denominator_label",
    "denominator_source",
    "unit_label",
    "period",
    "level",
    "due_date",
)


ARCHIVED_MESSAGE = "该年度清单已归档,只能查看。"


def _check_not_archived(checklist: Checklist) -> None:
    """An archived year is closed (``checklist_archive``): everything of it is shown,
    nothing of it changes."""
    if checklist.is_archived:
        raise ValidationError(ARCHIVED_MESSAGE, code="archived")


def checklist_load_file(*, path: Path) -> Checklist:
    with path.open(encoding="utf-8") as stream:
        return checklist_load(data=yaml.safe_load(stream))


@transaction.atomic
def checklist_load(*, data: Mapping[str, Any]) -> Checklist:
    """Create or update a year's checklist, its units, pillars, items and targets from the
    structure of ``fixtures/checklist_<year>.yaml``. Loading the same file twice changes
    nothing; reports already filed are kept."""
    for order, unit_data in enumerate(data.get("units", []), start=1):
        Unit.objects.update_or_create(
            name=unit_data["name"],
            defaults={
                "kind": unit_data["kind"],
                "is_joint_meeting_member": unit_data.get("joint_meeting_member", True),
                "order": order,
            },
        )
    units = {unit.name: unit for unit in Unit.objects.all()}

    checklist_data = data["checklist"]
    loaded = Checklist.objects.filter(year=checklist_data["year"]).first()
    if loaded is not None:
        _check_not_archived(loaded)
    checklist, _ = Checklist.objects.update_or_create(
        year=checklist_data["year"],
        defaults={
            "title": checklist_data["title"],
            "document_number": checklist_data.get("document_number", ""),
            "issuing_bodies": "\n".join(checklist_data.get("issuing_bodies", [])),
            "issued_on": checklist_data.get("issued_on"),
            "status": checklist_data.get("status", Checklist.Status.ACTIVE),
            "filing_day": checklist_data.get("filing_day", 5),
            # Left out, it takes effect on its issue date (``Checklist.save``), and a date
            # set in the admin is kept when the file is loaded again.
            **(
                {"takes_effect_on": checklist_data["takes_effect_on"]}
                if "takes_effect_on" in checklist_data
                else {}
            ),
        },
    )
    for pillar_data in data["pillars"]:
        pillar, _ = Pillar.objects.update_or_create(
            checklist=checklist,
            number=pillar_data["number"],
            defaults={"name": pillar_data["name"]},
        )
        for item_data in pillar_data["items"]:
            _item_load(checklist=checklist, pillar=pillar, data=item_data, units=units)
    return checklist


def _unit_named(units: Mapping[str, Unit], name: str) -> Unit:
    try:
        return units[name]
    except KeyError:
        raise ValidationError(f"未知单位“{name}”:请先在 units 中列出。") from None


def _item_load(
    *, checklist: Checklist, pillar: Pillar, data: Mapping[str, Any], units: Mapping[str, Unit]
) -> Item:
    item, _ = Item.objects.update_or_create(
        checklist=checklist,
        number=data["number"],
        defaults={
            "pillar": pillar,
            "text": data["text"],
            "responsible_scope": data["scope"],
            "due_date": data.get("due_date"),
            "legal_reference": data.get("legal_reference", ""),
        },
    )
    lead_units = [_unit_named(units, name) for name in data["lead_units"]]
    item.lead_unit_links.all().delete()
    ItemLeadUnit.objects.bulk_create(
        ItemLeadUnit(item=item, unit=unit, order=order)
        for order, unit in enumerate(lead_units, start=1)
    )
    item.responsible_units.set(
        [_unit_named(units, name) for name in data.get("responsible_units", [])]
    )
    for order, target_data in enumerate(data.get("targets", []), start=1):
        defaults = {field: target_data.get(field) for field in TARGET_FIELDS}
        defaults = {
            key: ("" if value is None and key not in ("threshold", "due_date") else value)
            for key, value in defaults.items()
        }
        defaults["level"] = defaults["level"] or Target.Level.PARTY
        defaults["kind"] = target_data["kind"]
        target = item.targets.filter(order=order).first() or Target(item=item, order=order)
        for field, value in defaults.items():
            setattr(target, field, value)
        try:
            target.full_clean()  # before saving: the database would refuse it less clearly
        except ValidationError as error:
            raise ValidationError(
                f"第 {item.number} 项第 {order} 个目标“{target.title}”:{'；'.join(error.messages)}"
            ) from None
        target.save()
    item.targets.filter(order__gt=len(data.get("targets", []))).delete()
    # The evidence a report must carry before it may say 已完成: what the file lists, no
    # more (an item without ``evidence`` requires none).
    kinds = list(data.get("evidence", []))
    if unknown := [kind for kind in kinds if kind not in Evidence.Kind.values]:
        raise ValidationError(f"第 {item.number} 项:未知的佐证材料类型“{'、'.join(unknown)}”。")
    item.evidence_requirements.exclude(kind__in=kinds).delete()
    EvidenceRequirement.objects.bulk_create(
        [EvidenceRequirement(item=item, kind=kind) for kind in kinds], ignore_conflicts=True
    )
    return item


def _assignment_parties(
    item: Item, active_communities: list[Community]
) -> tuple[list[Community], list[Unit]]:
    scope = Item.Scope
    if item.responsible_scope == scope.ALL_COMMUNITIES:
        return active_communities, []
    if item.responsible_scope == scope.JOINT_MEETING_MEMBERS:
        return [], list(Unit.objects.joint_meeting_members())
    if item.responsible_scope == scope.NAMED_UNITS:
        return [], list(item.responsible_units.all())
    return [], []  # 相关社区: the street admin picks the communities concerned


@transaction.atomic
def assignments_generate(*, checklist: Checklist) -> int:
    """Create the assignments each item's scope implies, and for an item with street-level
    targets the assignment of its primary lead unit. Existing assignments (and their
    reports) are kept, so running it again after adding a community only adds what is
    missing. Returns how many assignments were created."""
    _check_not_archived(checklist)
    existing: set[tuple[int, int | None, int | None, bool]] = set(
        Assignment.objects.filter(item__checklist=checklist).values_list(
            "item_id", "community_id", "unit_id", "is_street_level"
        )
    )
    wanted: list[Assignment] = []

    def want(
        item: Item,
        *,
        community: Community | None = None,
        unit: Unit | None = None,
        is_street_level: bool = False,
    ) -> None:
        key = (
            item.pk,
            community.pk if community else None,
            unit.pk if unit else None,
            is_street_level,
        )
        if key not in existing:
            existing.add(key)
            wanted.append(
                Assignment(
                    item=item, community=community, unit=unit, is_street_level=is_street_level
                )
            )

    active_communities = list(Community.objects.active())
    for item in checklist.items.with_details():
        communities, units = _assignment_parties(item, active_communities)
        for community in communities:
            want(item, community=community)
        for unit in units:
            want(item, unit=unit)
        if item.has_street_level_targets() and (lead := item.primary_lead_unit) is not None:
            want(item, unit=lead, is_street_level=True)
    # One statement per thousand rows: a city's 6,000 communities × 40 items included.
    Assignment.objects.bulk_create(wanted, batch_size=1000)
    if wanted:
        assignments_changed.send(sender=Assignment, checklist_id=checklist.pk)
    return len(wanted)


@transaction.atomic
def assignment_set_communities(*, item: Item, communities: list[Community]) -> None:
    """Choose the communities concerned by a 相关社区 item. Communities dropped from the
    list lose their assignment only if they have filed nothing for it."""
    _check_not_archived(item.checklist)
    if item.responsible_scope != Item.Scope.SELECTED_COMMUNITIES:
        raise ValidationError("只有责任单位为“相关社区”的任务才能选择社区。")
    wanted = {community.pk for community in communities}
    current = item.assignments.filter(community__isnull=False)
    removable = current.exclude(community__in=wanted)
    if removable.filter(reports__isnull=False).exists():
        raise ValidationError("已有填报记录的社区不能移出本任务。")
    removable.delete()
    existing = set(current.values_list("community_id", flat=True))
    Assignment.objects.bulk_create(
        Assignment(item=item, community=community)
        for community in communities
        if community.pk not in existing
    )
    assignments_changed.send(sender=Assignment, checklist_id=item.checklist_id)


# ---------------------------------------------------------------------------------------
# Monthly progress: filing, review, extensions. Views, admin actions and jobs call these;
# each checks that ``by`` may act (a second line behind the views' own checks) and runs in
# one transaction. State changes are conditional updates on (state, version), so that a
# double-clicked button or two people at once never apply a step twice.


class ConcurrentEditError(Exception):
    """The report changed since the user's form was built."""

    message = "这份月报在您编辑期间已被他人修改或提交,请刷新页面查看最新内容后再操作。"

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ValueInput:
    """The figures a form gives for one target (only the columns of its kind are read)."""

    numerator: int | None = None
    denominator: int | None = None
    quantity: int | None = None
    achieved_on: datetime.date | None = None
    is_done: bool | None = None
    # Why the denominator differs from the compound register's count, where the target
    # takes it from the register (``Target.denominator_source``).
    denominator_reason: str = ""


VALUE_COLUMNS = ("numerator", "denominator", "quantity", "achieved_on", "is_done")


def value_field(target: Target, column: str) -> str:
    """The name of a target's input on the filing form, and the key a service's error
    about that input is raised under (so the form shows it at the field)."""
    return f"t{target.pk}_{column}"


def _require(condition: bool, message: str = "您没有权限进行此操作。") -> None:
    if not condition:
        raise PermissionDenied(message)


def _may_file(by: User, assignment: Assignment) -> bool:
    return Assignment.objects.fileable_by(by).filter(pk=assignment.pk).exists()


def _may_save_report(by: User, assignment: Assignment) -> bool:
    """The party's staff, or the street admin saving it on the party's behalf (the
    spreadsheet import of reports collected from the parties)."""
    return access.may_file_for_every_party(by) or _may_file(by, assignment)


def _may_review(by: User, assignment: Assignment) -> bool:
    return Assignment.objects.reviewable_by(by).filter(pk=assignment.pk).exists()


def _check_month(checklist: Checklist, year: int, month: int) -> None:
    today = timezone.localdate()
    if (year, month) > (today.year, today.month):
        raise ValidationError("不能填报未来的月份。", code="future_month")
    if year != checklist.year:
        raise ValidationError(
            gettext("%(year)s年度清单只能填报%(year)s年的月份。") % {"year": checklist.year},
            code="other_year",
        )
    _check_not_archived(checklist)
    if checklist.status == Checklist.Status.DRAFT:
        raise ValidationError("该年度清单还是草稿,尚未开始填报。", code="draft_checklist")
    if not checklist.owes_month(year, month):
        raise ValidationError(not_owed_message(checklist, month), code="month_not_owed")


def not_owed_message(checklist: Checklist, month: int) -> str:
    """Why ``month`` of the checklist's year is not filed (nor reminded, nor counted), in
    the page's language: 本月填报 shows it on a month not owed."""
    months = checklist.months_owed()
    takes_effect = checklist.takes_effect_on
    names = {
        "year": checklist.year,
        "month": month_name(month),
        "date": date_format(takes_effect, "DATE_FORMAT") if takes_effect else "",
        "first": month_name(months[0]) if months else "",
        "last": month_name(12),
    }
    if takes_effect and months:
        message = gettext(
            "%(year)s年度清单自%(date)s起生效,只须填报%(first)s至%(last)s的进展,"
            "%(month)s不在应报月份内。"
        )
    elif takes_effect:
        message = gettext(
            "%(year)s年度清单自%(date)s起生效,本年度无须填报月度进展,%(month)s不在应报月份内。"
        )
    elif months:
        message = gettext(
            "%(year)s年度清单只须填报%(first)s至%(last)s的进展,%(month)s不在应报月份内。"
        )
    else:
        message = gettext("%(year)s年度清单本年度无须填报月度进展,%(month)s不在应报月份内。")
    return message % names


def _check_values(assignment: Assignment, values: Mapping[int, ValueInput]) -> None:
    """Figures no report may hold, whatever the path they come by (the filing form says
    the same at its inputs)."""
    today = timezone.localdate()
    problems = []
    for target in assignment.targets():
        given = values.get(target.pk)
        if given is None:
            continue
        numerator, denominator = given.numerator, given.denominator
        if numerator is not None and denominator is not None and numerator > denominator:
            problems.append(f"指标“{target.title}”的分子({numerator})不能大于分母({denominator})。")
        if given.achieved_on is not None and given.achieved_on > today:
            problems.append(f"指标“{target.title}”的完成日期不能晚于今天。")
    if problems:
        raise ValidationError({"values": problems})


def _check_registered(assignment: Assignment, values: Mapping[int, ValueInput]) -> None:
    """A denominator the compound register gives is that count, or comes with a reason."""
    problems: dict[str, str] = {}
    for target in assignment.targets():
        registered = target.registered_denominator(assignment.community)
        given = values.get(target.pk)
        if registered is None or given is None or given.denominator is None:
            continue
        if given.denominator != registered and not given.denominator_reason.strip():
            problems[value_field(target, "denominator_reason")] = (
                f"指标“{target.title}”的分母({given.denominator})与登记数({registered})不同,"
                "请写明原因。"
            )
    if problems:
        raise ValidationError(problems)


def deadline_met_message(target: Target, met: TargetValue) -> str:
    """Why a deadline target approved as met cannot be reported otherwise."""
    return gettext(
        "指标“%(target)s”已于%(date)s完成,%(month)s月报已审核通过;"
        "不能清空完成日期或改为更晚的日期。如需更正,请街道管理员先重新打开该月报。"
    ) % {
        "target": target.title,
        "date": f"{met.achieved_on:%Y-%m-%d}",
        "month": month_name(met.report.month),
    }


def _check_deadlines_met(
    assignment: Assignment, year: int, month: int, values: Mapping[int, ValueInput]
) -> None:
    """A deadline target met, as an approved earlier report states, stays met."""
    met = assignment.deadlines_met(year, before_month=month)
    problems: dict[str, str] = {}
    for target in assignment.targets():
        if target.pk not in met:
            continue
        achieved_on = values.get(target.pk, ValueInput()).achieved_on
        approved_on = met[target.pk].achieved_on
        assert approved_on is not None  # noqa: S101 (deadlines_met finds dates only)
        if achieved_on is None or achieved_on > approved_on:
            problems[value_field(target, "achieved_on")] = deadline_met_message(
                target, met[target.pk]
            )
    if problems:
        raise ValidationError(problems)


@recorded_by
@transaction.atomic
def progress_report_save(
    *,
    assignment: Assignment,
    year: int,
    month: int,
    by: User,
    status: str,
    narrative: str,
    values: Mapping[int, ValueInput],
    version: int | None,
    exception_requested: bool = False,
    exception_reason: str = "",
) -> ProgressReport:
    """Save the party's report for a month as it stands (a draft, or a returned report
    being corrected). ``version`` is the version the user's form showed (None for a report
    not created yet); if the report moved on since, nothing is saved and
    ``ConcurrentEditError`` is raised.

    ``status`` is the status the party declares. Where targets measure the item, the
    status stored is the one their verdicts give (``tasks.models.judge_status``), unless
    the party asks with ``exception_requested`` and a reason that its declared status
    count: the lead unit decides on approval, and until then the judged one counts. An
    exception asking for the status the targets give already is nothing to decide and is
    not kept. Every save asks for a fresh decision."""
    _require(_may_save_report(by, assignment))
    _check_month(assignment.item.checklist, year, month)
    if status == ProgressReport.Status.LAGGING and not narrative.strip():
        raise ValidationError({"narrative": "进展滞后时,请在进展情况中说明原因和措施。"})
    if exception_requested and not exception_reason.strip():
        raise ValidationError({"exception_reason": "申请按申报状态认定时,请写明理由。"})
    _check_values(assignment, values)
    _check_registered(assignment, values)
    _check_deadlines_met(assignment, year, month, values)
    # A target judged from a register (frequency: the meeting register) takes its figure
    # from there; a value typed for it is ignored (and not stored).
    figures = registers.figures(
        checklist=assignment.item.checklist, assignments=[assignment], months=[month]
    )
    judged = judge_status(
        target.evaluate(
            TargetValue(
                **{
                    column: getattr(values.get(target.pk, ValueInput()), column)
                    for column in VALUE_COLUMNS
                }
            ),
            year=year,
            month=month,
            figure=figures.get((target.pk, assignment.pk, month)),
        ).verdict
        for target in assignment.targets()
    )
    exception = ProgressReport.ExceptionState
    wants_exception = exception_requested and judged is not None and judged != status
    written = {
        "status": judged or status,
        "declared_status": status,
        "narrative": narrative,
        "exception_state": exception.PENDING if wants_exception else exception.NONE,
        "exception_reason": exception_reason.strip() if wants_exception else "",
        "exception_decided_by": None,
        "exception_decided_at": None,
    }

    report = ProgressReport.objects.filter(assignment=assignment, year=year, month=month).first()
    if report is None:
        if version is not None:
            raise ConcurrentEditError
        try:
            with transaction.atomic():
                report = ProgressReport.objects.create(
                    assignment=assignment, year=year, month=month, **written
                )
        except IntegrityError:
            raise ConcurrentEditError from None  # created by someone else a moment ago
    else:
        if not report.is_editable_by_party():
            raise ValidationError("这份月报已提交或已审核,不能再修改。", code="locked")
        if version is None:
            raise ConcurrentEditError  # the form showed no report; one was created since
        updated = ProgressReport.objects.filter(
            pk=report.pk, version=version, workflow_state=report.workflow_state
        ).update(**written, version=F("version") + 1, updated_at=timezone.now())
        if not updated:
            raise ConcurrentEditError
        report.refresh_from_db()
        record_change(report, by=by)  # update() bypasses save(): the 修改记录 row

    for target in assignment.targets():
        given = values.get(target.pk, ValueInput())
        if target.is_judged_from_register:
            given = ValueInput()  # the register gives the figure, not the party
        registered = target.registered_denominator(assignment.community)
        differs = given.denominator is not None and given.denominator != registered
        TargetValue.objects.update_or_create(
            report=report,
            target=target,
            defaults={
                **{column: getattr(given, column) for column in VALUE_COLUMNS},
                "denominator_registered": registered,
                "denominator_reason": given.denominator_reason.strip()
                if registered is not None and differs
                else "",
            },
        )
    _progress_changed(report)
    return report


def _progress_changed(report: ProgressReport) -> None:
    progress_changed_send(
        ProgressReport,
        assignment_id=report.assignment_id,
        year=report.year,
        month=report.month,
    )


def progress_report_missing_for_submission(*, report: ProgressReport) -> list[str]:
    """What stops a report from being submitted, in words for the form: targets left
    empty, a missing explanation, evidence the item requires before 已完成."""
    problems = []
    values = {value.target_id: value for value in report.values.all()}
    for target in report.assignment.targets():
        if target.is_judged_from_register:
            continue  # the register gives its figure; nothing to fill in
        value = values.get(target.pk)
        if value is None or not value.is_filled_for(target):
            problems.append(f"指标“{target.title}”未填写")
    # The party's own words: a declared 滞后 is explained, a declared 已完成 backed by the
    # evidence the item asks for (the only proof where no target measures the item).
    if report.declared_status == ProgressReport.Status.LAGGING and not report.narrative.strip():
        problems.append("进展滞后时须说明原因")
    if report.declared_status == ProgressReport.Status.COMPLETED:
        missing = report.missing_evidence_kinds()
        if missing:
            problems.append("标记为已完成前还需上传:" + "、".join(missing))
    return problems


def _transition(
    *,
    report: ProgressReport,
    from_states: tuple[str, ...],
    to_state: str,
    by: User,
    comment: str = "",
    version: int | None = None,
    **fields: Any,
) -> ProgressReport:
    """Move the report to ``to_state`` if it is still in one of ``from_states`` (and at
    ``version`` when given), and record the step. Raises ConcurrentEditError otherwise."""
    # The state as the database has it now, row locked, so the history records the true
    # "from" even when the caller's object is stale.
    current = (
        ProgressReport.objects.select_for_update()
        .values_list("workflow_state", flat=True)
        .get(pk=report.pk)
    )
    rows = ProgressReport.objects.filter(pk=report.pk, workflow_state__in=from_states)
    if version is not None:
        rows = rows.filter(version=version)
    if not rows.update(
        workflow_state=to_state, version=F("version") + 1, updated_at=timezone.now(), **fields
    ):
        raise ConcurrentEditError
    ReportTransition.objects.create(
        report=report, from_state=current, to_state=to_state, by=by, comment=comment
    )
    report.refresh_from_db()
    record_change(report, by=by)  # update() bypasses save(): the 修改记录 row
    _progress_changed(report)
    return report


@recorded_by
@transaction.atomic
def progress_report_submit(
    *, report: ProgressReport, by: User, version: int | None = None
) -> ProgressReport:
    """Hand a draft or corrected report to the lead unit for review."""
    _require(_may_file(by, report.assignment))
    _check_not_archived(report.assignment.item.checklist)
    problems = progress_report_missing_for_submission(report=report)
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    state = ProgressReport.WorkflowState
    return _transition(
        report=report,
        from_states=(state.DRAFT, state.RETURNED),
        to_state=state.SUBMITTED,
        by=by,
        version=version,
        submitted_at=now,
        submitted_by=by,
        first_submitted_at=Coalesce(F("first_submitted_at"), Value(now)),
    )


@recorded_by
@transaction.atomic
def progress_report_approve(
    *,
    report: ProgressReport,
    by: User,
    comment: str = "",
    exception_accepted: bool | None = None,
) -> ProgressReport:
    """The lead unit accepts a submitted report; it is locked from then on. A report whose
    party asks that its declared status count needs the decision (``exception_accepted``):
    accepted, the declared status counts; refused, the targets' judgement does."""
    _require(_may_review(by, report.assignment), "只有该任务的牵头单位可以审核。")
    _check_not_archived(report.assignment.item.checklist)
    state = ProgressReport.WorkflowState
    exception = ProgressReport.ExceptionState
    decision: dict[str, Any] = {}
    if report.exception_state == exception.PENDING:
        if exception_accepted is None:
            raise ValidationError({"exception_accepted": "请决定是否同意该单位按申报状态认定。"})
        judged = report.judged_status() or report.declared_status
        decision = {
            "exception_state": exception.ACCEPTED if exception_accepted else exception.REFUSED,
            "exception_decided_by": by,
            "exception_decided_at": timezone.now(),
            "status": report.declared_status if exception_accepted else judged,
        }
    return _transition(
        report=report,
        from_states=(state.SUBMITTED,),
        to_state=state.APPROVED,
        by=by,
        comment=comment,
        reviewed_at=timezone.now(),
        reviewed_by=by,
        review_comment=comment,
        **decision,
    )


@recorded_by
@transaction.atomic
def progress_report_return(*, report: ProgressReport, by: User, comment: str) -> ProgressReport:
    """The lead unit sends a submitted report back with what to fix."""
    _require(_may_review(by, report.assignment), "只有该任务的牵头单位可以退回。")
    _check_not_archived(report.assignment.item.checklist)
    if not comment.strip():
        raise ValidationError({"comment": "退回时请写明需要修改的内容。"})
    state = ProgressReport.WorkflowState
    report = _transition(
        report=report,
        from_states=(state.SUBMITTED,),
        to_state=state.RETURNED,
        by=by,
        comment=comment,
        reviewed_at=timezone.now(),
        reviewed_by=by,
        review_comment=comment,
    )
    _notify_returned(report, comment)
    return report


def _notify_returned(report: ProgressReport, comment: str) -> None:
    """Tell the party's staff their report came back, with the reason."""
    assignment = report.assignment
    notify(
        users=party_staff(community=assignment.community, unit=assignment.unit),
        kind=Message.Kind.REPORT_RETURNED,
        title=f"第 {assignment.item.number} 项 {report.month}月进展被退回,请修改后重新提交",
        body=f"退回意见:{comment}",
        url=f"{reverse('workspace')}?year={report.year}&month={report.month}",
    )


@recorded_by
@transaction.atomic
def progress_report_reopen(*, report: ProgressReport, by: User, reason: str) -> ProgressReport:
    """The street admin reopens an approved report (it goes back to the party as
    returned, with the reason as the comment)."""
    _require(access.may_reopen_reports(by), "只有街道管理员可以重新打开已审核的月报。")
    _check_not_archived(report.assignment.item.checklist)
    if not reason.strip():
        raise ValidationError({"reason": "请写明重新打开的理由。"})
    state = ProgressReport.WorkflowState
    exception = ProgressReport.ExceptionState
    # The decision on an exception was part of the review being undone: it is asked again,
    # and until then the targets' judgement counts.
    undecided: dict[str, Any] = {}
    if report.exception_state in (exception.ACCEPTED, exception.REFUSED):
        undecided = {
            "exception_state": exception.PENDING,
            "exception_decided_by": None,
            "exception_decided_at": None,
            "status": report.judged_status() or report.declared_status,
        }
    report = _transition(
        report=report,
        from_states=(state.APPROVED,),
        to_state=state.RETURNED,
        by=by,
        comment=reason,
        review_comment=reason,
        **undecided,
    )
    _notify_returned(report, reason)
    return report


@recorded_by
@transaction.atomic
def extension_request(
    *,
    assignment: Assignment,
    year: int,
    month: int,
    requested_deadline: datetime.date,
    reason: str,
    by: User,
) -> DeadlineExtension:
    """A party asks to file a month's report later than the filing day."""
    _require(_may_file(by, assignment))
    _check_month(assignment.item.checklist, year, month)
    if not reason.strip():
        raise ValidationError({"reason": "请写明申请延期的理由。"})
    if requested_deadline <= assignment.filing_deadline(year, month):
        raise ValidationError({"requested_deadline": "申请的日期须晚于现在的截止日期。"})
    if (
        DeadlineExtension.objects.pending()
        .filter(assignment=assignment, year=year, month=month)
        .exists()
    ):
        raise ValidationError("该月已有一份待审批的延期申请。")
    extension = DeadlineExtension.objects.create(
        assignment=assignment,
        year=year,
        month=month,
        requested_deadline=requested_deadline,
        reason=reason,
        requested_by=by,
    )
    lead_units = [link.unit_id for link in assignment.item.lead_unit_links.all()]
    notify(
        users=party_staff(unit_ids=lead_units),
        kind=Message.Kind.EXTENSION_REQUESTED,
        title=f"{assignment.party} 申请第 {assignment.item.number} 项 {month}月进展延期",
        body=f"申请延至 {requested_deadline:%Y-%m-%d}。理由:{reason}",
        url=reverse("review_queue"),
    )
    return extension


@recorded_by
@transaction.atomic
def extension_decide(
    *, extension: DeadlineExtension, by: User, grant: bool, comment: str = ""
) -> DeadlineExtension:
    """The lead unit grants or refuses a pending extension (once)."""
    _require(_may_review(by, extension.assignment), "只有该任务的牵头单位可以审批延期。")
    _check_not_archived(extension.assignment.item.checklist)
    state = DeadlineExtension.State
    new_state = state.GRANTED if grant else state.REFUSED
    if not DeadlineExtension.objects.filter(pk=extension.pk, state=state.PENDING).update(
        state=new_state, decided_by=by, decided_at=timezone.now(), decision_comment=comment
    ):
        raise ValidationError("这份延期申请已经审批过了。")
    extension.refresh_from_db()
    if grant:  # the deadline moved, and with it whether the month is late
        progress_changed_send(
            DeadlineExtension,
            assignment_id=extension.assignment_id,
            year=extension.year,
            month=extension.month,
        )
    if extension.requested_by is not None:
        verdict = "已同意" if grant else "未同意"
        assignment = extension.assignment
        notify(
            users=[extension.requested_by],
            kind=Message.Kind.EXTENSION_DECIDED,
            title=f"第 {assignment.item.number} 项 {extension.month}月进展的延期申请{verdict}",
            body=f"申请延至 {extension.requested_deadline:%Y-%m-%d}。"
            + (f"审批意见:{comment}" if comment else ""),
            url=f"{reverse('workspace')}?year={extension.year}&month={extension.month}",
        )
    return extension


@recorded_by
@transaction.atomic
def evidence_add(*, report: ProgressReport, upload: UploadedFile, kind: str, by: User) -> Evidence:
    """Attach a file to a report the party may still edit. The type is read from the
    bytes (``tasks.evidence``); the file is stored privately under a random name."""
    _require(_may_file(by, report.assignment))
    _check_not_archived(report.assignment.item.checklist)
    if not report.is_editable_by_party():
        raise ValidationError("这份月报已提交或已审核,不能再添加材料。")
    content_type = evidence_content_type(upload)
    original_name = PurePath(upload.name or "file").name
    upload.name = f"{uuid.uuid4().hex}{PurePath(original_name).suffix.lower()}"
    return Evidence.objects.create(
        report=report,
        kind=kind,
        file=upload,
        original_name=original_name[:255],
        content_type=content_type,
        size=upload.size or 0,
        uploaded_by=by,
    )


def evidence_stage(
    *, assignment: Assignment, upload: UploadedFile, kind: str, by: User
) -> staging.StagedFile:
    """Keep a file the user attached on the filing page until a save of the item succeeds
    (``evidence_attach_staged``): a refused save does not lose it. The type is read from
    the bytes now, so a refused file is said at once; stale staged files are removed."""
    _require(_may_file(by, assignment))
    content_type = evidence_content_type(upload)
    if kind not in Evidence.Kind.values:
        kind = Evidence.Kind.DOCUMENT
    staging.remove_stale()
    return staging.store(
        user_pk=by.pk,
        assignment_pk=assignment.pk,
        upload=upload,
        kind=kind,
        content_type=content_type,
    )


@recorded_by
@transaction.atomic
def evidence_attach_staged(
    *, report: ProgressReport, staged: staging.StagedFile, by: User
) -> Evidence:
    """Attach a file ``by`` staged for the report's assignment (``evidence_stage``); the
    staged copy goes once the transaction commits."""
    with staging.open_file(
        user_pk=by.pk, assignment_pk=report.assignment_id, staged=staged
    ) as upload:
        evidence = evidence_add(report=report, upload=upload, kind=staged.kind, by=by)  # type: ignore[arg-type]  # a stored File reads as an upload does
    transaction.on_commit(
        lambda: staging.discard(user_pk=by.pk, assignment_pk=report.assignment_id, staged=staged)
    )
    return evidence


@recorded_by
@transaction.atomic
def evidence_remove(*, evidence: Evidence, by: User) -> None:
    """Take a file off a report the party may still edit; the stored file goes too."""
    report = evidence.report
    _require(_may_file(by, report.assignment))
    _check_not_archived(report.assignment.item.checklist)
    if not report.is_editable_by_party():
        raise ValidationError("这份月报已提交或已审核,不能再删除材料。")
    stored = evidence.file
    evidence.delete()
    transaction.on_commit(lambda: stored.storage.delete(stored.name))


# ---------------------------------------------------------------------------------------
# The next year: the street carries its checklist over and closes the old year.


def _may_manage_checklists(by: User | None) -> bool:
    """The street admin (who holds the checklist's model permissions); ``None`` is the
    operator at the command line."""
    return by is None or (
        by.has_perm("tasks.add_checklist") and by.has_perm("tasks.change_checklist")
    )


@transaction.atomic
def checklist_archive(*, checklist: Checklist, by: User | None) -> Checklist:
    """Close a year: its reports can no longer be saved, submitted, reviewed or reopened,
    nor extensions asked for or decided, and the admin shows its rows without inputs.
    Only the checklist's status changes; every report, value, file and record of the year
    is kept as it is, to be read. Archiving an archived checklist changes nothing."""
    _require(_may_manage_checklists(by), "只有街道管理员可以归档年度清单。")
    if checklist.status == Checklist.Status.DRAFT:
        raise ValidationError("该年度清单还是草稿,尚未启用,不能归档。")
    # An update of the one column: a stale object in the caller's hands writes nothing else.
    Checklist.objects.filter(pk=checklist.pk).update(status=Checklist.Status.ARCHIVED)
    checklist.status = Checklist.Status.ARCHIVED
    checklist_status_changed.send(sender=Checklist, checklist_id=checklist.pk)
    return checklist


COPY_BATCH = 1000


def _same_day_years_later(day: datetime.date | None, years: int) -> datetime.date | None:
    """The same day and month ``years`` later; 29 February becomes 28 February in a common
    year."""
    if day is None:
        return None
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _copied(row: Any, **changes: Any) -> Any:
    """An unsaved copy of ``row`` with every concrete column (by attname, so foreign keys as
    ``item_id``) but its primary key, ``changes`` applied."""
    values = {
        field.attname: getattr(row, field.attname)
        for field in type(row)._meta.concrete_fields
        if not field.primary_key
    }
    values.update(changes)
    return type(row)(**values)


@transaction.atomic
def checklist_roll_over(
    *, source: Checklist, year: int, by: User | None, archive: bool = True
) -> Checklist:
    """Create the ``year`` checklist from ``source`` and archive ``source`` (unless
    ``archive`` is false: December's reports fall due in January, so a street that plans
    the new year in December keeps the old one open and archives it with
    ``checklist_archive`` once its last reports are in).

    The new checklist is a draft, with the source's title (its year replaced), issuing
    bodies and filing day; 文号 and 发文日期 are left for the street to fill in. Pillars,
    items (with lead units in order, named responsible units, evidence requirements),
    targets (every column) and assignments are copied, dates moved to the same day of the
    new year. Assignments mirror the source's, 相关社区 selections and street-level ones
    included, except those of communities no longer active. Nothing of the source year is
    changed but its status: reports, values, evidence, history and extensions stay as
    they are. Receivers of ``assignments_changed`` and ``checklist_rolled_over`` then
    build and copy what they keep per checklist, in the same transaction."""
    _require(_may_manage_checklists(by), "只有街道管理员可以生成下一年度清单。")
    if year <= source.year:
        raise ValidationError(f"新清单的年度须晚于{source.year}年。")
    if source.status == Checklist.Status.DRAFT:
        raise ValidationError(f"{source.year}年度清单还是草稿,不能据此生成下一年度清单。")
    exists_message = f"{year}年度清单已经存在,不能重复生成。"
    if Checklist.objects.filter(year=year).exists():
        raise ValidationError(exists_message)
    years = year - source.year
    try:
        with transaction.atomic():
            checklist = Checklist.objects.create(
                year=year,
                title=source.title.replace(str(source.year), str(year)),
                issuing_bodies=source.issuing_bodies,
                status=Checklist.Status.DRAFT,
                filing_day=source.filing_day,
            )
    except IntegrityError:
        raise ValidationError(exists_message) from None  # created by someone else just now

    Pillar.objects.bulk_create(
        _copied(pillar, checklist_id=checklist.pk) for pillar in source.pillars.all()
    )
    pillars = {pillar.number: pillar.pk for pillar in checklist.pillars.all()}
    source_items = list(source.items.select_related("pillar"))
    Item.objects.bulk_create(
        _copied(
            item,
            checklist_id=checklist.pk,
            pillar_id=pillars[item.pillar.number],
            due_date=_same_day_years_later(item.due_date, years),
        )
        for item in source_items
    )
    # Rows are matched by what is unique within a checklist (an item's number), so that
    # nothing depends on the database returning the primary keys of a bulk insert.
    by_number = {item.number: item.pk for item in checklist.items.all()}
    items = {item.pk: by_number[item.number] for item in source_items}

    def copy_to_new_items(rows: QuerySet[Any], *, dated: bool = False) -> None:
        """Copy rows of the source's items onto the new items, a thousand at a time (a
        city's assignments run to hundreds of thousands)."""
        copies = (
            _copied(
                row,
                item_id=items[row.item_id],
                **({"due_date": _same_day_years_later(row.due_date, years)} if dated else {}),
            )
            for row in rows.order_by("pk").iterator(chunk_size=COPY_BATCH)
        )
        while batch := list(islice(copies, COPY_BATCH)):
            rows.model.objects.bulk_create(batch)

    of_source = Q(item__checklist=source)
    copy_to_new_items(ItemLeadUnit.objects.filter(of_source))
    copy_to_new_items(Item.responsible_units.through.objects.filter(of_source))
    copy_to_new_items(EvidenceRequirement.objects.filter(of_source))
    copy_to_new_items(Target.objects.filter(of_source), dated=True)
    copy_to_new_items(
        Assignment.objects.filter(of_source).filter(
            Q(community__isnull=True) | Q(community__is_active=True)
        )
    )

    if archive:
        checklist_archive(checklist=source, by=by)
    assignments_changed.send(sender=Assignment, checklist_id=checklist.pk)
    checklist_rolled_over.send(sender=Checklist, source_id=source.pk, checklist_id=checklist.pk)
    return checklist
