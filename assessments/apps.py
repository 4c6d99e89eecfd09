from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assessments"
    verbose_name = _("考核")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from communities.models import Community
        from dashboards.consistency import check_register
        from meetings.signals import meetings_changed
        from tasks.models import CalendarDay, Checklist, Target
        from tasks.signals import (
            assignments_changed,
            checklist_rolled_over,
            progress_changed,
            progress_changed_many,
            progress_loaded,
        )

        from . import scoring, summary
        from .models import ManualScore, ScoreAdjustment

        checklist_rolled_over.connect(scoring.on_checklist_rolled_over, dispatch_uid="scoring")
        check_register("scores", summary.score_disagreements)
        # The stored scores (``assessments.summary``). Connected after the dashboards' own
        # receivers (``dashboards`` comes first in INSTALLED_APPS): the scores read the
        # summary rows those have just brought up to date.
        progress_changed.connect(summary.on_progress_changed, dispatch_uid="scores")
        progress_changed_many.connect(summary.on_progress_changed_many, dispatch_uid="scores")
        meetings_changed.connect(summary.on_meetings_changed, dispatch_uid="scores")
        assignments_changed.connect(summary.on_checklist_moved, dispatch_uid="scores")
        progress_loaded.connect(summary.on_checklist_moved, dispatch_uid="scores")
        for model in (ManualScore, ScoreAdjustment):
            post_save.connect(summary.on_community_scored, sender=model, dispatch_uid="scores")
            post_delete.connect(summary.on_community_scored, sender=model, dispatch_uid="scores-")
        post_save.connect(summary.on_target_saved, sender=Target, dispatch_uid="scores")
        post_delete.connect(summary.on_target_saved, sender=Target, dispatch_uid="scores-")
        for moved in (CalendarDay, Checklist, Community):
            post_save.connect(summary.on_everything_moved, sender=moved, dispatch_uid="scores")
