"""The security log (等保 2.0 asks for one): logins that succeed or fail, lockouts and
unlocks, requests refused with 403, and every data export, each one record on the logger
``yijia.security`` with who, from which address, and what. Where the records go (a
rotating file, kept as long as the audit rules ask) is the logging configuration's
business (``LOGGING`` in ``yijia/settings.py``).

Each record's message reads on its own (``login_failed user=alice ip=10.0.0.1 …``) and its
attributes carry the same fields for a structured handler: ``security_event``,
``security_user``, ``security_ip`` and ``security_details`` (a dict)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.module_loading import import_string

logger = logging.getLogger("yijia.security")

# A failure to log must never turn into a failed request.
_log_errors = logging.getLogger(__name__)


def client_ip(request: HttpRequest | None) -> str | None:
    """The browser's address as the login lockout sees it (``AXES_CLIENT_IP_CALLABLE``:
    X-Forwarded-For only behind the configured proxies)."""
    if request is None:
        return None
    path = getattr(settings, "AXES_CLIENT_IP_CALLABLE", None)
    if path:
        address: str | None = import_string(path)(request)
        return address
    return request.META.get("REMOTE_ADDR")


def _username_of(request: HttpRequest | None) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return str(user.get_username())
    return ""


def security_event(
    event: str,
    *,
    request: HttpRequest | None = None,
    username: str | None = None,
    level: int = logging.INFO,
    **details: Any,
) -> None:
    """Log one security event: ``event`` (``login``, ``login_failed``, ``lockout``,
    ``unlock``, ``permission_denied``, ``export``), the user (the signed-in one unless
    ``username`` is given), the client address and the path, and ``details``."""
    try:
        user = username if username is not None else _username_of(request)
        ip = client_ip(request)
        path = request.path if request is not None else ""
        fields = " ".join(f"{key}={value}" for key, value in details.items())
        logger.log(
            level,
            "%s user=%s ip=%s path=%s %s",
            event,
            user or "-",
            ip or "-",
            path or "-",
            fields,
            extra={
                "security_event": event,
                "security_user": user,
                "security_ip": ip,
                "security_details": {"path": path, **details},
            },
        )
    except Exception:  # noqa: BLE001 (logging must not fail the request)
        _log_errors.exception("Could not write the security log record %s", event)


class PermissionDeniedLogMiddleware:
    """Log every response refused with 403 (a ``PermissionDenied`` turned into the 403
    page, guardian's refusals, a CSRF failure) to the security log, and every data export
    (a response marked ``security_export``, as ``core.files.xlsx_response`` marks the
    ledgers and the assessment results)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.status_code == 403:
            security_event(
                "permission_denied", request=request, method=request.method, level=logging.WARNING
            )
        exported = getattr(response, "security_export", None)
        if exported is not None and response.status_code == 200:
            security_event("export", request=request, what=exported)
        return response
