"""The 修改记录 of a report, the panel of its page: each recorded change of the report, its
target values and its evidence (django-simple-history's rows), as who, when, which field,
old → new (docs/audit.md)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.history import shown_value

from .models import Evidence, ProgressReport, Target, TargetValue

# The panel shows the latest changes; each kind of row is read up to this many rows (the
# page's queries stay the same however long the history grows).
PANEL_LIMIT = 50
READ_LIMIT = 200

# Bookkeeping columns that say nothing to a reader of the record.
SKIPPED = frozenset(
    {
        "id",
        "version",
        "created_at",
        "updated_at",
        "report",
        "target",
        "assignment",
        "year",
        "month",
        "file",
        "content_type",
        "size",
        "denominator_registered",
    }
)
ACTIONS = {"+": _("新增"), "~": _("修改"), "-": _("删除")}


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class Change:
    at: datetime.datetime
    history_id: int
    who: str
    action: str
    subject: str
    fields: list[FieldChange] = field(default_factory=list)


def _user_name(user: Any) -> str:
    if user is None:
        return gettext("系统")
    return str(user.get_full_name() or user.username)


def _tracked(model: type[models.Model]) -> list[models.Field]:
    return [
        model_field
        for model_field in model._meta.concrete_fields
        if model_field.name not in SKIPPED
    ]


def _user_fields(model: type[models.Model]) -> list[str]:
    user_model = get_user_model()
    return [
        model_field.attname
        for model_field in _tracked(model)
        if isinstance(model_field, models.ForeignKey) and model_field.related_model is user_model
    ]


def _changes(
    rows: list[Any], model: type[models.Model], subject: Any, users: dict[int, str]
) -> Iterator[Change]:
    """Each row against the one before it of the same object (rows oldest first)."""
    fields = _tracked(model)
    previous: dict[int, Any] = {}
    for row in rows:
        before = previous.get(row.id)
        previous[row.id] = row
        change = Change(
            at=row.history_date,
            history_id=row.history_id,
            who=_user_name(row.history_user),
            action=str(ACTIONS.get(row.history_type, row.history_type)),
            subject=subject(row),
        )
        for model_field in fields:
            new = getattr(row, model_field.attname)
            old = getattr(before, model_field.attname) if before is not None else None
            if row.history_type == "-" or (before is not None and old == new):
                continue
            if before is None and (new is None or new == ""):
                continue
            change.fields.append(
                FieldChange(
                    label=str(model_field.verbose_name),
                    old=shown_value(model_field, old, users) if before is not None else "—",
                    new=shown_value(model_field, new, users),
                )
            )
        if change.fields or row.history_type == "-":
            yield change


def _latest(queryset: Any) -> list[Any]:
    """Up to READ_LIMIT rows, the latest, returned oldest first."""
    rows = list(
        queryset.select_related("history_user").order_by("-history_date", "-history_id")[
            :READ_LIMIT
        ]
    )
    rows.reverse()
    return rows


def _users(rows: Iterable[Any], models_of_rows: Iterable[type[models.Model]]) -> dict[int, str]:
    ids: set[Any] = set()
    for model in models_of_rows:
        names = _user_fields(model)
        for row in rows:
            if isinstance(row, model.history.model):  # type: ignore[attr-defined]
                ids.update(getattr(row, name) for name in names)
    ids.discard(None)
    if not ids:
        return {}
    return {user.pk: _user_name(user) for user in get_user_model().objects.filter(pk__in=ids)}


def report_changes(report: ProgressReport, *, limit: int = PANEL_LIMIT) -> list[Change]:
    """The report's latest recorded changes, newest first: a constant number of queries."""
    report_rows = _latest(ProgressReport.history.filter(id=report.pk))
    value_rows = _latest(TargetValue.history.filter(report_id=report.pk))
    evidence_rows = _latest(Evidence.history.filter(report_id=report.pk))
    users = _users(
        [*report_rows, *value_rows, *evidence_rows], (ProgressReport, TargetValue, Evidence)
    )
    titles = dict(
        Target.objects.filter(pk__in={row.target_id for row in value_rows}).values_list(
            "pk", "title"
        )
    )
    changes = [
        *_changes(report_rows, ProgressReport, lambda row: gettext("月报"), users),
        *_changes(
            value_rows,
            TargetValue,
            lambda row: gettext("指标:%(title)s") % {"title": titles.get(row.target_id, "")},
            users,
        ),
        *_changes(
            evidence_rows,
            Evidence,
            lambda row: gettext("证明材料:%(name)s") % {"name": row.original_name},
            users,
        ),
    ]
    changes.sort(key=lambda change: (change.at, change.history_id), reverse=True)
    return changes[:limit]


@dataclass
class ReportHistory:
    changes: list[Change]
    more: bool


def report_history(report: ProgressReport) -> ReportHistory:
    """What the report page's 修改记录 panel shows: the latest PANEL_LIMIT changes, and
    whether there are older ones (the auditors' export has them all)."""
    changes = report_changes(report, limit=PANEL_LIMIT + 1)
    return ReportHistory(changes=changes[:PANEL_LIMIT], more=len(changes) > PANEL_LIMIT)
