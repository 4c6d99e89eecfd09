"""Celery jobs of the assessment. Each loads what it needs again and is safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from tasks.models import Checklist

from .models import Scheme
from .summary import MONTHS, scores_ready

logger = logging.getLogger(__name__)


@shared_task(name="assessments.scores_prepare")
def scores_prepare_job() -> int:
    """Hourly: the stored scores of every month of the schemes in use made current — the
    month in progress moves with the day, and a change that moved every community (a
    target, the calendar, a bulk load) clears the months — so that the first reader of the
    ranking does not pay the whole street's computation. One query per month when nothing
    moved. Returns the months computed."""
    computed = 0
    schemes = Scheme.objects.filter(checklist__status=Checklist.Status.ACTIVE).select_related(
        "checklist"
    )
    for scheme in schemes:
        criteria = list(scheme.criteria.select_related("target__item__checklist", "item", "pillar"))
        for month in MONTHS:
            if scores_ready(scheme, month, criteria=criteria) is not None:
                computed += 1
    logger.info("stored scores made current: %s months computed", computed)
    return computed
