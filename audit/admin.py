"""The login records (django-axes) are audit rows: read in the admin, never edited or
deleted there (the retention job purges them after AUDIT_RETENTION_DAYS). The attempts
that count towards a lockout may be deleted: that unlocks the account early."""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.conf import settings as axes_settings
from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _


class _ReadOnlyLog:
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAccessLogAdmin(_ReadOnlyLog, AccessLogAdmin):
    pass


class ReadOnlyAccessFailureLogAdmin(_ReadOnlyLog, AccessFailureLogAdmin):
    pass


class PortalAccessAttemptAdmin(AccessAttemptAdmin):
    """axes' own, its status column and its clean-up message in words a catalog reaches
    (axes builds them from f-strings: "3 Attempt Remaining", "Cleaned up 2 expired …"). Its
    clean-up action also failed with a 500: it reads the time axes stamps only on login
    requests (``request.axes_attempt_time``), so the request is stamped first."""

    @admin.display(description=_("状态"))
    def status(self, obj: AccessAttempt) -> str:
        remaining = axes_settings.AXES_FAILURE_LIMIT - obj.failures_since_start
        if remaining <= 0:
            return gettext("已锁定")
        return ngettext("还可尝试 %(count)d 次", "还可尝试 %(count)d 次", remaining) % {
            "count": remaining
        }

    @admin.action(description=_("清理已过期的登录失败计数"))
    def cleanup_expired_attempts(
        self, request: HttpRequest, queryset: QuerySet[AccessAttempt]
    ) -> None:
        AxesProxyHandler.update_request(request)
        count = self.handler.clean_expired_user_attempts(request=request)
        self.message_user(
            request,
            ngettext(
                "已清理 %(count)d 条过期的登录失败计数。",
                "已清理 %(count)d 条过期的登录失败计数。",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


for _model, _admin in (
    (AccessAttempt, PortalAccessAttemptAdmin),
    (AccessLog, ReadOnlyAccessLogAdmin),
    (AccessFailureLog, ReadOnlyAccessFailureLogAdmin),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _admin)
