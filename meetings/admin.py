"""Admin of meetings: looked up and corrected here, recorded on the portal's pages.

A meeting's text can be corrected here; its state changes only through the services (the
"取消所选会议" action calls ``meeting_cancel``), and its files, judged by their bytes when
uploaded on the meeting's page, are listed but not added here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import YearListFilter
from core.history_admin import HistoryAdmin
from core.http import logged_in_user
from tasks.admin import ReadOnlyAdminMixin

from .models import Meeting, MeetingAttachment
from .services import MeetingDetails, meeting_cancel, meeting_update, meeting_validate


class MeetingAdminForm(forms.ModelForm):
    """Checks a correction as the services do, so that a refusal shows at the field."""

    class Meta:
        model = Meeting
        fields = (
            "starts_at",
            "place",
            "topics",
            "attendees",
            "other_attendees",
            "minutes",
            "items",
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if not self.errors:
            meeting_validate(details=_details(self.instance, cleaned), state=self.instance.state)
        return cleaned


def _details(meeting: Meeting, data: dict[str, Any]) -> MeetingDetails:
    return MeetingDetails(
        target=meeting.target,
        community=meeting.community,
        starts_at=data["starts_at"],
        place=data["place"],
        topics=data["topics"],
        attendees=list(data["attendees"]),
        other_attendees=data["other_attendees"],
        minutes=data["minutes"],
        items=list(data["items"]),
    )


class MeetingAttachmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = MeetingAttachment
    extra = 0
    fields = ("original_name", "content_type", "size", "uploaded_by", "uploaded_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[MeetingAttachment]:
        return super().get_queryset(request).select_related("uploaded_by")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the stored file would stay behind: remove files on the meeting's page


class YearFilter(YearListFilter):
    date_field = "starts_at"


@admin.register(Meeting)
class MeetingAdmin(HistoryAdmin):
    list_display = ("starts_at", "party", "item_number", "target_title", "state", "place")
    list_filter = (
        YearFilter,
        "state",
        ("target", admin.RelatedOnlyFieldListFilter),
        ("community", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("target__item", "community")
    search_fields = ("place", "topics", "minutes", "community__name", "target__title")
    date_hierarchy = "starts_at"
    filter_horizontal = ("attendees", "items")
    readonly_fields = ("target", "community", "state", "recorded_by", "created_at", "updated_at")
    fields = (
        "target",
        "community",
        "state",
        "starts_at",
        "place",
        "topics",
        "attendees",
        "other_attendees",
        "minutes",
        "items",
        "recorded_by",
        "created_at",
        "updated_at",
    )
    inlines = [MeetingAttachmentInline]
    actions = ["cancel_meetings"]
    form = MeetingAdminForm

    def get_queryset(self, request: HttpRequest) -> QuerySet[Meeting]:
        return super().get_queryset(request).select_related("target__item__checklist", "community")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # recorded on the portal's page, which checks the duty and the party

    def has_change_permission(self, request: HttpRequest, obj: Meeting | None = None) -> bool:
        if obj is not None and obj.is_cancelled:
            return False  # a cancelled meeting is kept as it was
        return super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Meeting, form: Any, change: bool) -> None:
        """Saved by ``save_related`` through the service, with its people and items."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        meeting_update(
            meeting=form.instance,
            details=_details(form.instance, form.cleaned_data),
            state=form.instance.state,
            by=logged_in_user(request),
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # cancelled instead, so the record and its files stay

    @admin.display(description=_("责任方"), ordering="community__order")
    def party(self, meeting: Meeting) -> str:
        return meeting.party_label

    @admin.display(description=_("任务"), ordering="target__item__number")
    def item_number(self, meeting: Meeting) -> int:
        return meeting.target.item.number

    @admin.display(description=_("例行工作"))
    def target_title(self, meeting: Meeting) -> str:
        return meeting.target.title

    @admin.action(description=_("取消所选会议"), permissions=["change"])
    def cancel_meetings(self, request: HttpRequest, queryset: QuerySet[Meeting]) -> None:
        cancelled = 0
        for meeting in queryset:
            try:
                meeting_cancel(meeting=meeting, by=logged_in_user(request))
            except ValidationError:
                continue  # already cancelled
            cancelled += 1
        self.message_user(
            request, gettext("已取消 %(n)s 次会议。") % {"n": cancelled}, messages.SUCCESS
        )


@admin.register(MeetingAttachment)
class MeetingAttachmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("original_name", "meeting", "content_type", "size", "uploaded_at")
    list_select_related = ("meeting__target", "meeting__community")
    search_fields = ("original_name",)
    readonly_fields = (
        "meeting",
        "original_name",
        "content_type",
        "size",
        "uploaded_by",
        "uploaded_at",
    )
    exclude = ("file",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
