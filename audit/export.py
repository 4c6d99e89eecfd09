"""The auditors' export: every recorded change in a period, one line per changed field,
as an xlsx written row by row (openpyxl's write-only mode, to a temporary file that is
then streamed), every text cell formula-safe."""

from __future__ import annotations

import datetime
import tempfile
from collections.abc import Iterator
from typing import IO, Any

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Subquery
from django.utils import timezone
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from core.history import shown_value
from core.spreadsheets import neutralise_formula
from tasks.history import ACTIONS

from .retention import history_models

EXPORT_SKIPPED = frozenset({"id", "version", "created_at", "updated_at"})


def _text(value: Any) -> Any:
    if isinstance(value, str):
        return neutralise_formula(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def export_header() -> list[str]:
    return [
        gettext("时间"),
        gettext("操作人"),
        gettext("操作"),
        gettext("对象类型"),
        gettext("对象编号"),
        gettext("字段"),
        gettext("原值"),
        gettext("新值"),
    ]


def _rows_of(
    history_model: type[models.Model],
    start: datetime.datetime,
    end: datetime.datetime,
    users: dict[int, str],
) -> Iterator[list[Any]]:
    """The model's changes made in [start, end), each compared with the object's row before
    it (which may be older than the period)."""
    original = history_model.instance_type  # type: ignore[attr-defined]
    fields = [
        model_field
        for model_field in original._meta.concrete_fields
        if model_field.name not in EXPORT_SKIPPED
    ]
    label = str(original._meta.verbose_name)
    manager: Any = history_model._default_manager
    changed = manager.filter(history_date__gte=start, history_date__lt=end).values("id")
    rows = (
        manager.filter(id__in=Subquery(changed), history_date__lt=end)
        .order_by("id", "history_date", "history_id")
        .iterator(chunk_size=2000)
    )
    before: Any = None
    for row in rows:
        previous = before if before is not None and before.id == row.id else None
        before = row
        if row.history_date < start:
            continue
        who = users.get(row.history_user_id, gettext("系统"))
        at = timezone.localtime(row.history_date).replace(tzinfo=None)
        action = str(ACTIONS.get(row.history_type, row.history_type))
        written = False
        for model_field in fields:
            new = getattr(row, model_field.attname)
            old = getattr(previous, model_field.attname) if previous is not None else None
            if row.history_type == "-" or (previous is not None and old == new):
                continue
            if previous is None and (new is None or new == ""):
                continue
            written = True
            yield [
                at,
                who,
                action,
                label,
                row.id,
                str(model_field.verbose_name),
                shown_value(model_field, old, users) if previous is not None else "",
                shown_value(model_field, new, users),
            ]
        if not written:
            yield [at, who, action, label, row.id, "", "", ""]


def history_rows(start: datetime.datetime, end: datetime.datetime) -> Iterator[list[Any]]:
    users = {
        user.pk: str(user.get_full_name() or user.username)
        for user in get_user_model().objects.only("pk", "username", "first_name", "last_name")
    }
    for history_model in history_models():
        for row in _rows_of(history_model, start, end, users):
            yield [_text(value) for value in row]


def history_workbook(start: datetime.datetime, end: datetime.datetime) -> IO[bytes]:
    """The export written to a temporary file (rewound), for a streaming response."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(gettext("修改记录"))
    sheet.append(export_header())
    for row in history_rows(start, end):
        sheet.append(row)
    stream = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the FileResponse)
    workbook.save(stream)
    stream.seek(0)
    return stream
