"""The summary tables in the admin, to look at only: they are computed from the reports
(``assessments.summaries``; ``manage.py summaries --check`` / ``--rebuild``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AssignmentMonth, PartyMonth


class ComputedAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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
