"""Celery jobs of the reminders. Each takes primitives, calls a service, and is safe to run
twice or on several workers at once."""

from __future__ import annotations

import datetime
import logging

from celery import shared_task
from django.utils import timezone

from . import services

logger = logging.getLogger(__name__)


@shared_task(name="reminders.reminders_run")
def reminders_run(now: str | None = None) -> dict[str, int]:
    """The periodic reminder run (``services.reminders_run``). ``now`` as an ISO date-time
    lets the operator re-run a day (the default is now); a missed run is caught up by the
    next one."""
    moment = datetime.datetime.fromisoformat(now) if now else timezone.now()
    counts = services.reminders_run(now=moment)
    logger.info("reminders: %(due)s due, %(composed)s messages composed, %(sent)s sent", counts)
    return counts
