"""Who made a change, for the 修改记录 (django-simple-history, docs/audit.md).

In a request HistoryRequestMiddleware names the signed-in user. A service that knows its
``by=`` names it too (the demo loader, a Celery job or a management command has no
request): ``@recorded_by`` on the service. A write that bypasses ``save()`` (an
``update()`` guarded by the row's version) records its row with ``record_change``."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any, ParamSpec, TypeVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from simple_history.models import HistoricalRecords

P = ParamSpec("P")
R = TypeVar("R")


def _current_user() -> Any:
    request = getattr(HistoricalRecords.context, "request", None)
    return getattr(request, "user", None)


@contextmanager
def changes_by(user: Any) -> Iterator[None]:
    """Within the block, history rows name ``user`` unless a request already names one."""
    current = _current_user()
    if user is None or (current is not None and current.is_authenticated):
        yield
        return
    HistoricalRecords.context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        del HistoricalRecords.context.request


def recorded_by(service: Callable[P, R]) -> Callable[P, R]:
    """A service taking ``by=``: the history rows it writes name that user."""

    @functools.wraps(service)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with changes_by(kwargs.get("by")):
            return service(*args, **kwargs)

    return wrapper


def record_change(instance: models.Model, *, by: Any = None) -> None:
    """A history row (a change, "~") for ``instance`` as it is now: for a write that went
    through ``QuerySet.update()`` rather than ``save()``."""
    manager = getattr(type(instance), "history", None)
    if manager is None:
        return
    current = _current_user()
    user = (
        by
        if by is not None
        else current
        if current is not None and current.is_authenticated
        else None
    )
    manager.bulk_history_create([instance], update=True, default_user=user)


def shown_value(model_field: models.Field, value: Any, users: dict[int, str]) -> str:
    """A recorded value as people read it: the report page's panel, the auditors' export and
    the admin's history all show it so. "—" for none, a choice's label, 是/否, a time in the
    portal's time zone; a user's key becomes their name through ``users``."""
    if value is None or value == "":
        return "—"
    if isinstance(model_field, models.ForeignKey):
        return users.get(value, str(value))
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return gettext("是") if value else gettext("否")
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return str(value)
