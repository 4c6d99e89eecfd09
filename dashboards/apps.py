from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dashboards"
    verbose_name = _("完成情况看板")

    def ready(self) -> None:
        # Connected here, not with @receiver in models.py, so that the summary tables
        # follow every write path (services, admin, import) that sends these signals.
        from django.db.models.signals import post_delete, post_save

        from meetings.signals import meetings_changed
        from tasks.models import CalendarDay, Checklist, Target
        from tasks.signals import assignments_changed, progress_changed, progress_loaded

        from . import summaries

        progress_changed.connect(summaries.on_progress_changed, dispatch_uid="summaries")
        assignments_changed.connect(summaries.on_assignments_changed, dispatch_uid="summaries")
        progress_loaded.connect(summaries.on_progress_loaded, dispatch_uid="summaries")
        meetings_changed.connect(summaries.on_meetings_changed, dispatch_uid="summaries")
        for model, receiver in (
            (Target, summaries.on_target_saved),
            (CalendarDay, summaries.on_calendar_day_saved),
        ):
            post_save.connect(receiver, sender=model, dispatch_uid=f"summaries-{model.__name__}")
            post_delete.connect(receiver, sender=model, dispatch_uid=f"summaries-{model.__name__}-")
        post_save.connect(
            summaries.on_checklist_saved, sender=Checklist, dispatch_uid="summaries-Checklist"
        )
