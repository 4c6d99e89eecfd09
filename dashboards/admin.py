"""The dashboards' summary tables and the urging notices, readable in the admin."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import ComputedAdmin, ReadOnlyAdmin

from .models import AssignmentMonth, ItemMonth, PartyMonth, UrgeNotice


@admin.register(AssignmentMonth)
class AssignmentMonthAdmin(ComputedAdmin):
    list_display = (
        "year",
        "month",
        "item",
        "community",
        "unit",
        "state",
        "deadline",
        "first_submitted_on",
        "targets_met",
        "targets_behind",
        "targets_excepted",
        "is_complete",
    )
    list_filter = ("year", "month", "state", "is_complete", "pillar")
    list_select_related = ("item", "community", "unit")
    search_fields = ("community__name", "unit__name", "=item__number")


@admin.register(PartyMonth)
class PartyMonthAdmin(ComputedAdmin):
    list_display = (
        "year",
        "month",
        "community",
        "unit",
        "expected",
        "received",
        "on_time",
        "approved",
        "returned",
        "complete",
        "behind",
    )
    list_filter = ("year", "month")
    list_select_related = ("community", "unit")
    search_fields = ("community__name", "unit__name")


@admin.register(ItemMonth)
class ItemMonthAdmin(ComputedAdmin):
    list_display = (
        "year",
        "month",
        "item",
        "deadline",
        "expected",
        "received",
        "on_time",
        "late_filed",
        "approved",
        "returned",
        "complete",
        "behind",
        "excepted",
        "unfiled",
    )
    list_filter = ("year", "month")
    list_select_related = ("item",)
    search_fields = ("=item__number", "item__text")


class AcknowledgedFilter(admin.SimpleListFilter):
    title = _("是否已确认")
    parameter_name = "acknowledged"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", gettext("已确认")), ("no", gettext("未确认"))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[UrgeNotice]
    ) -> QuerySet[UrgeNotice]:
        if self.value() == "yes":
            return queryset.filter(acknowledged_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(acknowledged_at__isnull=True)
        return queryset


@admin.register(UrgeNotice)
class UrgeNoticeAdmin(ReadOnlyAdmin):
    """Urges are sent from the dashboard and acknowledged by the party: read here only."""

    list_display = ["assignment", "year", "month", "sent_by", "sent_at", "acknowledged_at"]
    list_display += ["acknowledged_by"]
    list_filter = [AcknowledgedFilter, "year", "month", "sent_at"]
    search_fields = ["text", "assignment__community__name", "assignment__unit__name"]
    date_hierarchy = "sent_at"
    list_select_related = [
        "assignment__item",
        "assignment__community",
        "assignment__unit",
        "sent_by",
        "acknowledged_by",
    ]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
