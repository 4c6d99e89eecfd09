"""Who may do what, written once. Views, querysets and jobs ask these functions.

A user's reach comes from object permissions on communities and units (granted when a
membership is added, see ``communities.services``) and from the global permissions of their
role group. Each function returns a ``Q`` built on subqueries of guardian's direct
foreign-key tables, so that a filtered listing stays one query however many rows exist.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from core.typing import AnyUser

from .models import (
    Community,
    CommunityGroupObjectPermission,
    CommunityUserObjectPermission,
    Unit,
    UnitGroupObjectPermission,
    UnitUserObjectPermission,
)

FILE_REPORTS = "file_reports"
REVIEW_REPORTS = "review_reports"
VIEW_ALL_REPORTS = "tasks.view_all_reports"
# The street admin urges any late party (催办); lead-unit staff only on their items.
URGE_PARTIES = "dashboards.urge_parties"
# Street admin, leadership and lead-unit staff open the completion dashboards.
VIEW_DASHBOARD = "dashboards.view_dashboard"


def community_q(user: AnyUser, codename: str, field: str) -> Q:
    """Rows whose ``field`` is a community on which the user holds ``codename``."""
    by_user = CommunityUserObjectPermission.objects.filter(
        user=user, permission__codename=codename
    ).values("content_object_id")
    by_group = CommunityGroupObjectPermission.objects.filter(
        group__user=user, permission__codename=codename
    ).values("content_object_id")
    return Q(**{f"{field}__in": by_user}) | Q(**{f"{field}__in": by_group})


def unit_q(user: AnyUser, codename: str, field: str) -> Q:
    """Rows whose ``field`` is a unit on which the user holds ``codename``."""
    by_user = UnitUserObjectPermission.objects.filter(
        user=user, permission__codename=codename
    ).values("content_object_id")
    by_group = UnitGroupObjectPermission.objects.filter(
        group__user=user, permission__codename=codename
    ).values("content_object_id")
    return Q(**{f"{field}__in": by_user}) | Q(**{f"{field}__in": by_group})


def sees_everything(user: AnyUser) -> bool:
    """Street admin and leadership read every report of every party."""
    return user.is_authenticated and user.has_perm(VIEW_ALL_REPORTS)


def may_urge_everywhere(user: AnyUser) -> bool:
    return user.is_authenticated and user.has_perm(URGE_PARTIES)


def may_reopen_reports(user: AnyUser) -> bool:
    return user.is_authenticated and user.has_perm("tasks.reopen_report")


def is_unit_staff(user: AnyUser) -> bool:
    """Staff of a unit of the street. One query, remembered on the user object for the rest
    of the request (as Django remembers a user's permissions)."""
    if not user.is_authenticated:
        return False
    cached: bool | None = getattr(user, "_is_unit_staff", None)
    if cached is None:
        cached = Unit.objects.filter(unit_q(user, REVIEW_REPORTS, "pk")).exists()
        user._is_unit_staff = cached  # type: ignore[union-attr]
    return cached


def sees_every_community(user: AnyUser) -> bool:
    """The street admin, leadership and unit staff: every community's meetings and their
    compliance (the office's view)."""
    return sees_everything(user) or is_unit_staff(user)


def own_community_q(user: AnyUser, field: str) -> Q:
    """Rows whose ``field`` is a community the user is staff of."""
    return community_q(user, FILE_REPORTS, field)


def communities_visible_to(user: AnyUser) -> QuerySet[Community]:
    """The communities whose page and meetings the user may see."""
    if not user.is_authenticated:
        return Community.objects.none()
    if sees_every_community(user):
        return Community.objects.all()
    return Community.objects.filter(own_community_q(user, "pk"))
