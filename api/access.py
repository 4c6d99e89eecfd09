"""Which rows each kind of the API starts from: the rules the pages use, asked, never
written again here.

- Reports: ``ProgressReport.objects.visible_to`` (the report pages, the matrix's links).
- Assignments and the summary rows of one party and month (``AssignmentMonth``,
  ``PartyMonth``): whoever opens the dashboards (``dashboards.access.reach_of``: the street
  admin, leadership, lead-unit staff) reads every party's, as the completion matrix shows
  them; anyone else the rows of the parties they file for (``tasks.selectors.fileable_q``),
  as their home page and 本月填报 show them.
- The summary of an item and month (``ItemMonth``): the dashboards' readers only.
- Checklists (not drafts) and their items and targets: every signed-in user, as the
  checklist page (/checklist/) shows them.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from core.typing import AnyUser
from dashboards.access import reach_of
from tasks.selectors import fileable_q

RowModel = TypeVar("RowModel", bound=Model)


def reads_every_party(user: AnyUser) -> bool:
    """The dashboards' readers (at most two queries, the first remembered for the request)."""
    return reach_of(user).may_view


def party_rows_visible_to(user: AnyUser, rows: QuerySet[RowModel, Any]) -> QuerySet[RowModel, Any]:
    """``rows`` (of a model with ``community`` and ``unit`` columns) the user may read."""
    if not user.is_authenticated:
        return rows.none()
    if reads_every_party(user):
        return rows
    return rows.filter(fileable_q(user))
