"""Celery jobs of the dashboards. Each takes primary keys, loads what it needs again, and
is safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from tasks.models import Checklist

from .summaries import summaries_rebuild, summaries_refresh_registered

logger = logging.getLogger(__name__)


@shared_task(name="dashboards.summaries_rebuild")
def summaries_rebuild_job(checklist_id: int, item_id: int | None = None) -> int:
    """Recompute a checklist's summary tables, or one item's rows: asked for (through the
    outbox) when a target's rule changed (its item's verdicts move) or the holiday calendar
    did (every deadline may move)."""
    checklist = Checklist.objects.filter(pk=checklist_id).first()
    if checklist is None:
        return 0
    written = summaries_rebuild(checklist=checklist, item_id=item_id)
    logger.info("summaries of %s rebuilt: %s rows", checklist.year, written)
    return written


@shared_task(name="dashboards.summaries_refresh_registered")
def summaries_refresh_registered_job() -> int:
    """Daily: the rows of the items judged from the meeting register, in every checklist in
    use, recomputed (their months in progress turn met or behind with time alone)."""
    written = 0
    for checklist in Checklist.objects.filter(status=Checklist.Status.ACTIVE):
        written += summaries_refresh_registered(checklist=checklist)
    logger.info("summaries of the register-judged items refreshed: %s rows", written)
    return written
