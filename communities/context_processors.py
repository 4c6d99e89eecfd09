from __future__ import annotations

from django.http import HttpRequest

from .models import Membership


def user_roles(request: HttpRequest) -> dict[str, list[str]]:
    """The header's "who is logged in, in which role and where" (two queries)."""
    user = request.user
    if not user.is_authenticated:
        return {}
    places = Membership.objects.filter(user=user).select_related("community", "unit")
    return {
        "user_roles": list(user.groups.order_by("name").values_list("name", flat=True)),
        "user_places": [str(membership.community or membership.unit) for membership in places],
    }
