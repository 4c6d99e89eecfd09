"""The dashboard's figures cached under the summary rows' version
(``dashboards.figure_version``): a cached figure is never stale."""

from __future__ import annotations

import dataclasses
import datetime

from django.core.cache import cache

from tasks.models import Checklist, ItemLeadUnit

from .dashboard import Dashboard, _late, dashboard_build

# Long enough to serve a busy month; the version, not the timeout, keeps figures fresh.
FIGURES_SECONDS = 24 * 60 * 60


def dashboard_cached(
    checklist: Checklist,
    month: int,
    today: datetime.date,
    *,
    version: str,
    links: list[ItemLeadUnit],
) -> Dashboard:
    """``dashboard_build``, its summary figures cached under ``version``. The late list also
    shows reminders and urging notices, which change without a summary row: it is always
    read afresh (its own indexed query)."""
    key = f"dashboards:board:{version}:{checklist.pk}:{month}:{today.isoformat()}"
    board = cache.get(key)
    if board is None:
        board = dashboard_build(checklist, month, today, links=links)
        cache.set(key, board, FIGURES_SECONDS)
        return board
    # The checklist as read now: archiving (an update of its status) changes no version.
    return dataclasses.replace(board, checklist=checklist, late=_late(checklist, month, today))
