from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("修改记录")

    def ready(self) -> None:
        from .retention import retention_days

        retention_days()  # refuses a retention under the minimum at startup
