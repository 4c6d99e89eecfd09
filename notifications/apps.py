from __future__ import annotations

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "提醒与消息"

    def ready(self) -> None:
        from .unread import watch

        watch()  # the header's unread count, kept in the cache (notifications/unread.py)
