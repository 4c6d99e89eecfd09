from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CommunitiesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "communities"
    verbose_name = _("社区与单位")

    def ready(self) -> None:
        # Imported once the registry is ready: roles.py reaches into django.contrib.auth.
        from .accounts import accounts_connect
        from .roles import role_permissions_sync

        accounts_connect()

        def sync_roles(sender: AppConfig, **kwargs: Any) -> None:
            # After every migrate (and a test's flush), the role groups hold the table.
            role_permissions_sync(kwargs.get("apps") or self.apps)

        post_migrate.connect(
            sync_roles, sender=self, dispatch_uid="role_permissions_sync", weak=False
        )
