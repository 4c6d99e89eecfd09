from __future__ import annotations

from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dashboards"
    verbose_name = _("完成情况看板")

    def ready(self) -> None:
        # Connected here, not with @receiver in models.py, so that the summary tables
        # follow every write path (services, admin, import) that sends these signals.
        from django.db.models.signals import post_delete, post_save

        from communities.models import Community, Unit
        from meetings.signals import meetings_changed
        from tasks.models import CalendarDay, Checklist, Target
        from tasks.signals import (
            assignments_changed,
            checklist_status_changed,
            progress_changed,
            progress_changed_many,
            progress_loaded,
        )

        from . import figure_version, summaries

        progress_changed.connect(summaries.on_progress_changed, dispatch_uid="summaries")
        progress_changed_many.connect(summaries.on_progress_changed_many, dispatch_uid="summaries")
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
        for party in (Community, Unit):
            post_save.connect(
                summaries.on_party_saved, sender=party, dispatch_uid=f"summaries-{party.__name__}"
            )
        # The checklists in use, kept with the figures (views.dashboard), are read afresh.
        checklist_status_changed.connect(
            figure_version.on_named_row_changed, dispatch_uid="figures-checklist-status"
        )
        # The late list's reminders and urges (figure_version.late_changed).
        from notifications.models import Message
        from reminders.models import Reminder
        from reminders.signals import reminders_sent

        from .models import UrgeNotice

        reminders_sent.connect(figure_version.late_changed, dispatch_uid="late-reminders")
        for late_model, signals in (
            (UrgeNotice, (post_save, post_delete)),
            (Reminder, (post_save, post_delete)),
            # A deleted digest unlinks its reminders (SET_NULL, no signal of theirs).
            (Message, (post_delete,)),
        ):
            for signal in signals:
                signal.connect(
                    figure_version.late_changed,
                    sender=late_model,
                    dispatch_uid=f"late-{late_model.__name__}-{signal is post_save}",
                )
        # The cached figures show these rows' names: a rename shows at the next request.
        for label in figure_version.NAMED_MODELS:
            named = apps.get_model(*label)
            for signal in (post_save, post_delete):
                signal.connect(
                    figure_version.on_named_row_changed,
                    sender=named,
                    dispatch_uid=f"figures-{label[1]}-{signal is post_save}",
                )
