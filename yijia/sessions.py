"""Idle sessions end after ``SESSION_COOKIE_AGE`` (30 minutes) without writing the session
row on every request.

``SESSION_SAVE_EVERY_REQUEST`` wrote (and committed) the session on every page: a database
write per read-only request. This middleware renews the session only when the last save
is more than ``SESSION_RENEW_SECONDS`` old (60): a signed-in user's session is written at
most once a minute, and it still ends 29–30 minutes after the last request (30 after the
last write). A session changed by the request itself (login, messages) is saved anyway,
and records the time of that save."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

RENEWED_AT = "_renewed_at"


class SessionRenewalMiddleware:
    """After ``SessionMiddleware`` in ``MIDDLEWARE``: its response phase runs first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = request.session
        # No session (an anonymous visitor), one this request never read, or one just
        # flushed (logout): nothing to renew, and nothing is created.
        if session.session_key is None or not session.accessed or session.is_empty():
            return response
        now = int(timezone.now().timestamp())
        renewed_at = session.get(RENEWED_AT, 0)
        if session.modified or now - renewed_at >= settings.SESSION_RENEW_SECONDS:
            session[RENEWED_AT] = now
        return response


def renewed_at_login(*, request: HttpRequest, **kwargs: object) -> None:
    """At login (``user_logged_in``), the session is saved: it is new for a minute."""
    request.session[RENEWED_AT] = int(timezone.now().timestamp())
