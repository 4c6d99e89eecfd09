from __future__ import annotations

from django.apps import AppConfig


class YijiaConfig(AppConfig):
    """The project itself: settings, URLs and the header. An app so that a login also
    remembers the header's navigation and the session's renewal time (``ready``)."""

    name = "yijia"
    verbose_name = "宜居家园"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .context_processors import navigation_remember
        from .sessions import renewed_at_login

        user_logged_in.connect(renewed_at_login, dispatch_uid="yijia-session-renewed")
        user_logged_in.connect(navigation_remember, dispatch_uid="yijia-navigation")
