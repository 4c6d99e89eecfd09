"""How long the 修改记录 and the login records are kept, and the purge of older ones."""

from __future__ import annotations

import datetime

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils import timezone

MINIMUM_DAYS = 180


def retention_days() -> int:
    """AUDIT_RETENTION_DAYS, refused when under the minimum the office must keep."""
    days = int(getattr(settings, "AUDIT_RETENTION_DAYS", 190))
    if days < MINIMUM_DAYS:
        raise ImproperlyConfigured(
            f"AUDIT_RETENTION_DAYS={days}: audit records must be kept at least "
            f"{MINIMUM_DAYS} days (等保 2.0); set {MINIMUM_DAYS} or more."
        )
    return days


def history_models() -> list[type[models.Model]]:
    """Every historical model django-simple-history made for the portal's models."""
    return [model for model in apps.get_models() if hasattr(model, "instance_type")]


def audit_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete the history rows and the login records older than the retention; returns
    how many rows went."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=retention_days())
    removed = 0
    for model in history_models():
        removed += model._default_manager.filter(history_date__lt=cutoff).delete()[0]
    # django-axes' records of logins, logouts and refused attempts.
    for label, field in (
        ("axes.AccessLog", "attempt_time"),
        ("axes.AccessFailureLog", "attempt_time"),
    ):
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        removed += model._default_manager.filter(**{f"{field}__lt": cutoff}).delete()[0]
    return removed
