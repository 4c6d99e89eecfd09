"""django-axes (the login records and the lockout) as the admin shows it: its app config,
listed in INSTALLED_APPS in axes' place ("audit.login_security.LoginSecurityConfig").

axes names its app "Axes" (the app's label, which no catalog translates) and its rows in
English f-strings ("Attempted Access: <UTC time>"), which the admin puts in titles,
breadcrumbs, delete pages and messages. Its other strings (models, fields, filters,
actions) are translated by the project's catalog, locale/zh_Hans."""

from __future__ import annotations

from typing import TYPE_CHECKING

from axes.apps import AppConfig as AxesAppConfig
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    import datetime

    from axes.models import AccessAttempt, AccessFailureLog, AccessLog


def _when(moment: datetime.datetime | None) -> str:
    return formats.localize(timezone.localtime(moment)) if moment else "—"


def attempt_name(attempt: AccessAttempt) -> str:
    return gettext("%(username)s 的登录失败计数(%(time)s)") % {
        "username": attempt.username or "—",
        "time": _when(attempt.attempt_time),
    }


def failure_name(failure: AccessFailureLog) -> str:
    if failure.locked_out:
        text = gettext("%(username)s 登录失败并被锁定(%(time)s,来自 %(address)s)")
    else:
        text = gettext("%(username)s 登录失败(%(time)s,来自 %(address)s)")
    return text % {
        "username": failure.username or "—",
        "time": _when(failure.attempt_time),
        "address": failure.ip_address or "—",
    }


def login_name(log: AccessLog) -> str:
    return gettext("%(username)s 的登录(%(time)s)") % {
        "username": log.username or "—",
        "time": _when(log.attempt_time),
    }


class LoginSecurityConfig(AxesAppConfig):
    verbose_name = _("登录安全")

    def ready(self) -> None:
        super().ready()
        # Imported here: an app config's module is imported before any model may be.
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog

        AccessAttempt.__str__ = attempt_name
        AccessFailureLog.__str__ = failure_name
        AccessLog.__str__ = login_name
