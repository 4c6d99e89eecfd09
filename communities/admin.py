"""Admin of the street's units, communities, compounds and memberships. Units, communities
and compounds are also imported and exported as spreadsheets (xlsx/csv)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.history_admin import HistoryAdmin
from core.http import logged_in_user
from core.spreadsheets import SpreadsheetAdminMixin

from .accounts import account_unlock
from .models import Community, Compound, Membership, PasswordHistory, Unit
from .resources import CommunityResource, CompoundResource, UnitResource
from .services import membership_add, membership_move, membership_remove


@admin.register(Unit)
class UnitAdmin(SpreadsheetAdminMixin, HistoryAdmin):
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
class CommunityAdmin(SpreadsheetAdminMixin, HistoryAdmin):
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
class MembershipAdmin(HistoryAdmin):
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


# People: Django's user admin, with the action that unlocks a login lockout.
admin.site.unregister(User)


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    actions = ["unlock_login"]

    @admin.action(description=_("解除所选用户的登录锁定"), permissions=["change"])
    def unlock_login(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """A street admin lets a locked-out colleague log in again before the 30 minutes
        are over (``account_unlock``, written to the security log)."""
        usernames = list(queryset.values_list("username", flat=True))
        unlocked = account_unlock(usernames=usernames, by=logged_in_user(request), request=request)
        if unlocked:
            self.message_user(
                request,
                gettext("已解除 %(users)s 的登录锁定,现在可以重新登录。")
                % {"users": "、".join(unlocked)},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request, gettext("所选用户没有被锁定,也没有登录失败记录。"), messages.INFO
            )


@admin.register(PasswordHistory)
class PasswordHistoryAdmin(admin.ModelAdmin):
    """When each user last set a password (for an audit), never the hashes: read only."""

    list_display = ("user", "created_at")
    list_select_related = ("user",)
    search_fields = ("user__username",)
    fields = ("user", "created_at")
    readonly_fields = ("user", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
