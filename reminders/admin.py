from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin

from .models import Reminder, ReminderSettings


@admin.register(ReminderSettings)
class ReminderSettingsAdmin(admin.ModelAdmin):
    """One row: the street admin edits it, never adds or deletes it."""

    fieldsets = [
        (_("发送时间"), {"fields": ["send_at", "catch_up_days"]}),
        (
            _("月度填报"),
            {
                "fields": [
                    "filing_days_before",
                    "filing_on_deadline",
                    "filing_after_deadline",
                    "escalate_after_days",
                ]
            },
        ),
        (
            _("会议"),
            {
                "fields": [
                    "meeting_hours_before",
                    "community_meeting_gap_days",
                    "street_meeting_gap_months",
                ]
            },
        ),
        (_("任务时限"), {"fields": ["item_deadline_days_before"]}),
        (_("审核"), {"fields": ["reports_submitted_daily"]}),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not ReminderSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["recipient_key", "recipient", "kind", "subject", "period", "due_at"]
    list_filter = ["kind", "due_at"]
    search_fields = ["recipient__username", "subject", "period", "text"]
    date_hierarchy = "due_at"
    list_select_related = ["recipient"]
