"""The dashboard's figures cached under the summary rows' version
(``dashboards.figure_version``): a cached figure is never stale."""

from __future__ import annotations

import dataclasses
import datetime

from django.core.cache import cache

from tasks.models import Checklist, ItemLeadUnit

from .dashboard import Dashboard, _late, dashboard_build, lead_links

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
    """``dashboard_figures`` with the late list read afresh: it also shows reminders and
    urging notices, which change without a summary row (its own indexed query)."""
    board = dashboard_figures(checklist, month, today, version=version, links=links)
    return dataclasses.replace(board, late=_late(checklist, month, today))


def dashboard_figures(
    checklist: Checklist,
    month: int,
    today: datetime.date,
    *,
    version: str,
    links: list[ItemLeadUnit] | None = None,
) -> Dashboard:
    """The dashboard's figures, from the cache under ``version`` or built (with ``links``,
    or the checklist's lead units read in one more query). Its late list is the one of the
    moment it was built: the dashboard page reads the late list itself (``_late``, cached
    in the template under ``late_version`` as well), the briefing through
    ``dashboard_cached``."""
    key = f"dashboards:board:{version}:{checklist.pk}:{month}:{today.isoformat()}"
    board = cache.get(key)
    if board is None:
        if links is None:
            links = lead_links(ItemLeadUnit.objects.filter(item__checklist=checklist))
        board = dashboard_build(checklist, month, today, links=links)
        cache.set(key, board, FIGURES_SECONDS)
        return board
    # The checklist as read now: archiving (an update of its status) changes no version.
    return dataclasses.replace(board, checklist=checklist)
