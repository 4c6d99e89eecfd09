"""What the header shows: who is logged in, in which role and where, and which links of the
navigation they may follow. The links are decided by permissions (the same the views check),
never by the name of a group."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission, User
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest

from communities import access
from communities.models import Membership
from tasks.models import ItemLeadUnit


def _role_grants(permission: str) -> Exists:
    """Whether the outer role group holds ``permission`` ("app.codename")."""
    app_label, codename = permission.split(".")
    return Exists(
        Permission.objects.filter(
            group=OuterRef("pk"), content_type__app_label=app_label, codename=codename
        )
    )


def navigation(request: HttpRequest) -> dict[str, object]:
    """What the header shows of the user: remembered in the session with the user under the
    access version (yijia/sessions.py), no query; read afresh (two queries) for a user that
    did not come from the session (a login, a test's request)."""
    user = request.user
    if not isinstance(user, User) or not user.is_active:
        return {}
    header: dict[str, object] | None = getattr(request, "_access_header", None)
    if header is None:
        header = _navigation_read(user)
    return header


def _navigation_read(user: User) -> dict[str, object]:
    """Two queries: the user's places, and their roles with the permissions that decide
    the links. Roles are where the portal grants permissions (``communities.roles``); a
    superuser holds them all."""
    places = list(
        Membership.objects.filter(user=user)
        .select_related("community", "unit")
        .annotate(unit_leads_items=Exists(ItemLeadUnit.objects.filter(unit=OuterRef("unit"))))
    )
    # [*…] rather than list(…), which makes django-stubs type the named rows twice.
    roles = [
        *Group.objects.filter(Q(user=user))
        .order_by("name")
        .annotate(
            sees_everything=_role_grants(access.VIEW_ALL_REPORTS),
            opens_dashboard=_role_grants(access.VIEW_DASHBOARD),
        )
        .values_list("name", "sees_everything", "opens_dashboard", named=True)
    ]
    return {
        "user_roles": [role.name for role in roles],
        "user_places": [str(membership.community or membership.unit) for membership in places],
        # Which links the header offers; the views check the same permissions themselves.
        "nav_files": bool(places),
        "nav_reviews": user.is_superuser
        or any(role.sees_everything for role in roles)
        or any(membership.unit_leads_items for membership in places),
        "nav_dashboard": user.is_superuser or any(role.opens_dashboard for role in roles),
    }
