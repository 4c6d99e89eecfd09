from __future__ import annotations

from django.http import HttpRequest

from .unread import unread_count


def unread_notifications(request: HttpRequest) -> dict[str, object]:
    """The unread count in the header: from the cache while no message to the user was
    written or read (notifications/unread.py), otherwise one query."""
    if not request.user.is_authenticated:
        return {}
    return {"unread_count": unread_count(request.user)}
