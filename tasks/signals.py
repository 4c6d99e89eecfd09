"""Signals the checklist sends when progress changes, so that other apps (the dashboards'
summary tables in ``dashboards.summaries``) keep up within the same transaction.

The services in ``tasks.services`` send them (the portal's pages and the spreadsheet
import of reports write through those), and so does the admin for what it still edits (a
deadline extension). Receivers run synchronously, inside the sender's transaction.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.dispatch import Signal

# A month of an assignment changed: its report was created, edited, submitted, reviewed
# or reopened, or its filing deadline moved. Arguments: ``assignment_id``, ``year``,
# ``month``.
progress_changed = Signal()

# The months of several assignments changed at once (``progress_collected``: a page that
# files many items in one request). Argument: ``keys``, a list of (assignment_id, year,
# month). Sent inside the sender's transaction, like ``progress_changed``.
progress_changed_many = Signal()

# Assignments were created or removed (``checklist_id``): the months they are expected to
# report change with them.
assignments_changed = Signal()

# Reports were written in bulk, bypassing the services (the demo data, synthetic data for
# a benchmark): the checklist's (``checklist_id``) summaries are recomputed as a whole.
progress_loaded = Signal()

# A year's checklist was created from an earlier one (``checklist_roll_over``), after its
# pillars, items, targets and assignments were copied: other apps copy what they keep per
# checklist (the assessment's scoring scheme). Arguments: ``source_id``, ``checklist_id``.
checklist_rolled_over = Signal()

# A checklist's status was changed without a save (``checklist_archive`` updates the one
# column): what other apps keep of the checklists in use (the dashboard's cached period) is
# read afresh. Arguments: ``checklist_id``.
checklist_status_changed = Signal()

_deferred: contextvars.ContextVar[bool] = contextvars.ContextVar("progress_deferred", default=False)


def is_deferred() -> bool:
    """Whether a bulk load is under way (``progress_deferred``): receivers then wait for
    its ``progress_loaded`` instead of following each change."""
    return _deferred.get()


@contextmanager
def progress_deferred(*, checklist_id: int) -> Iterator[None]:
    """Write assignments and reports in bulk without the receivers following each step;
    at the end ``progress_loaded`` is sent once for the checklist. Nested, only the
    outermost sends it."""
    if is_deferred():
        yield
        return
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)
    progress_loaded.send(sender=None, checklist_id=checklist_id)


_collected: contextvars.ContextVar[dict[tuple[int, int, int], None] | None] = (
    contextvars.ContextVar("progress_collected", default=None)
)


def progress_changed_send(sender: Any, *, assignment_id: int, year: int, month: int) -> None:
    """Send ``progress_changed`` for one assignment-month, or, inside
    ``progress_collected``, keep it for the one ``progress_changed_many`` at the end."""
    collected = _collected.get()
    if collected is not None:
        collected[(assignment_id, year, month)] = None
        return
    progress_changed.send(sender=sender, assignment_id=assignment_id, year=year, month=month)


@contextmanager
def progress_collected() -> Iterator[None]:
    """Follow many changes in one go: inside, the months changed are collected, and at the
    end ``progress_changed_many`` is sent once with all of them. Use it inside the caller's
    transaction, so that the receivers' writes (the summary rows) commit with the changes
    (本月填报's 全部提交: 38 items saved and submitted, the summaries refreshed once rather
    than 76 times). Nothing is sent when the block fails (its transaction rolls back).
    Nested, only the outermost sends."""
    if _collected.get() is not None:
        yield
        return
    keys: dict[tuple[int, int, int], None] = {}
    token = _collected.set(keys)
    try:
        yield
    finally:
        _collected.reset(token)
    if keys:
        progress_changed_many.send(sender=None, keys=list(keys))
