from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "meetings"
    verbose_name = _("会议与例行工作")

    def ready(self) -> None:
        # The meeting register is the one source of the frequency targets' figures: the
        # checklist (below this app) asks it through ``tasks.registers``.
        from tasks.models import Target
        from tasks.registers import figure_source_register

        from .compliance import assignment_figures

        figure_source_register(Target.Kind.FREQUENCY, assignment_figures)
