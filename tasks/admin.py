"""Admin of the checklist: items with their lead units, targets and assignments, and the
monthly reports with their values, evidence and workflow records.

Items and reports are also imported and exported as spreadsheets (xlsx/csv). A report is
not edited here: its status, narrative, figures, workflow state and the records of its
steps (流程记录) and evidence files (佐证材料) are shown, never added, changed or deleted by
hand. Reports are written by ``tasks.services`` alone, through the portal's pages (the
report page, linked from here, holds the workflow's buttons) or the spreadsheet import.

The holidays and 调休 working days of a year China's official calendar does not cover yet
(节假日安排) are entered here; their list and the checklist's page say which years that is.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import YearListFilter
from core.dates import WEEKDAYS
from core.history_admin import HistoryAdmin
from core.http import logged_in_user
from core.spreadsheets import SpreadsheetAdminMixin

from . import workdays
from .models import (
    Assignment,
    CalendarDay,
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
)
from .resources import ItemResource, ProgressReportResource
from .services import assignments_generate, checklist_archive, checklist_roll_over
from .signals import assignments_changed, progress_changed

# The report's assignment with its item and party, for every list showing a report.
REPORT_RELATED = (
    "report__assignment__item",
    "report__assignment__community",
    "report__assignment__unit",
)


def calendar_coverage_message(year: int) -> tuple[int, str]:
    """The message level and text saying whether deadlines of ``year`` follow the official
    calendar or the days entered under 节假日安排."""
    if workdays.calendar_covers(year):
        return messages.INFO, gettext(
            "%(year)s年:截止日期按国家法定节假日和调休安排(官方日历)顺延,无需在此录入。"
        ) % {"year": year}
    return messages.WARNING, gettext(
        "%(year)s年:官方日历尚未收录该年的节假日安排,截止日期只顺延周末和在“节假日安排”"
        "中录入的节假日,录入的调休上班日按工作日计。请在国务院办公厅公布安排后录入。"
    ) % {"year": year}


class ReadOnlyAdminMixin:
    """A record: it can be looked at, never added or changed through the admin."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _checklist_along(obj: Any, path: str) -> Checklist:
    """The checklist reached from ``obj`` along ``path`` ("" for a checklist itself,
    "item__checklist" for a target)."""
    for name in filter(None, path.split("__")):
        obj = getattr(obj, name)
    return obj


class _ArchivedYearMixin:
    """``checklist_path`` leads from the object the admin asks about to its checklist."""

    checklist_path = "checklist"

    def _archived(self, obj: Any) -> bool:
        return obj is not None and _checklist_along(obj, self.checklist_path).is_archived

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if self._archived(obj):
            return False
        return super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if self._archived(obj):
            return False
        return super().has_delete_permission(request, obj)  # type: ignore[misc]


class ArchivedYearReadOnlyMixin(_ArchivedYearMixin):
    """Rows of an archived year's checklist (``tasks.services.checklist_archive``) are
    shown here, never changed, deleted or added to the year."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        """The field that leads to the checklist offers only rows of open years, so that
        nothing is added to (or moved into) an archived year."""
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]
        first, _, rest = self.checklist_path.partition("__")
        if formfield is not None and db_field.name == first:
            status = f"{rest}__status" if rest else "status"
            formfield.queryset = formfield.queryset.exclude(**{status: Checklist.Status.ARCHIVED})
        return formfield


class ArchivedYearInlineMixin(_ArchivedYearMixin):
    """An inline on the page of a row of an archived year (its parent, from which
    ``checklist_path`` leads): shown without inputs."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if self._archived(obj):
            return False
        return super().has_add_permission(request, obj)  # type: ignore[misc]


class ProgressSignalMixin:
    """Tells the dashboards' summary tables about each change made here, in the same
    transaction (``tasks.signals``). ``progress_key`` gives the assignment-month an object
    belongs to."""

    def progress_key(self, obj: Any) -> tuple[int, int, int]:
        raise NotImplementedError

    def _changed(self, keys: list[tuple[int, int, int]]) -> None:
        for assignment_id, year, month in keys:
            progress_changed.send(
                sender=type(self), assignment_id=assignment_id, year=year, month=month
            )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        self._changed([self.progress_key(form.instance)])

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        key = self.progress_key(obj)
        super().delete_model(request, obj)  # type: ignore[misc]
        self._changed([key])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        keys = [self.progress_key(obj) for obj in queryset]
        super().delete_queryset(request, queryset)  # type: ignore[misc]
        self._changed(keys)


class PillarInline(ArchivedYearInlineMixin, admin.TabularInline):
    checklist_path = ""
    model = Pillar
    extra = 0
    fields = ("number", "name")


@admin.register(Checklist)
class ChecklistAdmin(ArchivedYearReadOnlyMixin, admin.ModelAdmin):
    checklist_path = ""
    list_display = (
        "year",
        "title",
        "document_number",
        "status",
        "issued_on",
        "takes_effect_on",
        "filing_day",
    )
    list_filter = ("status",)
    search_fields = ("title", "document_number", "=year")
    inlines = [PillarInline]
    actions = ["generate_assignments", "roll_over", "roll_over_keep_open", "archive"]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "GET":
            checklist = self.get_object(request, unquote(object_id))
            if checklist is not None and not workdays.calendar_covers(checklist.year):
                level, message = calendar_coverage_message(checklist.year)
                self.message_user(request, message, level)
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description=_("按责任单位范围生成任务分派"))
    def generate_assignments(self, request: HttpRequest, queryset: QuerySet[Checklist]) -> None:
        for checklist in queryset:
            try:
                created = assignments_generate(checklist=checklist)
            except ValidationError as error:
                reasons = {"year": checklist.year, "reasons": " ".join(error.messages)}
                self.message_user(
                    request, gettext("%(year)s年度清单:%(reasons)s") % reasons, messages.ERROR
                )
                continue
            self.message_user(
                request,
                gettext("%(year)s年度清单:新建了 %(count)d 项任务分派。")
                % {"year": checklist.year, "count": created},
            )

    @admin.action(description=_("复制为下一年度清单并归档本年度"), permissions=["add"])
    def roll_over(self, request: HttpRequest, queryset: QuerySet[Checklist]) -> None:
        self._roll_over(request, queryset, archive=True)

    @admin.action(
        description=_("复制为下一年度清单,本年度暂不归档(12月进展报齐后再归档)"),
        permissions=["add"],
    )
    def roll_over_keep_open(self, request: HttpRequest, queryset: QuerySet[Checklist]) -> None:
        self._roll_over(request, queryset, archive=False)

    @admin.action(description=_("归档(只能查看,不能再填报和审核)"), permissions=["change"])
    def archive(self, request: HttpRequest, queryset: QuerySet[Checklist]) -> None:
        for checklist in queryset:
            try:
                checklist_archive(checklist=checklist, by=logged_in_user(request))
            except (ValidationError, PermissionDenied) as error:
                reasons = error.messages if isinstance(error, ValidationError) else [str(error)]
                self.message_user(request, " ".join(reasons), messages.ERROR)
                continue
            self.log_change(request, checklist, gettext("已归档"))
            self.message_user(
                request, gettext("%(checklist)s 已归档,只能查看。") % {"checklist": checklist}
            )

    def _roll_over(
        self, request: HttpRequest, queryset: QuerySet[Checklist], *, archive: bool
    ) -> None:
        if len(queryset) != 1:
            self.message_user(
                request, gettext("请只选择一个年度清单(作为下一年度清单的底稿)。"), messages.ERROR
            )
            return
        [source] = queryset
        try:
            checklist = checklist_roll_over(
                source=source, year=source.year + 1, by=logged_in_user(request), archive=archive
            )
        except (ValidationError, PermissionDenied) as error:
            reasons = error.messages if isinstance(error, ValidationError) else [str(error)]
            self.message_user(request, " ".join(reasons), messages.ERROR)
            return
        self.log_addition(
            request, checklist, gettext("由%(year)s年度清单复制") % {"year": source.year}
        )
        if archive:
            self.log_change(request, source, gettext("已归档"))
        self.message_user(
            request,
            format_html(
                gettext(
                    '已生成{year}年度清单(草稿):<a href="{url}">{checklist}</a>,'
                    "请核对修改后填写文号、发文日期,再改为“执行中”。{source_state}"
                ),
                year=checklist.year,
                url=reverse("admin:tasks_checklist_change", args=[checklist.pk]),
                checklist=checklist,
                source_state=gettext("%(year)s年度清单已归档,只能查看。") % {"year": source.year}
                if archive
                else gettext("%(year)s年度清单仍可填报,12月进展报齐后请归档。")
                % {"year": source.year},
            ),
            messages.SUCCESS,
        )


@admin.register(Pillar)
class PillarAdmin(ArchivedYearReadOnlyMixin, admin.ModelAdmin):
    list_display = ("name", "number", "checklist")
    list_filter = ("checklist__year",)
    list_select_related = ("checklist",)
    search_fields = ("name",)


class ItemLeadUnitInline(ArchivedYearInlineMixin, admin.TabularInline):
    model = ItemLeadUnit
    extra = 0
    fields = ("order", "unit")
    ordering = ("order",)
    autocomplete_fields = ("unit",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ItemLeadUnit]:
        return super().get_queryset(request).select_related("unit")


class TargetInline(ArchivedYearInlineMixin, admin.StackedInline):
    model = Target
    extra = 0
    ordering = ("order",)
    fields = (
        ("order", "kind", "level"),
        "title",
        ("threshold", "unit_label", "period", "due_date"),
        ("numerator_label", "denominator_label", "denominator_source"),
    )


class AssignmentInline(ArchivedYearInlineMixin, admin.TabularInline):
    model = Assignment
    extra = 0
    fields = ("community", "unit", "is_street_level")
    autocomplete_fields = ("community", "unit")
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Assignment]:
        return super().get_queryset(request).select_related("community", "unit")


class EvidenceRequirementInline(ArchivedYearInlineMixin, admin.TabularInline):
    model = EvidenceRequirement
    extra = 0
    fields = ("kind",)


@admin.register(EvidenceRequirement)
class EvidenceRequirementAdmin(ArchivedYearReadOnlyMixin, admin.ModelAdmin):
    checklist_path = "item__checklist"
    list_display = ("item", "kind")
    list_filter = ("item__checklist__year", "kind")
    list_select_related = ("item",)
    search_fields = ("=item__number", "item__text")
    autocomplete_fields = ("item",)


@admin.register(Item)
class ItemAdmin(ArchivedYearReadOnlyMixin, SpreadsheetAdminMixin, HistoryAdmin):
    resource_classes = [ItemResource]
    list_display = (
        "number",
        "short_text",
        "pillar",
        "lead_units_label",
        "responsible_scope",
        "due_date",
        "checklist_year",
    )
    list_display_links = ("number", "short_text")
    list_filter = ("checklist__year", "pillar__name", "responsible_scope", "lead_units")
    list_select_related = ("checklist", "pillar")
    search_fields = ("=number", "text", "legal_reference")
    autocomplete_fields = ("checklist", "pillar", "responsible_units")
    inlines = [ItemLeadUnitInline, TargetInline, EvidenceRequirementInline, AssignmentInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Item]:
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch(
                    "lead_unit_links",
                    queryset=ItemLeadUnit.objects.select_related("unit").order_by("order"),
                )
            )
        )

    @admin.display(description=_("任务内容"))
    def short_text(self, item: Item) -> str:
        return item.text if len(item.text) <= 40 else f"{item.text[:40]}…"

    @admin.display(description=_("牵头单位"))
    def lead_units_label(self, item: Item) -> str:
        return "、".join(unit.name for unit in item.ordered_lead_units())

    @admin.display(description=_("年度"), ordering="checklist__year")
    def checklist_year(self, item: Item) -> int:
        return item.checklist.year


@admin.register(ItemLeadUnit)
class ItemLeadUnitAdmin(ArchivedYearReadOnlyMixin, admin.ModelAdmin):
    checklist_path = "item__checklist"
    list_display = ("item", "unit", "order")
    list_filter = ("item__checklist__year", "unit")
    list_select_related = ("item", "unit")
    search_fields = ("=item__number", "item__text", "unit__name")
    autocomplete_fields = ("item", "unit")


@admin.register(Target)
class TargetAdmin(ArchivedYearReadOnlyMixin, HistoryAdmin):
    checklist_path = "item__checklist"
    list_display = ("__str__", "kind", "requirement", "level", "item")
    list_filter = ("item__checklist__year", "kind", "level", "period")
    list_select_related = ("item__checklist",)
    search_fields = ("title", "=item__number", "item__text")
    autocomplete_fields = ("item",)

    @admin.display(description=_("要求"))
    def requirement(self, target: Target) -> str:
        return target.requirement


@admin.register(Assignment)
class AssignmentAdmin(ArchivedYearReadOnlyMixin, HistoryAdmin):
    checklist_path = "item__checklist"
    list_display = ("item", "party", "is_street_level")
    list_filter = ("item__checklist__year", "is_street_level", "community", "unit")
    list_select_related = ("item", "community", "unit")
    search_fields = ("=item__number", "item__text", "community__name", "unit__name")
    autocomplete_fields = ("item", "community", "unit")

    @admin.display(description=_("责任单位"))
    def party(self, assignment: Assignment) -> str:
        return str(assignment.party)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        assignments_changed.send(sender=Assignment, checklist_id=form.instance.item.checklist_id)

    def delete_model(self, request: HttpRequest, obj: Assignment) -> None:
        checklist_id = obj.item.checklist_id
        super().delete_model(request, obj)
        assignments_changed.send(sender=Assignment, checklist_id=checklist_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Assignment]) -> None:
        checklists = set(queryset.values_list("item__checklist_id", flat=True))
        super().delete_queryset(request, queryset)
        for checklist_id in checklists:
            assignments_changed.send(sender=Assignment, checklist_id=checklist_id)


class TargetValueInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The figures of the report, shown; they change on the portal's filing page only."""

    model = TargetValue
    extra = 0
    fields = (
        "target",
        "numerator",
        "denominator",
        "denominator_registered",
        "denominator_reason",
        "quantity",
        "achieved_on",
        "is_done",
    )
    readonly_fields = fields
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[TargetValue]:
        return super().get_queryset(request).select_related("target__item")


class EvidenceInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Evidence
    extra = 0
    fields = ("original_name", "kind", "content_type", "size", "uploaded_by", "uploaded_at")
    readonly_fields = fields
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Evidence]:
        return super().get_queryset(request).select_related("uploaded_by")


class ReportTransitionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ReportTransition
    extra = 0
    fields = ("at", "from_state", "to_state", "by", "comment")
    readonly_fields = fields
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReportTransition]:
        return super().get_queryset(request).select_related("by")


class ReportContentReadOnlyMixin(ReadOnlyAdminMixin):
    """A report's content (status, narrative, figures, workflow) is written by the services
    in ``tasks.services`` only, which the portal's pages and the spreadsheet import call:
    here it is shown, never added, changed or deleted by hand, so that the admin cannot
    save what the services would refuse."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProgressReport)
class ProgressReportAdmin(ReportContentReadOnlyMixin, SpreadsheetAdminMixin, HistoryAdmin):
    resource_classes = [ProgressReportResource]
    # The import button shows although reports are not added here: each imported row is
    # saved through ``progress_report_save``.
    import_export_change_list_template = "admin/tasks/progressreport/change_list.html"
    list_display = (
        "period_label",
        "item_number",
        "party",
        "status",
        "workflow_state",
        "submitted_at",
        "reviewed_at",
    )
    list_filter = ("year", "month", "workflow_state", "status", "assignment__item")
    list_select_related = (
        "assignment__item__checklist",
        "assignment__community",
        "assignment__unit",
    )
    search_fields = (
        "narrative",
        "=assignment__item__number",
        "assignment__community__name",
        "assignment__unit__name",
    )
    fields = (
        "portal_page",
        "assignment",
        ("year", "month"),
        ("status", "declared_status"),
        ("exception_state", "exception_reason"),
        ("exception_decided_by", "exception_decided_at"),
        "narrative",
        "workflow_state",
        ("submitted_at", "submitted_by"),
        ("reviewed_at", "reviewed_by"),
        "review_comment",
        "version",
        ("created_at", "updated_at"),
    )
    readonly_fields = tuple(
        name for entry in fields for name in (entry if isinstance(entry, tuple) else (entry,))
    )
    inlines = [TargetValueInline, EvidenceInline, ReportTransitionInline]

    @admin.display(description=_("月份"), ordering="year")
    def period_label(self, report: ProgressReport) -> str:
        return report.period_label

    @admin.display(description=_("任务序号"), ordering="assignment__item__number")
    def item_number(self, report: ProgressReport) -> int:
        return report.assignment.item.number

    @admin.display(description=_("责任单位"))
    def party(self, report: ProgressReport) -> str:
        return str(report.assignment.party)

    @admin.display(description=_("门户中的月报页"))
    def portal_page(self, report: ProgressReport) -> str:
        return format_html(
            '<a href="{url}">{text}</a>',
            url=reverse("report_detail", args=[report.pk]),
            text=gettext("打开月报页:提交、审核、退回和重新打开都在那里办理"),
        )


@admin.register(TargetValue)
class TargetValueAdmin(ReportContentReadOnlyMixin, HistoryAdmin):
    list_display = ("report", "target", "display")
    list_select_related = (*REPORT_RELATED, "target__item")
    list_filter = ("report__year", "report__month", "target__kind")
    search_fields = ("target__title", "report__assignment__community__name")

    @admin.display(description=_("数值"))
    def display(self, value: TargetValue) -> str:
        return value.display()


@admin.register(Evidence)
class EvidenceAdmin(ArchivedYearReadOnlyMixin, ReadOnlyAdminMixin, HistoryAdmin):
    checklist_path = "report__assignment__item__checklist"
    list_display = ("original_name", "kind", "report", "size", "uploaded_by", "uploaded_at")
    list_filter = ("kind", "report__year", "report__month")
    list_select_related = (*REPORT_RELATED, "uploaded_by")
    search_fields = ("original_name",)
    # The file itself is private, served only through the portal's permission-checked view.
    exclude = ("file",)


@admin.register(ReportTransition)
class ReportTransitionAdmin(ArchivedYearReadOnlyMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    checklist_path = "report__assignment__item__checklist"
    list_display = ("report", "from_state", "to_state", "by", "at")
    list_filter = ("to_state", "from_state")
    list_select_related = (*REPORT_RELATED, "by")
    search_fields = ("comment", "by__username")


@admin.register(DeadlineExtension)
class DeadlineExtensionAdmin(ArchivedYearReadOnlyMixin, ProgressSignalMixin, admin.ModelAdmin):
    """Requests are made and decided in the portal (``extension_request``,
    ``extension_decide``); here the decision is read-only."""

    checklist_path = "assignment__item__checklist"
    list_display = ("assignment", "year", "month", "requested_deadline", "state", "decided_at")
    list_filter = ("state", "year", "month")
    list_select_related = ("assignment__item", "assignment__community", "assignment__unit")
    search_fields = ("reason", "assignment__community__name", "assignment__unit__name")
    autocomplete_fields = ("assignment",)
    readonly_fields = ("state", "requested_by", "requested_at", "decided_by", "decided_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def progress_key(self, obj: DeadlineExtension) -> tuple[int, int, int]:
        return (obj.assignment_id, obj.year, obj.month)


class CalendarYearFilter(YearListFilter):
    date_field = "date"


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Holidays and 调休 working days for years the official calendar does not cover; the
    list says, for the active checklist's year and the next, which years need them."""

    list_display = ("date", "weekday", "kind", "name", "in_effect")
    list_filter = (CalendarYearFilter, "kind")
    search_fields = ("name",)
    ordering = ("-date",)

    @admin.display(description=_("星期"))
    def weekday(self, day: CalendarDay) -> str:
        return str(WEEKDAYS[day.date.weekday()])

    @admin.display(description=_("生效"), boolean=True)
    def in_effect(self, day: CalendarDay) -> bool:
        """Entries for a covered year are kept but not used: the official calendar wins."""
        return not workdays.calendar_covers(day.date.year)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method == "GET":
            year = _active_year()
            for shown_year in (year, year + 1):
                level, message = calendar_coverage_message(shown_year)
                self.message_user(request, message, level)
        return super().changelist_view(request, extra_context)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarDay]) -> None:
        super().delete_queryset(request, queryset)
        # A bulk delete does not go through CalendarDay.delete().
        workdays.clear_cache()


def _active_year() -> int:
    """The year of the checklist being carried out, or this year when none is active."""
    checklist = Checklist.objects.filter(status=Checklist.Status.ACTIVE).order_by("-year").first()
    return checklist.year if checklist is not None else timezone.localdate().year
