from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Plumbing every app uses: period parsing, spreadsheets, private files, request
    helpers, the user type. It has no models and imports no other app of the portal."""

    name = "core"
    verbose_name = "共用组件"
