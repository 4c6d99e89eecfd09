"""Admin of the street's units, communities, compounds and memberships. Units, communities
and compounds are also imported and exported as spreadsheets (xlsx/csv)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.spreadsheets import SpreadsheetAdminMixin

from .models import Community, Compound, Membership, Unit
from .resources import CommunityResource, CompoundResource, UnitResource
from .services import membership_add, membership_move, membership_remove


@admin.register(Unit)
class UnitAdmin(SpreadsheetAdminMixin, admin.ModelAdmin):
    resource_classes = [UnitResource]
    list_display = ("name", "kind", "is_joint_meeting_member", "order")
    list_filter = ("kind", "is_joint_meeting_member")
    search_fields = ("name",)


class CompoundInline(admin.TabularInline):
    model = Compound
    extra = 0
    fields = (
        "name",
        "address",
        "households",
        "property_manager",
        "is_eligible_for_owners_committee",
        "has_owners_committee",
    )


@admin.register(Community)
class CommunityAdmin(SpreadsheetAdminMixin, admin.ModelAdmin):
    resource_classes = [CommunityResource]
    list_display = ("name", "code", "is_active", "order", "compound_count")
    list_filter = ("is_active",)
    search_fields = ("name", "code")
    inlines = [CompoundInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Community]:
        return super().get_queryset(request).annotate(compound_total=Count("compounds"))

    @admin.display(description=_("小区数"), ordering="compound_total")
    def compound_count(self, community: Community) -> int:
        return community.compound_total  # type: ignore[attr-defined]


@admin.register(Compound)
class CompoundAdmin(SpreadsheetAdminMixin, admin.ModelAdmin):
    resource_classes = [CompoundResource]
    list_display = (
        "name",
        "community",
        "households",
        "property_manager",
        "is_eligible_for_owners_committee",
        "has_owners_committee",
    )
    list_filter = ("community", "is_eligible_for_owners_committee", "has_owners_committee")
    list_select_related = ("community",)
    search_fields = ("name", "address", "property_manager", "community__name")
    autocomplete_fields = ("community",)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "community", "unit")
    list_filter = ("community", "unit")
    list_select_related = ("user", "community", "unit")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    autocomplete_fields = ("user", "community", "unit")

    # Object permissions follow memberships: every change goes through the services.
    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        if change:
            old = Membership.objects.get(pk=obj.pk)
            membership_move(membership=old, community=obj.community, unit=obj.unit)
        else:
            obj.pk = membership_add(user=obj.user, community=obj.community, unit=obj.unit).pk

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        membership_remove(membership=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        for membership in queryset:
            membership_remove(membership=membership)
