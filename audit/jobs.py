"""Celery jobs of the audit trail."""

from __future__ import annotations

import logging

from celery import shared_task

from .retention import audit_purge

logger = logging.getLogger(__name__)


@shared_task(name="audit.audit_purge")
def audit_purge_job() -> int:
    """Nightly: the 修改记录 and login records older than AUDIT_RETENTION_DAYS purged."""
    removed = audit_purge()
    logger.info("audit records older than the retention purged: %s rows", removed)
    return removed
