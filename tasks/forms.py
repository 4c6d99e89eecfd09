"""Forms of the filing side: one assignment's monthly report, and an extension request."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .evidence import ACCEPT_ATTRIBUTE, uploads_validate
from .models import Assignment, Evidence, ProgressReport, Target
from .services import VALUE_COLUMNS, ValueInput


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
            "有指标的任务,进展状态按指标认定;如认为指标不能反映实际,可申请按申报状态认定。"
        ),
    )
    exception_requested = forms.BooleanField(label=_("申请按申报状态认定"), required=False)
    exception_reason = forms.CharField(
        label=_("申请理由"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": _("为什么指标不能反映本月的实际进展")}
        ),
    )
    narrative = forms.CharField(
        label=_("进展情况"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("本月做了什么、还差什么")}),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
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
    ) -> None:
        self.assignment = assignment
        self.report = report
        self.submitting = submitting
        self.prefilled = report is None and previous is not None
        super().__init__(data, files, prefix=f"a{assignment.pk}", initial=self._initial(previous))
        self.target_rows: list[tuple[Target, list[str]]] = []
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
        return initial

    def _add_target_fields(self, target: Target) -> list[str]:
        kind = Target.Kind
        name = f"t{target.pk}"
        count: dict[str, Any] = {
            "min_value": 0,
            "required": False,
            "widget": forms.NumberInput(attrs={"inputmode": "numeric", "min": 0}),
        }
        if target.kind == kind.RATE:
            self.fields[f"{name}_numerator"] = forms.IntegerField(
                label=target.numerator_label or _("分子"), **count
            )
            self.fields[f"{name}_denominator"] = forms.IntegerField(
                label=target.denominator_label or _("分母"), **count
            )
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
                widget=forms.DateInput(attrs={"type": "date"}),
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
            if target.kind == Target.Kind.DEADLINE:
                achieved_on = cleaned.get(f"t{target.pk}_achieved_on")
                if isinstance(achieved_on, datetime.date) and achieved_on > today:
                    self.add_error(f"t{target.pk}_achieved_on", _("完成日期不能晚于今天。"))
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
            missing = self._missing_evidence(uploading)
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
            inputs[target.pk] = ValueInput(**fields)
        return inputs

    def target_fields(self) -> list[tuple[Target, list[forms.BoundField]]]:
        """For the template: each target with its bound inputs."""
        return [(target, [self[name] for name in names]) for target, names in self.target_rows]


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
