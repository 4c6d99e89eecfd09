"""Who may do what, written once. Views, querysets and jobs ask these functions.

A user's reach comes from object permissions on communities and units (granted when a
membership is added, see ``communities.services``) and from the global permissions of their
role group. Each function returns a ``Q`` built on subqueries of guardian's direct
foreign-key tables, so that a filtered listing stays one query however many rows exist.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Q, QuerySet

from core.typing import AnyUser

from .models import (
    Community,
    CommunityGroupObjectPermission,
    CommunityUserObjectPermission,
    Membership,
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


# What a signed-in request remembers of its user across requests (yijia/sessions.py: the
# user's row, permissions and the header's navigation) is kept under a version of who may do
# what: a random token in the shared cache (Redis or var/cache: every process sees it) that
# every write of users, roles, permissions, memberships, places and lead units replaces
# (``access_changed``, connected in yijia/apps.py). A change is thus seen at the next request:
# - at once, so that the writing request (and its transaction) sees its own change;
# - and again when the transaction commits, so that what another process read before the
#   commit, and stored under the token of the first bump, is not read either.
def access_version_key() -> str:
    """The version's key, one per database: processes on other databases sharing the cache
    (a development machine's var/cache, a benchmark switching databases) keep their own."""
    return f"communities:access-version:{connection.settings_dict['NAME']}"


def _access_bump() -> None:
    cache.set(access_version_key(), uuid.uuid4().hex, None)


def access_changed(**kwargs: object) -> None:
    """Who may do what changed (also a signal receiver): nothing remembered before is used
    again."""
    _access_bump()
    transaction.on_commit(_access_bump)


def access_version(found: str | None = None) -> str:
    """The current version (one cache read, none when ``found`` was read with the session)."""
    key = access_version_key()
    version = found if found is not None else cache.get(key)
    if version is None:
        version = uuid.uuid4().hex
        # add, not set: two processes starting at once agree on one version.
        if not cache.add(key, version, None):
            version = cache.get(key) or version
    return str(version)


def community_q(user: AnyUser, codename: str, field: str) -> Q:
    """Rows whose ``field`` is a community on which the user holds ``codename``."""
    if not isinstance(user, User):
        return Q(pk__in=[])  # an anonymous visitor holds no permission
    by_user = CommunityUserObjectPermission.objects.filter(
        user=user, permission__codename=codename
    ).values("content_object_id")
    by_group = CommunityGroupObjectPermission.objects.filter(
        group__user=user, permission__codename=codename
    ).values("content_object_id")
    return Q(**{f"{field}__in": by_user}) | Q(**{f"{field}__in": by_group})


def unit_q(user: AnyUser, codename: str, field: str) -> Q:
    """Rows whose ``field`` is a unit on which the user holds ``codename``."""
    if not isinstance(user, User):
        return Q(pk__in=[])  # an anonymous visitor holds no permission
    by_user = UnitUserObjectPermission.objects.filter(
        user=user, permission__codename=codename
    ).values("content_object_id")
    by_group = UnitGroupObjectPermission.objects.filter(
        group__user=user, permission__codename=codename
    ).values("content_object_id")
    return Q(**{f"{field}__in": by_user}) | Q(**{f"{field}__in": by_group})


def staff_memberships() -> QuerySet[Membership]:
    """The memberships of users who may log in: the staff who file and are reminded. A
    community or unit with none has nobody of its own to receive its reminders."""
    return Membership.objects.filter(user__is_active=True)


def global_permissions(user: User) -> set[str]:
    """The user's global permissions ("app_label.codename", their own and their role
    groups') in one query where Django's ModelBackend takes two. They are remembered where
    the backend remembers them (``_perm_cache``), so that every ``has_perm`` later in the
    request costs nothing: ``ProgressReport.objects.visible_to(user)`` inside a dashboard
    query then stays a subquery, not two more queries."""
    if not user.is_active or user.is_superuser:
        return user.get_all_permissions()  # none, or all: the backend knows
    cached: set[str] | None = getattr(user, "_perm_cache", None)
    if cached is None:
        granted = (
            Permission.objects.filter(Q(user=user) | Q(group__user=user))
            .values_list("content_type__app_label", "codename")
            .distinct()
        )
        cached = {f"{app_label}.{codename}" for app_label, codename in granted}
        user._perm_cache = cached  # type: ignore[attr-defined]  # ModelBackend's own cache
    return cached


def sees_everything(user: AnyUser) -> bool:
    """Street admin and leadership read every report of every party."""
    return isinstance(user, User) and user.has_perm(VIEW_ALL_REPORTS)


def may_urge_everywhere(user: AnyUser) -> bool:
    return isinstance(user, User) and user.has_perm(URGE_PARTIES)


def may_reopen_reports(user: AnyUser) -> bool:
    return isinstance(user, User) and user.has_perm("tasks.reopen_report")


def may_file_for_every_party(user: AnyUser) -> bool:
    """The street admin saves any party's draft on its behalf (the spreadsheet import of
    reports collected from the parties, which the same permission opens in the admin).
    Submitting stays with the party."""
    return isinstance(user, User) and user.has_perm("tasks.add_progressreport")


def is_unit_staff(user: AnyUser) -> bool:
    """Staff of a unit of the street. One query, remembered on the user object for the rest
    of the request (as Django remembers a user's permissions)."""
    if not user.is_authenticated:
        return False
    cached: bool | None = getattr(user, "_is_unit_staff", None)
    if cached is None:
        cached = Unit.objects.filter(unit_q(user, REVIEW_REPORTS, "pk")).exists()
        user._is_unit_staff = cached  # type: ignore[attr-defined]  # a per-request cache
    return cached


def sees_every_community(user: AnyUser) -> bool:
    """The street admin, leadership and unit staff: every community's meetings and their
    compliance (the office's view)."""
    return sees_everything(user) or is_unit_staff(user)


def own_community_q(user: AnyUser, field: str) -> Q:
    """Rows whose ``field`` is a community the user is staff of."""
    return community_q(user, FILE_REPORTS, field)


def ledger_downloadable_communities(user: AnyUser) -> QuerySet[Community]:
    """The communities whose ledger (台账: every report of the community) the user may
    download: all for those who see everything, else those the user is staff of. The
    download refuses by it and the community page offers the link by it."""
    if sees_everything(user):
        return Community.objects.all()
    return Community.objects.filter(own_community_q(user, "pk"))


def communities_visible_to(user: AnyUser) -> QuerySet[Community]:
    """The communities whose page and meetings the user may see."""
    if not user.is_authenticated:
        return Community.objects.none()
    if sees_every_community(user):
        return Community.objects.all()
    return Community.objects.filter(own_community_q(user, "pk"))
