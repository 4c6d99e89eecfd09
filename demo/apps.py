from __future__ import annotations

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data set and synthetic data at scale, with their commands. Nothing in
    production imports it."""

    name = "demo"
    verbose_name = "示例数据"
