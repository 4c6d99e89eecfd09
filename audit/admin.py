"""The login records (django-axes) are audit rows: read in the admin, never edited or
deleted there (the retention job purges them after AUDIT_RETENTION_DAYS)."""

from __future__ import annotations

from typing import Any

from axes.admin import AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessFailureLog, AccessLog
from django.contrib import admin
from django.http import HttpRequest


class _ReadOnlyLog:
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAccessLogAdmin(_ReadOnlyLog, AccessLogAdmin):
    pass


class ReadOnlyAccessFailureLogAdmin(_ReadOnlyLog, AccessFailureLogAdmin):
    pass


for _model, _admin in (
    (AccessLog, ReadOnlyAccessLogAdmin),
    (AccessFailureLog, ReadOnlyAccessFailureLogAdmin),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _admin)
