"""The admin's 修改记录 (django-simple-history): shown, never rolled back nor edited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin


class HistoryAdmin(SimpleHistoryAdmin):
    """A model admin with its 修改记录 ("历史" in the change form). A past version opens
    read-only: SimpleHistoryAdmin would save a POST to it (a revert) even with
    SIMPLE_HISTORY_REVERT_DISABLED, so the POST is refused here."""

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method != "GET":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)
