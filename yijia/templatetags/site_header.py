"""``{% site_header %}``: the header of every page, rendered once per process for each set of
what it shows and then reused (issue 14, part 2: the header was a quarter of the cheapest
signed-in page).

What the header shows is the key: the language, the page (which link is current), the user's
name and whether they are staff, their roles and places and the links they may follow
(``yijia.context_processors.navigation``, kept under the access version), the unread count
(``notifications.unread``) and the search box's text. None of it is read from the cache's
copy, so a change of any of them is a new key and is seen at the next request; nothing can
be stale. The two things that differ on every request, the security token of the forms
and the page's address (the language switch's ``next``), are put into the kept HTML in place
of placeholders.
"""

from __future__ import annotations

from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from django import template
from django.template.context import Context
from django.template.loader import get_template
from django.utils.autoreload import file_changed
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

# Placeholders for what differs on every request; neither can occur in the header otherwise.
_TOKEN = "yijia-header-csrf-token-placeholder"  # noqa: S105 - a placeholder
_PATH = "/yijia-header-next-path-placeholder/"

_Key = tuple[Any, ...]


@lru_cache(maxsize=2048)
def _rendered(key: _Key) -> str:
    (
        language,
        here,
        authenticated,
        who,
        is_staff,
        user_roles,
        user_places,
        nav_files,
        nav_reviews,
        nav_dashboard,
        unread_count,
        search_query,
    ) = key
    return get_template("includes/site_header.html").render(
        {
            "LANGUAGE_CODE": language,
            "here": here,
            "user": SimpleNamespace(is_authenticated=authenticated, is_staff=is_staff),
            "who": who,
            "user_roles": list(user_roles),
            "user_places": list(user_places),
            "nav_files": nav_files,
            "nav_reviews": nav_reviews,
            "nav_dashboard": nav_dashboard,
            "unread_count": unread_count,
            "search_query": search_query,
            "csrf_token": _TOKEN,
            "next_path": _PATH,
        }
    )


def _forget(**kwargs: object) -> None:
    """runserver: an edited template is seen without a restart, as Django's cached loader's."""
    _rendered.cache_clear()


file_changed.connect(_forget, dispatch_uid="site-header-forget")


@register.simple_tag(takes_context=True)
def site_header(context: Context) -> SafeString:
    request = context.get("request")
    user = context.get("user")
    authenticated = user is not None and bool(user.is_authenticated)
    name, is_staff = "", False
    if user is not None and authenticated:
        name, is_staff = user.get_full_name() or user.username, bool(user.is_staff)
    match = getattr(request, "resolver_match", None)
    key: _Key = (
        get_language(),
        match.url_name if match is not None else None,
        authenticated,
        name,
        is_staff,
        tuple(context.get("user_roles") or ()),
        tuple(context.get("user_places") or ()),
        bool(context.get("nav_files")),
        bool(context.get("nav_reviews")),
        bool(context.get("nav_dashboard")),
        context.get("unread_count"),
        context.get("search_query"),
    )
    token = str(context.get("csrf_token") or "")
    path = request.get_full_path() if request is not None else ""
    html = _rendered(key).replace(_PATH, escape(path))
    if token and token != "NOTPROVIDED":  # noqa: S105 - Django's "no token"
        html = html.replace(_TOKEN, escape(token))
    else:  # as {% csrf_token %} without a token: no hidden field
        html = html.replace(
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{_TOKEN}">', ""
        )
    return mark_safe(html)  # noqa: S308 - rendered by the template engine, the two values escaped
