"""Admin bases the apps share."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record kept by the jobs: read, never edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ComputedAdmin(ReadOnlyAdmin):
    """Rows computed from other rows (summaries, published scores): read only, and
    removed only by recomputing."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
