"""Celery jobs of the dashboards. Each takes primary keys, loads what it needs again, and
is safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from tasks.models import Checklist

from .summaries import summaries_rebuild

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
