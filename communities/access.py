"""Who may do what, written once. Views, querysets and jobs ask these functions.

A user's reach comes from object permissions on communities and units (granted when a
membership is added, see ``communities.services``) and from the global permissions of their
role group. Each function returns a ``Q`` built on subqueries of guardian's direct
foreign-key tables, so that a filtered listing stays one query however many rows exist.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q

from .models import (
    CommunityGroupObjectPermission,
    CommunityUserObjectPermission,
    UnitGroupObjectPermission,
    UnitUserObjectPermission,
)

AnyUser = AbstractBaseUser | AnonymousUser

FILE_REPORTS = "file_reports"
REVIEW_REPORTS = "review_reports"
VIEW_ALL_REPORTS = "tasks.view_all_reports"
# The street admin urges any late party (催办); lead-unit staff only on their items.
URGE_PARTIES = "assessments.urge_parties"


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
