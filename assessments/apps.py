from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assessments"
    verbose_name = _("考核")

    def ready(self) -> None:
        from tasks.signals import checklist_rolled_over

        from . import scoring

        checklist_rolled_over.connect(scoring.on_checklist_rolled_over, dispatch_uid="scoring")
