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

from django.dispatch import Signal

# A month of an assignment changed: its report was created, edited, submitted, reviewed
# or reopened, or its filing deadline moved. Arguments: ``assignment_id``, ``year``,
# ``month``.
progress_changed = Signal()

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
