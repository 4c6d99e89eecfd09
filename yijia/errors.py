"""The portal's error pages: 400, 403, 404, 500 and a refused form (CSRF), in Chinese and
in the portal's layout, each saying what the person may do next (docs/layout.md).

``yijia/urls.py`` names the handlers and ``CSRF_FAILURE_VIEW`` the CSRF page. With
``DEBUG`` on, Django shows its technical 404 page instead of ``handler404``;
``PortalNotFoundMiddleware`` shows the portal's page there too, so that developers see
what people see. The technical 500 (and 400) pages stay under ``DEBUG``: they carry the
traceback a developer needs. The 500 page renders without the request's context
processors (they query the database, which may be what failed). When what failed is the
database itself (down, restarting, out of connections: ``OperationalError`` or
``InterfaceError``), the answer is 503 "系统暂时不可用" with ``Retry-After``, and the
error is logged on ``yijia.errors`` with its traceback (docs/operations.md)."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.template import loader
from django.urls import Resolver404
from django.utils.functional import Promise
from django.views.decorators.csrf import requires_csrf_token

# get_object_or_404's own sentence ("No Item matches the given query."): it names a model,
# not something a person can act on, so the page says its general sentence instead.
_MODEL_NOT_FOUND = re.compile(r"^No .+ matches the given query\.$")

logger = logging.getLogger(__name__)

# Seconds a client (or a proxy) is asked to wait before trying again after a 503.
RETRY_AFTER = 60


def database_unavailable(exception: BaseException | None) -> bool:
    """Whether ``exception`` (or an error it was raised from) says the database could not
    be reached or its connection broke, rather than a bug in a query."""
    seen: set[int] = set()
    while exception is not None and id(exception) not in seen:
        if isinstance(exception, OperationalError | InterfaceError):
            return True
        seen.add(id(exception))
        exception = exception.__cause__ or exception.__context__
    return False


def reason(exception: Exception | None) -> str:
    """The sentence the view raised the error with, when it is one meant for a person:
    the portal's views raise ``Http404``/``PermissionDenied`` with a Chinese sentence
    ("没有找到这份月报,或您无权查看。"). A URL that matches nothing carries a dict."""
    if exception is None or isinstance(exception, Resolver404) or not exception.args:
        return ""
    message = exception.args[0]
    if not isinstance(message, str | Promise):  # a string or a lazy translation
        return ""
    text = str(message)
    return "" if _MODEL_NOT_FOUND.match(text) else text


def _signed_out_if_unknown(request: HttpRequest) -> None:
    """An error raised before ``AuthenticationMiddleware`` ran (a host the portal does not
    serve) leaves no ``request.user``; the header's context processors need one. Nobody
    has been identified yet, so the page shows as to someone not signed in."""
    if not hasattr(request, "user"):
        request.user = AnonymousUser()


def _page(
    request: HttpRequest, template: str, status: int, exception: Exception | None = None
) -> HttpResponse:
    _signed_out_if_unknown(request)
    body = loader.render_to_string(template, {"reason": reason(exception)}, request)
    return HttpResponse(body, status=status)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # A bad request's text is not shown: it may echo what the request sent.
    return _page(request, "errors/400.html", 400)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, "errors/403.html", 403, exception)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, "errors/404.html", 404, exception)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """A page of its own, rendered without the request: no context processor runs, so
    nothing queries the database (down, perhaps) and no session is read. Django calls it
    while handling the exception, so ``sys.exc_info()`` names it: a database that cannot
    be reached answers 503 (``service_unavailable``)."""
    exception = sys.exc_info()[1]
    if database_unavailable(exception):
        return service_unavailable(request, exception)
    return HttpResponse(loader.get_template("errors/500.html").render(), status=500)


def service_unavailable(request: HttpRequest, exception: BaseException | None) -> HttpResponse:
    """503 "系统暂时不可用", standalone as the 500 page is, and the error in the log."""
    logger.error(
        "Database unavailable answering %s %s: %s",
        request.method,
        request.path,
        exception,
        exc_info=exception,
    )
    response = HttpResponse(loader.get_template("errors/503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: a form refused because its security token was missing or
    stale (a page left open past the 30-minute session, cookies blocked). Under
    ``DEBUG`` the page also shows Django's reason, for developers."""
    _signed_out_if_unknown(request)
    body = loader.render_to_string(
        "errors/csrf_failure.html",
        {"csrf_reason": reason if settings.DEBUG else ""},
        request,
    )
    return HttpResponse(body, status=403)


class PortalNotFoundMiddleware:
    """With ``DEBUG`` on, shows the portal's 404 page rather than Django's technical one
    (both for a view raising ``Http404`` and for an address that matches no URL), so that
    a developer sees what people will see. Does nothing with ``DEBUG`` off, where
    ``handler404`` already answers. Sits after ``CommonMiddleware``, which then still
    turns a 404 into the redirect to the address with its slash."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.DEBUG and response.status_code == 404 and request.resolver_match is None:
            # No URL matched: Django answered with its technical page before any view ran.
            return page_not_found(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if settings.DEBUG and isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None
