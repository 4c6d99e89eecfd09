"""Forms of the filing side: one assignment's monthly report, and an extension request."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from . import registers
from .evidence import ACCEPT_ATTRIBUTE, uploads_validate
from .models import LARGEST_FIGURE, Assignment, Evaluation, Evidence, ProgressReport, Target
from .services import VALUE_COLUMNS, ValueInput, deadline_met_message
from .staging import StagedFile


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}))
        # An empty file is refused by ``evidence_content_type``, whose message names it.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []

    def has_changed(self, initial: Any, data: Any) -> bool:
        # The widget gives an empty list when no file was chosen; FileField would count
        # that as a change and every untouched report would be saved as a draft.
        return not self.disabled and bool(data)


class TextField(forms.CharField):
    """Text as the user typed it, with the browser's CRLF line breaks read as the "\n" a
    stored text has: a text shown and posted back unchanged is not a change."""

    def to_python(self, value: Any) -> str | None:
        text = super().to_python(value)
        return text.replace("\r\n", "\n") if isinstance(text, str) else text


DONE_CHOICES = [("", _("请选择")), ("yes", _("已完成")), ("no", _("未完成"))]


def _done(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class ReportForm(forms.Form):
    """One assignment's report for a month. The inputs follow each target's kind; with
    ``submitting`` every target must be filled and an item's required evidence present."""

    status = forms.ChoiceField(
        label=_("进展状态"),
        choices=ProgressReport.Status.choices,
        help_text=_(
            "有指标的任务,进展状态按指标认定(保存后显示在任务标题下);这里是您的申报,"
            "只在勾选“申请按申报状态认定”并经牵头单位同意时采用。"
        ),
    )
    exception_requested = forms.BooleanField(label=_("申请按申报状态认定"), required=False)
    exception_reason = TextField(
        label=_("申请理由"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": _("为什么指标不能反映本月的实际进展")}
        ),
    )
    narrative = TextField(
        label=_("进展情况"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("本月做了什么、还差什么")}),
    )
    version = forms.IntegerField(
        required=False, widget=forms.HiddenInput, min_value=0, max_value=LARGEST_FIGURE
    )
    evidence_kind = forms.ChoiceField(
        label=_("材料类型"), choices=Evidence.Kind.choices, initial=Evidence.Kind.PHOTO
    )
    evidence_files = MultipleFileField(label=_("上传佐证材料"), required=False)

    def __init__(
        self,
        data: Any = None,
        files: Any = None,
        *,
        assignment: Assignment,
        report: ProgressReport | None,
        previous: ProgressReport | None = None,
        submitting: bool = False,
        month: int | None = None,
        figures: dict[registers.FigureKey, registers.Figure] | None = None,
        staged: list[StagedFile] | None = None,
    ) -> None:
        self.assignment = assignment
        # Files attached on an earlier, refused save of this item (``tasks.staging``),
        # shown as 待保存 and attached by the next save that succeeds.
        self.staged = list(staged or [])
        self.report = report
        self.submitting = submitting
        # The registers' figures of the month (``tasks.registers``): a target judged from
        # a register (a frequency target: the meeting register) is shown, not typed.
        self.month = report.month if report is not None else month
        self.figures = figures or {}
        self.prefilled = report is None and previous is not None
        # The compound register's counts for the denominators taken from it: prefilled,
        # and a different figure needs a reason (``denominator_reason``).
        self.registered = {
            target.pk: count
            for target in assignment.targets()
            if (count := target.registered_denominator(assignment.community)) is not None
        }
        # Deadline targets an approved earlier report states met: they stay met.
        self.deadlines_met = (
            assignment.deadlines_met(assignment.item.checklist.year, before_month=self.month)
            if self.month is not None
            else {}
        )
        initial = self._initial(previous)
        self._prefill_from_registers(initial)
        super().__init__(data, files, prefix=f"a{assignment.pk}", initial=initial)
        self.target_rows: list[tuple[Target, list[str]]] = []
        self.reason_fields: dict[int, str] = {}  # target pk → its optional reason input
        for target in assignment.targets():
            self.target_rows.append((target, self._add_target_fields(target)))
        if not self.target_rows:
            # No target measures the item: the declared status counts as it is.
            del self.fields["exception_requested"], self.fields["exception_reason"]

    def _initial(self, previous: ProgressReport | None) -> dict[str, Any]:
        source = self.report or previous
        if source is None:
            return {"status": ProgressReport.Status.NOT_STARTED}
        initial: dict[str, Any] = {
            "status": source.declared_status,
            "narrative": source.narrative if self.report else "",
            "version": self.report.version if self.report else None,
        }
        if self.report is not None and self.report.has_exception:
            initial["exception_requested"] = True
            initial["exception_reason"] = self.report.exception_reason
        for value in source.values.all():
            for column in VALUE_COLUMNS:
                data = getattr(value, column)
                if column == "is_done" and data is not None:
                    data = "yes" if data else "no"
                initial[f"t{value.target_id}_{column}"] = data
            if self.report is not None:
                initial[f"t{value.target_id}_denominator_reason"] = value.denominator_reason
        return initial

    def _prefill_from_registers(self, initial: dict[str, Any]) -> None:
        """A new report's denominators from the compound register, and the date of a
        deadline an approved earlier report states met."""
        if self.report is None:
            for target_pk, count in self.registered.items():
                initial[f"t{target_pk}_denominator"] = count
        for target_pk, met in self.deadlines_met.items():
            given = initial.get(f"t{target_pk}_achieved_on")
            if given is None or (met.achieved_on is not None and given > met.achieved_on):
                initial[f"t{target_pk}_achieved_on"] = met.achieved_on

    def _add_target_fields(self, target: Target) -> list[str]:
        kind = Target.Kind
        name = f"t{target.pk}"
        if target.is_judged_from_register:
            return []  # the register's figure is shown read-only (``register_figure``)
        count: dict[str, Any] = {
            "min_value": 0,
            # The model's bound too (``LARGEST_FIGURE``): 2147483648 is a field error, not a
            # database error, on PostgreSQL and SQLite alike.
            "max_value": LARGEST_FIGURE,
            "required": False,
            "widget": forms.NumberInput(attrs={"inputmode": "numeric"}),
        }
        if target.kind == kind.RATE:
            self.fields[f"{name}_numerator"] = forms.IntegerField(
                label=target.numerator_label or _("分子"), **count
            )
            self.fields[f"{name}_denominator"] = forms.IntegerField(
                label=target.denominator_label or _("分母"), **count
            )
            if target.pk in self.registered:
                registered = self.registered[target.pk]
                self.fields[f"{name}_denominator"].help_text = _(
                    "按住宅小区登记预填:登记数 %(count)s。"
                ) % {"count": registered}
                self.fields[f"{name}_denominator_reason"] = TextField(
                    label=_("与登记数不同的原因"),
                    required=False,
                    max_length=500,
                    widget=forms.TextInput(
                        attrs={
                            "placeholder": _("分母与登记数 %(count)s 相同时不填")
                            % {"count": registered}
                        }
                    ),
                )
                self.reason_fields[target.pk] = f"{name}_denominator_reason"
            return [f"{name}_numerator", f"{name}_denominator"]
        if target.kind in (kind.COUNT, kind.FREQUENCY, kind.ZERO_GROWTH):
            label = {
                kind.COUNT: _("数量"),
                kind.FREQUENCY: _("本月开展次数"),
                kind.ZERO_GROWTH: _("本月新增数"),
            }[Target.Kind(target.kind)]
            self.fields[f"{name}_quantity"] = forms.IntegerField(label=label, **count)
            return [f"{name}_quantity"]
        if target.kind == kind.DEADLINE:
            self.fields[f"{name}_achieved_on"] = forms.DateField(
                label=_("完成日期(未完成请留空)"),
                required=False,
                # The date input's own format: a localized one (2017/06/28) is not a
                # value the input accepts, and the stored date would show blank.
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                input_formats=["%Y-%m-%d"],
            )
            return [f"{name}_achieved_on"]
        self.fields[f"{name}_is_done"] = forms.TypedChoiceField(
            label=_("是否完成"), choices=DONE_CHOICES, required=False, coerce=str, empty_value=""
        )
        return [f"{name}_is_done"]

    def clean_evidence_files(self) -> list[UploadedFile]:
        return uploads_validate(self.cleaned_data.get("evidence_files") or [])

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        today = timezone.localdate()
        for target, names in self.target_rows:
            if target.kind == Target.Kind.RATE:
                numerator = cleaned.get(f"t{target.pk}_numerator")
                denominator = cleaned.get(f"t{target.pk}_denominator")
                if numerator is not None and denominator is not None and numerator > denominator:
                    self.add_error(
                        f"t{target.pk}_numerator",
                        _("分子(%(numerator)s)不能大于分母(%(denominator)s)。")
                        % {"numerator": numerator, "denominator": denominator},
                    )
            if target.pk in self.reason_fields:
                denominator = cleaned.get(f"t{target.pk}_denominator")
                registered = self.registered[target.pk]
                reason = self.reason_fields[target.pk]
                if (
                    denominator is not None
                    and denominator != registered
                    and not (cleaned.get(reason) or "").strip()
                ):
                    self.add_error(
                        reason,
                        _("分母(%(given)s)与登记数(%(registered)s)不同,请写明原因。")
                        % {"given": denominator, "registered": registered},
                    )
            if target.kind == Target.Kind.DEADLINE:
                achieved_on = cleaned.get(f"t{target.pk}_achieved_on")
                if isinstance(achieved_on, datetime.date) and achieved_on > today:
                    self.add_error(f"t{target.pk}_achieved_on", _("完成日期不能晚于今天。"))
                met = self.deadlines_met.get(target.pk)
                if (
                    met is not None
                    and met.achieved_on is not None
                    and f"t{target.pk}_achieved_on" in self.fields
                    and (achieved_on is None or achieved_on > met.achieved_on)
                    and f"t{target.pk}_achieved_on" not in self.errors
                ):
                    self.add_error(f"t{target.pk}_achieved_on", deadline_met_message(target, met))
            if self.submitting:
                for name in names:
                    empty = cleaned.get(name) in (None, "")
                    is_optional_date = target.kind == Target.Kind.DEADLINE
                    if empty and not is_optional_date and name not in self.errors:
                        self.add_error(name, _("提交前请填写此项。"))
        if (
            cleaned.get("status") == ProgressReport.Status.LAGGING
            and not (cleaned.get("narrative") or "").strip()
        ):
            self.add_error("narrative", _("进展滞后时,请说明原因和下一步措施。"))
        if (
            cleaned.get("exception_requested")
            and not (cleaned.get("exception_reason") or "").strip()
        ):
            self.add_error(
                "exception_reason", _("申请按申报状态认定时,请写明理由(指标为什么不能反映实际)。")
            )
        if self.submitting and cleaned.get("status") == ProgressReport.Status.COMPLETED:
            kind = cleaned.get("evidence_kind")
            uploading = [kind] if kind and cleaned.get("evidence_files") else []
            missing = self._missing_evidence(uploading + [f.kind for f in self.staged])
            if missing and "evidence_files" not in self.errors:
                self.add_error(
                    "evidence_files",
                    _("标记为已完成前,还需上传:%(kinds)s。") % {"kinds": "、".join(missing)},
                )
        return cleaned

    def _missing_evidence(self, uploading: list[str]) -> list[str]:
        present = {e.kind for e in self.report.evidence.all()} if self.report else set()
        present |= set(uploading)
        return [
            requirement.get_kind_display()
            for requirement in self.assignment.item.evidence_requirements.all()
            if requirement.kind not in present
        ]

    def has_changed(self) -> bool:
        """Whether the report itself changed: choosing a kind of evidence without a file
        changes nothing worth saving."""
        return any(name != "evidence_kind" for name in self.changed_data)

    def is_touched(self, action: str) -> bool:
        """Whether the user gave this item anything to save: an edit, a file, or a
        confirmation of last month's figures (``confirm``, 沿用上月). Submitting a draft
        counts too (a returned report goes back only once corrected, or by its own
        提交). An untouched item (last month's figures are only a suggestion) is neither
        validated nor saved."""
        if self.has_changed() or self.staged or action == "confirm":
            return True
        return (
            action == "submit"
            and self.report is not None
            and self.report.workflow_state == ProgressReport.WorkflowState.DRAFT
        )

    def error_links(self) -> list[tuple[str, str, str]]:
        """Every error of the form as (the anchor of its input, its label, the message),
        for the summary that links to each field in error."""
        links: list[tuple[str, str, str]] = []
        for name, errors in self.errors.items():
            if name in self.fields and name != "__all__":
                bound = self[name]
                anchor, label = bound.id_for_label or f"a{self.assignment.pk}", bound.label
            else:
                anchor, label = f"a{self.assignment.pk}", ""
            links.extend((anchor, str(label), str(message)) for message in errors)
        return links

    @property
    def required_evidence_labels(self) -> list[str]:
        return [r.get_kind_display() for r in self.assignment.item.evidence_requirements.all()]

    def value_inputs(self) -> dict[int, ValueInput]:
        """The cleaned figures per target, for ``progress_report_save``."""
        inputs = {}
        for target, _names in self.target_rows:
            fields: dict[str, Any] = {}
            for column in VALUE_COLUMNS:
                key = f"t{target.pk}_{column}"
                if key in self.cleaned_data:
                    value = self.cleaned_data[key]
                    fields[column] = _done(value) if column == "is_done" else value
            if target.pk in self.reason_fields:
                fields["denominator_reason"] = self.cleaned_data.get(
                    self.reason_fields[target.pk], ""
                )
            inputs[target.pk] = ValueInput(**fields)
        return inputs

    def register_figure(self, target: Target) -> Evaluation | None:
        """A target judged from a register, judged for the month (None for the others)."""
        if not target.is_judged_from_register or self.month is None:
            return None
        figure = self.figures.get((target.pk, self.assignment.pk, self.month))
        return target.evaluate(
            None, year=self.assignment.item.checklist.year, month=self.month, figure=figure
        )

    def record_meeting_url(self, target: Target) -> str:
        """The meeting register's page to record a missing meeting of ``target``'s duty,
        the duty and the community preselected."""
        query: dict[str, int] = {"duty": target.pk}
        if self.assignment.community_id is not None and not self.assignment.is_street_level:
            query["community"] = self.assignment.community_id
        return f"{reverse('meeting_create')}?{urlencode(query)}"

    def target_fields(
        self,
    ) -> list[tuple[Target, list[forms.BoundField], Evaluation | None, str]]:
        """For the template: each target with its bound inputs, or, for a target judged
        from a register, the register's figure and the link to record a meeting."""
        rows = []
        for target, names in self.target_rows:
            figure = self.register_figure(target)
            link = self.record_meeting_url(target) if figure is not None else ""
            if target.pk in self.reason_fields:
                names = [*names, self.reason_fields[target.pk]]
            rows.append((target, [self[name] for name in names], figure, link))
        return rows


class AssignmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Assignment) -> str:
        return f"{obj.party} · {obj.item.number}. {obj.item.text[:24]}"


class ExtensionRequestForm(forms.Form):
    """A party asks for a later filing deadline of one month's report."""

    # The errors are shown as one message above the page, so each says which input it is.
    assignment = AssignmentChoiceField(
        label=_("任务"),
        queryset=Assignment.objects.none(),
        error_messages={
            "required": _("请选择要延期的任务。"),
            "invalid_choice": _("只能为您负责填报的任务申请延期。"),
        },
    )
    requested_deadline = forms.DateField(
        label=_("申请延至"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": _("请选择申请延至的日期。"),
            "invalid": _("申请延至的日期格式不对。"),
        },
    )
    reason = forms.CharField(
        label=_("理由"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请写明申请延期的理由。")},
    )
    # Within the checklists' range (checklist_year_range): a date beyond Python's years
    # would otherwise fail while the deadline is computed.
    year = forms.IntegerField(widget=forms.HiddenInput, min_value=2000, max_value=2100)
    month = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=12)

    def __init__(self, *args: Any, assignments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignment"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101
        if isinstance(assignments, list):
            field.queryset = Assignment.objects.filter(pk__in=[a.pk for a in assignments])
            field.choices = [("", "---------")] + [
                (a.pk, field.label_from_instance(a)) for a in assignments
            ]
        else:
            field.queryset = assignments
