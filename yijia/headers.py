"""The security headers django-csp and Django do not send themselves.

``Permissions-Policy`` on every response refuses the browser features the portal never uses
(``settings.PERMISSIONS_POLICY``). A page shown to a signed-in person is sent with
``Cache-Control: no-store``: it holds figures and names that must not stay in a shared
computer's browser cache, nor in a proxy's, after the person signs out (docs/deployment.md).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers
from django.utils.functional import empty


def permissions_policy(policy: dict[str, list[str]]) -> str:
    """``{"camera": [], "fullscreen": ["self"]}`` → ``camera=(), fullscreen=(self)``."""
    return ", ".join(f"{feature}=({' '.join(allow)})" for feature, allow in policy.items())


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.permissions_policy = permissions_policy(settings.PERMISSIONS_POLICY)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if self.permissions_policy:
            response.headers.setdefault("Permissions-Policy", self.permissions_policy)
        if _signed_in(request) and "no-store" not in response.get("Cache-Control", ""):
            add_never_cache_headers(response)  # a file sent private, no-store keeps its own
        return response


def _signed_in(request: HttpRequest) -> bool:
    """Whether the request was answered for a signed-in person, as far as it has been asked.

    request.user is set (lazily) by AuthenticationMiddleware, after this one, on the way in;
    a request it never reached (a redirect to the address with a slash) has none. A user never
    loaded is not loaded here: that would cost a query on pages that never needed one, and
    fail again when the database is down. Every page that needs a signed-in person has
    loaded it (LoginRequiredMiddleware, the header)."""
    user = getattr(request, "user", None)
    loaded = getattr(user, "_wrapped", user)
    return loaded is not None and loaded is not empty and bool(loaded.is_authenticated)
