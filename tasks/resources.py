"""Spreadsheet columns of the checklist's items and of the monthly progress reports
(xlsx/csv, Chinese headers). Imports are all-or-nothing; see ``core.spreadsheets``.

A progress report import is the street admin filing drafts on the parties' behalf: each
row goes through ``tasks.services.progress_report_save``, as the filing page does, so the
same rules apply (no future month, a narrative for 滞后, a numerator no larger than its
denominator, a denominator other than the compound register's count only with a reason, a
submitted or approved report is not changed), the version moves on and the summary tables
follow. The workflow (submit, approve) is not a column one can type into.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext
from import_export.widgets import Widget

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
    YesNoWidget,
    restore_neutralised,
)

from .models import (
    Assignment,
    Checklist,
    Item,
    ItemLeadUnit,
    Pillar,
    ProgressReport,
    Target,
    TargetValue,
)
from .services import VALUE_COLUMNS, ConcurrentEditError, ValueInput, progress_report_save

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
        year: Any = row.get(self.year_column)  # a spreadsheet cell, as the row gives it
        return Pillar.objects.filter(checklist__year=year)


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


# The 指标值 cell, as the export writes it: "<指标>: <数值>" for each target, joined by "；".
VALUE_SEPARATORS = re.compile(r"[；;\n]")
TITLE_SEPARATOR = re.compile(r"[:：]")
# What ``TargetValue.display`` writes for a target not filled in.
NO_VALUE = ("", "—", "-")


class TargetValuesWidget(Widget):
    """The 指标值 cell read into (指标, 数值) pairs, in the cell's order. Which targets they
    name, and what each figure means, depends on the row's assignment: see
    ``ProgressReportResource.import_instance``. An empty cell gives no figures."""

    def clean(
        self, value: Any, row: dict[str, Any] | None = None, **kwargs: Any
    ) -> list[tuple[str, str]]:
        if value is None:
            return []
        pairs = []
        for entry in VALUE_SEPARATORS.split(restore_neutralised(str(value).strip())):
            entry = entry.strip()
            if not entry:
                continue
            *title_parts, text = TITLE_SEPARATOR.split(entry)
            title = ":".join(title_parts).strip()
            if not title:
                raise ValueError(
                    gettext("“%(entry)s”应写成“指标: 数值”,如“业委会组建率: 3/4”")
                    % {"entry": entry}
                )
            pairs.append((title, text.strip()))
        titles = [title for title, _text in pairs]
        repeated = sorted({title for title in titles if titles.count(title) > 1})
        if repeated:
            raise ValueError(
                gettext("指标重复填写:%(titles)s")
                % {"titles": "、".join(f"“{title}”" for title in repeated)}
            )
        return pairs


def _value_input(target: Target, text: str) -> ValueInput:
    """The figure written for ``target`` (as ``TargetValue.display`` writes it), in the
    columns its kind reads."""
    if text in NO_VALUE:
        return ValueInput()
    kind = Target.Kind
    whole_number = NonNegativeIntegerWidget()
    if target.kind == kind.RATE:
        parts = re.split(r"[/／]", text)
        if len(parts) != 2:
            raise ValueError(
                gettext("“%(target)s”应写成“分子/分母”(如 3/4),而不是“%(value)s”")
                % {"target": target.title, "value": text}
            )
        # A draft may hold one side only, which the export writes as "3/None".
        numerator, denominator = (
            None
            if part.strip() in ("", "None")
            else whole_number.clean(part.strip(), column_name=target.title)
            for part in parts
        )
        return ValueInput(numerator=numerator, denominator=denominator)
    if target.kind in (kind.COUNT, kind.FREQUENCY, kind.ZERO_GROWTH):
        return ValueInput(quantity=whole_number.clean(text, column_name=target.title))
    if target.kind == kind.DEADLINE:
        return ValueInput(achieved_on=OptionalDateWidget().clean(text, column_name=target.title))
    return ValueInput(is_done=YesNoWidget().clean(text, column_name=target.title))


# The column of the reasons a denominator differs from the compound register's count, as
# the filing page labels the input (``TargetValue.denominator_reason``).
REASON_COLUMN = "与登记数不同的原因"


def _reason_targets(assignment: Assignment) -> list[Target]:
    """The targets whose denominator the compound register gives for this party (a
    community's; a unit counts no registered compounds), which take a reason."""
    if assignment.community_id is None:
        return []
    return [target for target in assignment.targets() if target.denominator_source]


def _reasons(assignment: Assignment, text: str) -> dict[int, str]:
    """The 与登记数不同的原因 cell read into each target's reason, by target pk: "<指标>:
    <原因>" for each target, joined by "；" or a line break, as the export writes it. Where
    the party has one target whose denominator the register gives, the reason may stand
    alone. A reason may hold any punctuation: an entry starts where a target's title
    followed by a colon does. An empty cell gives no reasons."""
    text = text.strip()
    if not text:
        return {}
    targets = {target.title: target for target in assignment.targets()}
    taking = _reason_targets(assignment)
    if not taking:
        raise ValueError(
            gettext("第%(number)s项任务没有分母取自登记数的指标,此列应留空")
            % {"number": assignment.item.number}
        )
    known = "、".join(f"“{target.title}”" for target in taking)
    titles = "|".join(re.escape(title) for title in sorted(targets, key=len, reverse=True))
    entries = list(re.finditer(rf"(?:^|[；;\n])\s*({titles})\s*[:：]", text))
    if not entries:
        if len(taking) == 1:
            return {taking[0].pk: text}
        raise ValueError(
            gettext("有多个指标的分母取自登记数,请写成“指标: 原因”,可填:%(known)s")
            % {"known": known}
        )
    if text[: entries[0].start()].strip():
        raise ValueError(
            gettext("“%(text)s”应写成“指标: 原因”,如“%(title)s: 新成立的业委会尚未登记”")
            % {"text": text[: entries[0].start()].strip(), "title": taking[0].title}
        )
    named = [entry.group(1) for entry in entries]
    repeated = sorted({title for title in named if named.count(title) > 1})
    if repeated:
        raise ValueError(
            gettext("指标重复填写:%(titles)s")
            % {"titles": "、".join(f"“{title}”" for title in repeated)}
        )
    taking_pks = {target.pk for target in taking}
    not_taking = [title for title in named if targets[title].pk not in taking_pks]
    if not_taking:
        raise ValueError(
            gettext("指标%(titles)s的分母不取自登记数,不用写原因;可填:%(known)s")
            % {"titles": "、".join(f"“{title}”" for title in not_taking), "known": known}
        )
    reasons = {}
    for entry, following in zip(entries, [*entries[1:], None], strict=True):
        end = following.start() if following is not None else len(text)
        reasons[targets[entry.group(1)].pk] = text[entry.end() : end].strip()
    return reasons


def _value_inputs(
    assignment: Assignment, pairs: list[tuple[str, str]], reasons: dict[int, str]
) -> dict[int, ValueInput]:
    """The figures of a row for ``progress_report_save``: a target the cell does not name
    is left empty, as on the filing page; each comes with the reason given for its
    denominator, if any (the service asks for one where the figure is not the register's
    count, and keeps it only then)."""
    targets = {target.title: target for target in assignment.targets()}
    unknown = [title for title, _text in pairs if title not in targets]
    if unknown:
        raise ValueError(
            gettext("第%(number)s项任务没有指标%(unknown)s,可填:%(known)s")
            % {
                "number": assignment.item.number,
                "unknown": "、".join(f"“{title}”" for title in unknown),
                "known": "、".join(f"“{title}”" for title in targets) or gettext("(无)"),
            }
        )
    inputs = {targets[title].pk: _value_input(targets[title], text) for title, text in pairs}
    return {
        pk: dataclasses.replace(given, denominator_reason=reasons.get(pk, ""))
        for pk, given in inputs.items()
    }


class ProgressReportResource(SpreadsheetResource):
    """Reports filed from a spreadsheet through ``progress_report_save``, in the name of
    the user who imports (``user``, which the admin passes); a row whose report would not
    change is left alone, so that an export imported back touches nothing."""

    # Where a service's refusal that names no input is shown (``ValidationError.code``).
    COLUMN_OF_CODE = {
        "future_month": "月",
        "other_year": "年",
        "archived": "年度",
        "draft_checklist": "年度",
        "locked": "流程状态",
    }

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
    # Read into a plain attribute; ``import_instance`` turns it into each target's figures.
    values = Column(attribute="imported_values", column_name="指标值", widget=TargetValuesWidget())
    # Likewise, the reasons a denominator differs from the register (``_reasons``). A file
    # from before the column existed is read as if it were empty (``before_import_row``).
    denominator_reasons = Column(
        attribute="imported_reasons", column_name=REASON_COLUMN, widget=TextWidget()
    )

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
            "denominator_reasons",
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

    def dehydrate_denominator_reasons(self, report: ProgressReport) -> str:
        if report.pk is None:
            return ""
        values = sorted(report.values.all(), key=lambda value: value.target.order)
        return "；".join(
            f"{value.target.title}: {value.denominator_reason}"
            for value in values
            if value.denominator_reason
        )

    def required_columns(self) -> list[str]:
        return [column for column in super().required_columns() if column != REASON_COLUMN]

    def before_import_row(self, row: dict[str, Any], **kwargs: Any) -> None:
        row.setdefault(REASON_COLUMN, None)

    def import_instance(self, instance: ProgressReport, row: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, Any] = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        pairs = getattr(instance, "imported_values", None)
        if instance.assignment_id is not None and pairs is not None:
            reasons: dict[int, str] = {}
            try:
                reasons = _reasons(instance.assignment, getattr(instance, "imported_reasons", ""))
            except ValueError as error:
                errors.setdefault("imported_reasons", []).append(str(error))
            try:
                # Carried from the row's parsing to save_instance on the unsaved instance.
                inputs = _value_inputs(instance.assignment, pairs, reasons)
                instance.imported_value_inputs = inputs  # type: ignore[attr-defined]  # see above
            except ValueError as error:
                errors.setdefault("imported_values", []).append(str(error))
        if errors:
            raise ValidationError(errors)

    def skip_row(
        self,
        instance: ProgressReport,
        original: ProgressReport | None,
        row: dict[str, Any],
        import_validation_errors: dict[str, Any] | None = None,
    ) -> bool:
        """A report the row would not change: its status, narrative, every figure and every
        reason for a denominator are already as written (a locked report among them is not
        refused for it). A reason the service would not keep (the figure is the register's
        count) changes nothing; a register changed since the export does not either."""
        if import_validation_errors or original is None or original.pk is None:
            return False
        if (instance.status, instance.narrative) != (original.status, original.narrative):
            return False
        given: dict[int, ValueInput] = getattr(instance, "imported_value_inputs", {})
        stored = {value.target_id: value for value in original.values.all()}
        for target in instance.assignment.targets():
            value = stored.get(target.pk)
            now = tuple(getattr(value, column) if value else None for column in VALUE_COLUMNS)
            wanted = given.get(target.pk, ValueInput())
            if now != tuple(getattr(wanted, column) for column in VALUE_COLUMNS):
                return False
            stored_reason = value.denominator_reason if value else ""
            if wanted.denominator_reason.strip() != stored_reason:
                kept = wanted.denominator is not None and wanted.denominator != (
                    target.registered_denominator(instance.assignment.community)
                )
                if stored_reason or kept:
                    return False
        return True

    def save_instance(
        self, instance: ProgressReport, is_create: bool, row: dict[str, Any], **kwargs: Any
    ) -> None:
        """Save through the service, whose refusal becomes the row's error under the column
        it concerns."""
        user = kwargs.get("user")
        if not isinstance(user, User):
            raise ValidationError(gettext("请登录后再导入进展月报。"))
        try:
            report = progress_report_save(
                assignment=instance.assignment,
                year=instance.year,
                month=instance.month,
                by=user,
                status=instance.status,
                narrative=instance.narrative,
                values=getattr(instance, "imported_value_inputs", {}),
                version=None if instance.pk is None else instance.version,
            )
        except ValidationError as error:
            raise self._by_column(error) from None
        except (PermissionDenied, ConcurrentEditError) as error:
            raise ValidationError(str(error)) from None
        instance.pk = report.pk
        instance.refresh_from_db()

    def _by_column(self, error: ValidationError) -> ValidationError:
        """A service's error keyed by the Chinese column header it concerns."""
        by_column: dict[str, list[str]] = {}
        if hasattr(error, "error_dict"):
            for key, messages_ in error.message_dict.items():
                by_column.setdefault(self._column_of_service_key(key), []).extend(messages_)
        else:
            for single in error.error_list:
                column = self.COLUMN_OF_CODE.get(single.code or "", NON_FIELD_ERRORS)
                by_column.setdefault(column, []).extend(single.messages)
        return ValidationError(by_column)

    def _column_of_service_key(self, key: str) -> str:
        """The column a service's error key concerns: ``values`` and a target's input on
        the filing form (``tasks.services.value_field``, "t<pk>_<column>") are the 指标值
        column, except a denominator's reason, which has its own."""
        target_input = re.fullmatch(r"t\d+_(\w+)", key)
        if target_input is not None and target_input.group(1) == "denominator_reason":
            return REASON_COLUMN
        if key == "values" or target_input is not None:
            return str(self.fields["values"].column_name)
        return self._column_of(key)
