from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.http import HttpRequest

from tasks.models import ItemLeadUnit

from .models import Membership
from .roles import Role


def user_roles(request: HttpRequest) -> dict[str, object]:
    """The header's "who is logged in, in which role and where" (two queries)."""
    user = request.user
    if not user.is_authenticated:
        return {}
    places = list(
        Membership.objects.filter(user=user)
        .select_related("community", "unit")
        .annotate(unit_leads_items=Exists(ItemLeadUnit.objects.filter(unit=OuterRef("unit"))))
    )
    roles = list(user.groups.order_by("name").values_list("name", flat=True))
    return {
        "user_roles": roles,
        "user_places": [str(membership.community or membership.unit) for membership in places],
        # Which links the header offers; the views check permissions themselves.
        "nav_files": bool(places),
        "nav_reviews": any(m.unit_leads_items for m in places)
        or bool({Role.STREET_ADMIN, Role.LEADERSHIP} & set(roles)),
        "nav_dashboard": bool(
            {Role.STREET_ADMIN, Role.LEADERSHIP, Role.LEAD_UNIT_STAFF} & set(roles)
        ),
    }
