from __future__ import annotations

from django.http import HttpRequest

from .models import Message


def unread_notifications(request: HttpRequest) -> dict[str, object]:
    """The unread count in the header (one query)."""
    if not request.user.is_authenticated:
        return {}
    return {"unread_count": Message.objects.for_user(request.user).unread().count()}
