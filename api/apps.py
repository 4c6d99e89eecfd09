from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The web API (/api/v1/, docs/api.md): the pages' querysets and services over REST."""

    name = "api"
    verbose_name = _("数据接口")
