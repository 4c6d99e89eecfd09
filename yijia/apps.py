from __future__ import annotations

from django.apps import AppConfig


class YijiaConfig(AppConfig):
    """The project itself: settings, URLs and the header. An app so that a login also
    remembers the user and header and the session's renewal time, and writes of who may do
    what give the access version a new value (``ready``, yijia/sessions.py)."""

    name = "yijia"
    verbose_name = "宜居家园"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .sessions import access_watch, remembered_at_login, renewed_at_login

        user_logged_in.connect(renewed_at_login, dispatch_uid="yijia-session-renewed")
        user_logged_in.connect(remembered_at_login, dispatch_uid="yijia-access-remembered")
        access_watch()
