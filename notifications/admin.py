from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import Message, OutboxMessage, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    autocomplete_fields = ["community", "unit"]


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["title", "recipient", "webhook", "kind", "created_at", "read_at"]
    list_display += ["delivery_state", "attempts"]
    list_filter = ["kind", "delivery_state", "created_at"]
    search_fields = ["title", "body", "recipient__username", "recipient__first_name"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient", "webhook__community", "webhook__unit"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["task", "kwargs", "created_at", "published_at", "attempts", "last_error"]
    list_filter = ["task", "published_at"]
