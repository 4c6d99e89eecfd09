"""Spreadsheet columns of the checklist's items and of the monthly progress reports
(xlsx/csv, Chinese headers). Imports are all-or-nothing; see ``core.spreadsheets``.

A progress report import writes drafts only: the workflow (submit, approve) is not a
column one can type into, and a row whose report is already submitted or approved is
refused.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext

from communities.models import Community, Unit
from core.spreadsheets import (
    ChoicesWidget,
    Column,
    NamedForeignKeyWidget,
    NameListWidget,
    NonNegativeIntegerWidget,
    OptionalDateWidget,
    RequiredTextWidget,
    SpreadsheetResource,
    TextWidget,
)

from .models import Assignment, Checklist, Item, ItemLeadUnit, Pillar, ProgressReport, TargetValue
from .signals import progress_changed

# How a unit's street-level assignment is written in the 责任单位 column, as on the item page.
STREET_LEVEL_SUFFIX = "(街道层面)"


def _refuse_archived(checklist: Checklist) -> None:
    """An archived year is read-only: no row of it is written by an import."""
    if checklist.is_archived:
        raise ValidationError(gettext("该年度清单已归档,只能查看。"))


class PillarWidget(NamedForeignKeyWidget):
    """A pillar by name, among those of the checklist of the row's 年度."""

    def __init__(self, *, year_column: str) -> None:
        super().__init__(Pillar)
        self.year_column = year_column

    def get_queryset(self, value: Any, row: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        return Pillar.objects.filter(checklist__year=row.get(self.year_column))


class ItemResource(SpreadsheetResource):
    checklist = Column(
        attribute="checklist", column_name="年度", widget=NamedForeignKeyWidget(Checklist, "year")
    )
    number = Column(attribute="number", column_name="序号", widget=NonNegativeIntegerWidget())
    pillar = Column(attribute="pillar", column_name="板块", widget=PillarWidget(year_column="年度"))
    text = Column(attribute="text", column_name="任务内容", widget=RequiredTextWidget())
    # Read into a plain attribute; ``after_save_instance`` rewrites the ItemLeadUnit rows.
    lead_units = Column(
        attribute="imported_lead_units", column_name="牵头单位", widget=NameListWidget(Unit)
    )
    responsible_scope = Column(
        attribute="responsible_scope", column_name="责任单位范围", widget=ChoicesWidget(Item.Scope)
    )
    due_date = Column(attribute="due_date", column_name="完成时限", widget=OptionalDateWidget())
    legal_reference = Column(
        attribute="legal_reference", column_name="依据文件", widget=TextWidget()
    )

    class Meta:
        model = Item
        name = "任务"
        fields = (
            "checklist",
            "number",
            "pillar",
            "text",
            "lead_units",
            "responsible_scope",
            "due_date",
            "legal_reference",
        )
        import_id_fields = ("checklist", "number")

    def filter_export(self, queryset: QuerySet[Item], **kwargs: Any) -> QuerySet[Item]:
        return queryset.with_details()  # type: ignore[attr-defined]

    def import_instance(self, instance: Item, row: dict[str, Any], **kwargs: Any) -> None:
        super().import_instance(instance, row, **kwargs)
        _refuse_archived(instance.checklist)

    def dehydrate_lead_units(self, item: Item) -> str:
        imported = getattr(item, "imported_lead_units", None)
        if imported is not None:  # the preview of an import shows what will be written
            units = imported
        elif item.pk is None:
            units = []
        else:
            units = item.ordered_lead_units()
        return "、".join(unit.name for unit in units)

    def after_save_instance(self, instance: Item, row: dict[str, Any], **kwargs: Any) -> None:
        units: list[Unit] | None = getattr(instance, "imported_lead_units", None)
        if units is None or instance.pk is None:
            return
        instance.lead_unit_links.all().delete()
        ItemLeadUnit.objects.bulk_create(
            ItemLeadUnit(item=instance, unit=unit, order=order)
            for order, unit in enumerate(units, start=1)
        )


class AssignmentWidget(NamedForeignKeyWidget):
    """The assignment a row speaks of: the item given by 年度 and 任务序号, and the party
    named in the cell (a community or a unit; "<单位>(街道层面)" for a unit's street-level
    assignment)."""

    def __init__(self, *, year_column: str, number_column: str) -> None:
        super().__init__(Assignment)
        self.year_column = year_column
        self.number_column = number_column
        self.whole_number = NonNegativeIntegerWidget()

    def clean(
        self, value: Any, row: dict[str, Any] | None = None, **kwargs: Any
    ) -> Assignment | None:
        row = row or {}
        party = RequiredTextWidget().clean(value, row, **kwargs)
        year = self.whole_number.clean(row.get(self.year_column), column_name=self.year_column)
        number = self.whole_number.clean(
            row.get(self.number_column), column_name=self.number_column
        )
        item = Item.objects.filter(checklist__year=year, number=number).first()
        if item is None:
            raise ValueError(
                gettext("未知任务:%(year)s年度清单中没有第%(number)s项")
                % {"year": year, "number": number}
            )
        is_street_level = party.endswith(STREET_LEVEL_SUFFIX)
        name = party.removesuffix(STREET_LEVEL_SUFFIX)
        assignment = (
            item.assignments.filter(community__name=name).first()
            or item.assignments.filter(unit__name=name, is_street_level=is_street_level).first()
        )
        if assignment is not None:
            return assignment
        names = {"party": party, "number": number}
        if Community.objects.filter(name=name).exists() or Unit.objects.filter(name=name).exists():
            raise ValueError(gettext("“%(party)s”不是第%(number)s项任务的责任单位") % names)
        raise ValueError(gettext("未知责任单位“%(party)s”") % names)

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        if value is None:
            return ""
        suffix = STREET_LEVEL_SUFFIX if value.is_street_level else ""
        return f"{value.party.name}{suffix}"


class ProgressReportResource(SpreadsheetResource):
    # 年度 and 任务序号 are read (with 责任单位) to find the assignment, never written.
    checklist_year = Column(
        attribute="assignment__item__checklist__year",
        column_name="年度",
        widget=NonNegativeIntegerWidget(),
        readonly=True,
    )
    item_number = Column(
        attribute="assignment__item__number",
        column_name="任务序号",
        widget=NonNegativeIntegerWidget(),
        readonly=True,
    )
    assignment = Column(
        attribute="assignment",
        column_name="责任单位",
        widget=AssignmentWidget(year_column="年度", number_column="任务序号"),
    )
    year = Column(attribute="year", column_name="年", widget=NonNegativeIntegerWidget())
    month = Column(
        attribute="month", column_name="月", widget=NonNegativeIntegerWidget(minimum=1, maximum=12)
    )
    status = Column(
        attribute="status", column_name="进展状态", widget=ChoicesWidget(ProgressReport.Status)
    )
    narrative = Column(attribute="narrative", column_name="进展情况", widget=TextWidget())
    workflow_state = Column(
        attribute="workflow_state",
        column_name="流程状态",
        widget=ChoicesWidget(ProgressReport.WorkflowState),
        readonly=True,
    )
    values = Column(column_name="指标值", readonly=True)

    class Meta:
        model = ProgressReport
        name = "进展月报"
        fields = (
            "checklist_year",
            "item_number",
            "assignment",
            "year",
            "month",
            "status",
            "narrative",
            "workflow_state",
            "values",
        )
        import_id_fields = ("checklist_year", "item_number", "assignment", "year", "month")

    def filter_export(
        self, queryset: QuerySet[ProgressReport], **kwargs: Any
    ) -> QuerySet[ProgressReport]:
        return queryset.select_related(
            "assignment__item__checklist", "assignment__community", "assignment__unit"
        ).prefetch_related(
            Prefetch("values", queryset=TargetValue.objects.select_related("target"))
        )

    def dehydrate_values(self, report: ProgressReport) -> str:
        if report.pk is None:
            return ""
        values = sorted(report.values.all(), key=lambda value: value.target.order)
        return "；".join(f"{value.target.title}: {value.display()}" for value in values)

    def import_instance(self, instance: ProgressReport, row: dict[str, Any], **kwargs: Any) -> None:
        if instance.pk is not None and not instance.is_editable_by_party():
            raise ValidationError(
                gettext("该月报%(state)s,不能通过导入修改")
                % {"state": instance.get_workflow_state_display()}
            )
        super().import_instance(instance, row, **kwargs)
        _refuse_archived(instance.assignment.item.checklist)

    def before_save_instance(
        self, instance: ProgressReport, row: dict[str, Any], **kwargs: Any
    ) -> None:
        if instance.pk is not None:
            instance.version += 1  # a form opened before the import is now out of date

    def after_save_instance(
        self, instance: ProgressReport, row: dict[str, Any], **kwargs: Any
    ) -> None:
        # Its status or narrative changed: tell the summary tables.
        progress_changed.send(
            sender=ProgressReport,
            assignment_id=instance.assignment_id,
            year=instance.year,
            month=instance.month,
        )
