"""What the API shows of each row, and the shapes of its requests (for the schema: the
requests themselves are validated by the pages' forms, ``api.filing``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.periods import FIRST_YEAR, LAST_YEAR
from dashboards.models import AssignmentMonth, ItemMonth, PartyMonth
from tasks.models import (
    Assignment,
    Checklist,
    Evaluation,
    Item,
    ProgressReport,
    Target,
    TargetValue,
)


class ChecklistSerializer(serializers.ModelSerializer):
    class Meta:
        model = Checklist
        fields = (
            "id",
            "year",
            "title",
            "document_number",
            "issued_on",
            "takes_effect_on",
            "status",
            "filing_day",
        )


class PlaceSerializer(serializers.Serializer):
    """A community or a unit: its id and name."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class TargetSerializer(serializers.ModelSerializer):
    requirement = serializers.CharField(read_only=True, help_text=_("目标要求,按指标类型写出"))

    class Meta:
        model = Target
        fields = (
            "id",
            "order",
            "kind",
            "title",
            "requirement",
            "threshold",
            "numerator_label",
            "denominator_label",
            "denominator_source",
            "unit_label",
            "period",
            "level",
            "due_date",
        )


class ItemSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(source="checklist.year", read_only=True)
    pillar = serializers.CharField(source="pillar.name", read_only=True)
    pillar_number = serializers.IntegerField(source="pillar.number", read_only=True)
    lead_units = serializers.SerializerMethodField(help_text=_("牵头单位,第一牵头单位在前"))
    targets = TargetSerializer(many=True, read_only=True)

    class Meta:
        model = Item
        fields = (
            "id",
            "year",
            "number",
            "pillar_number",
            "pillar",
            "text",
            "responsible_scope",
            "due_date",
            "legal_reference",
            "lead_units",
            "targets",
        )

    @extend_schema_field(PlaceSerializer(many=True))
    def get_lead_units(self, item: Item) -> list[dict[str, Any]]:
        return [{"id": unit.pk, "name": unit.name} for unit in item.ordered_lead_units()]


class AssignmentSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(source="item.checklist.year", read_only=True)
    item_number = serializers.IntegerField(source="item.number", read_only=True)
    community = PlaceSerializer(read_only=True, allow_null=True)
    unit = PlaceSerializer(read_only=True, allow_null=True)
    party = serializers.CharField(source="party.name", read_only=True)

    class Meta:
        model = Assignment
        fields = (
            "id",
            "year",
            "item",
            "item_number",
            "community",
            "unit",
            "party",
            "is_street_level",
        )


class TargetValueSerializer(serializers.ModelSerializer):
    class Meta:
        model = TargetValue
        fields = (
            "target",
            "numerator",
            "denominator",
            "quantity",
            "achieved_on",
            "is_done",
            "denominator_registered",
            "denominator_reason",
        )


class EvaluationSerializer(serializers.Serializer):
    """A target's verdict for the month, as the report page shows it (``Target.evaluate``)."""

    target = serializers.IntegerField(source="target.pk", read_only=True)
    verdict = serializers.ChoiceField(choices=Target.Verdict.choices, read_only=True)
    verdict_label = serializers.SerializerMethodField()
    measured = serializers.CharField(read_only=True, help_text=_("判定所依据的数值"))
    explanation = serializers.CharField(read_only=True)

    def get_verdict_label(self, evaluation: Evaluation) -> str:
        return str(Target.Verdict(evaluation.verdict).label)


class ProgressReportSerializer(serializers.ModelSerializer):
    """A report with its values and the verdicts the pages show: each target's
    (``evaluations``), the status they give (``judged_status``) and the status that counts
    (``counted_status``: the declared one when an exception was accepted)."""

    item = serializers.IntegerField(source="assignment.item_id", read_only=True)
    item_number = serializers.IntegerField(source="assignment.item.number", read_only=True)
    community = PlaceSerializer(source="assignment.community", read_only=True, allow_null=True)
    unit = PlaceSerializer(source="assignment.unit", read_only=True, allow_null=True)
    party = serializers.CharField(source="assignment.party.name", read_only=True)
    values = TargetValueSerializer(many=True, read_only=True)
    evaluations = serializers.SerializerMethodField()
    judged_status = serializers.SerializerMethodField(
        help_text=_("按指标认定的进展状态;没有指标的任务为 null")
    )
    counted_status = serializers.SerializerMethodField(help_text=_("计入统计的进展状态"))

    class Meta:
        model = ProgressReport
        fields = (
            "id",
            "assignment",
            "item",
            "item_number",
            "year",
            "month",
            "community",
            "unit",
            "party",
            "workflow_state",
            "status",
            "declared_status",
            "judged_status",
            "counted_status",
            "exception_state",
            "exception_reason",
            "narrative",
            "values",
            "evaluations",
            "version",
            "submitted_at",
            "first_submitted_at",
            "reviewed_at",
            "review_comment",
            "updated_at",
        )
        read_only_fields = fields

    def _evaluations(self, report: ProgressReport) -> list[Evaluation]:
        # Judged once per report for the three fields (``evaluate`` is no query once the
        # register figures are prefetched: ``tasks.models.prefetch_register_figures``).
        cached: list[Evaluation] | None = getattr(report, "_api_evaluations", None)
        if cached is None:
            cached = report.evaluate()
            report._api_evaluations = cached  # type: ignore[attr-defined]  # per response
        return cached

    @extend_schema_field(EvaluationSerializer(many=True))
    def get_evaluations(self, report: ProgressReport) -> list[dict[str, Any]]:
        return [
            dict(EvaluationSerializer(evaluation).data) for evaluation in self._evaluations(report)
        ]

    @extend_schema_field(
        serializers.ChoiceField(choices=ProgressReport.Status.choices, allow_null=True)
    )
    def get_judged_status(self, report: ProgressReport) -> str | None:
        return report.judged_status(self._evaluations(report))

    @extend_schema_field(serializers.ChoiceField(choices=ProgressReport.Status.choices))
    def get_counted_status(self, report: ProgressReport) -> str:
        return report.counted_status(self._evaluations(report))


class AssignmentMonthSerializer(serializers.ModelSerializer):
    class Meta:
        model = AssignmentMonth
        fields = (
            "assignment",
            "year",
            "month",
            "item",
            "pillar",
            "community",
            "unit",
            "report",
            "state",
            "status",
            "deadline",
            "first_submitted_on",
            "targets_total",
            "targets_met",
            "targets_behind",
            "targets_excepted",
            "is_complete",
        )


class PartyMonthSerializer(serializers.ModelSerializer):
    class Meta:
        model = PartyMonth
        fields = (
            "community",
            "unit",
            "year",
            "month",
            "expected",
            "received",
            "on_time",
            "approved",
            "returned",
            "complete",
            "behind",
        )


class ItemMonthSerializer(serializers.ModelSerializer):
    class Meta:
        model = ItemMonth
        fields = (
            "item",
            "year",
            "month",
            "deadline",
            "expected",
            "received",
            "on_time",
            "approved",
            "returned",
            "complete",
            "behind",
            "late_filed",
            "excepted",
            "unfiled",
        )


# The requests, for the schema and the documentation page. Their content is validated by
# the pages' own forms (``tasks.forms.ReportForm``, ``tasks.review_forms``), so that every
# refusal says what the page says.


class ValueInputSerializer(serializers.Serializer):
    target = serializers.IntegerField(help_text=_("指标 id"))
    numerator = serializers.IntegerField(required=False, allow_null=True)
    denominator = serializers.IntegerField(required=False, allow_null=True)
    quantity = serializers.IntegerField(required=False, allow_null=True)
    achieved_on = serializers.DateField(required=False, allow_null=True)
    is_done = serializers.BooleanField(required=False, allow_null=True)
    denominator_reason = serializers.CharField(required=False, allow_blank=True)


class ReportInputSerializer(serializers.Serializer):
    """A report's content, as the filing page's form takes it."""

    status = serializers.ChoiceField(choices=ProgressReport.Status.choices)
    narrative = serializers.CharField(required=False, allow_blank=True)
    exception_requested = serializers.BooleanField(required=False)
    exception_reason = serializers.CharField(required=False, allow_blank=True)
    values = ValueInputSerializer(many=True, required=False)
    version = serializers.IntegerField(
        required=False, allow_null=True, help_text=_("修改已有月报时必填:读取时的 version")
    )
    submit = serializers.BooleanField(
        required=False, default=False, help_text=_("保存后立即提交(与页面上的“提交”相同)")
    )


class ReportKeySerializer(serializers.Serializer):
    """Which report a new filing is: the assignment and the month."""

    assignment = serializers.IntegerField(
        min_value=1, help_text=_("责任分工 id(/api/v1/assignments/)")
    )
    year = serializers.IntegerField(min_value=FIRST_YEAR, max_value=LAST_YEAR)
    month = serializers.IntegerField(min_value=1, max_value=12)


class ReportCreateSerializer(ReportKeySerializer, ReportInputSerializer):
    """A new filing: which report, and its content."""


class SubmitSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, allow_null=True)


class ApproveSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True)
    exception_accepted = serializers.BooleanField(
        required=False, allow_null=True, help_text=_("该单位申请按申报状态认定时必填")
    )


class ReturnSerializer(serializers.Serializer):
    comment = serializers.CharField()
