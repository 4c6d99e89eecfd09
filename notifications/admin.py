from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import (
    Message,
    OutboxMessage,
    Reminder,
    ReminderSettings,
    UrgeNotice,
    WebhookEndpoint,
)


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
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not ReminderSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    autocomplete_fields = ["community", "unit"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record kept by the jobs: read, never edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["title", "recipient", "webhook", "kind", "created_at", "read_at"]
    list_display += ["delivery_state", "attempts"]
    list_filter = ["kind", "delivery_state", "created_at"]
    search_fields = ["title", "body", "recipient__username", "recipient__first_name"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient", "webhook__community", "webhook__unit"]


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["recipient_key", "recipient", "kind", "subject", "period", "due_at"]
    list_filter = ["kind", "due_at"]
    search_fields = ["recipient__username", "subject", "period", "text"]
    date_hierarchy = "due_at"
    list_select_related = ["recipient"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["task", "kwargs", "created_at", "published_at", "attempts", "last_error"]
    list_filter = ["task", "published_at"]


class AcknowledgedFilter(admin.SimpleListFilter):
    title = _("是否已确认")
    parameter_name = "acknowledged"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", _("已确认")), ("no", _("未确认"))]

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
