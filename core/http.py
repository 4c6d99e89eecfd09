"""Small request helpers every app uses."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def local_url(request: HttpRequest, url: str) -> str:
    """``url`` if it stays on this portal (a ``next`` to go back to), else empty: a link
    in a form or a message never sends anyone to another host."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


def logged_in_user(request: HttpRequest) -> User:
    """The request's user, who is logged in: ``LoginRequiredMiddleware`` (or the admin's
    own login) lets no anonymous visitor reach a view that writes in someone's name."""
    user = request.user
    assert isinstance(user, User)  # noqa: S101 (login is required, see the docstring)
    return user
