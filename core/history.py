"""Who made a change, for the 修改记录 (django-simple-history, docs/audit.md).

In a request HistoryRequestMiddleware names the signed-in user. A service that knows its
``by=`` names it too (the demo loader, a Celery job or a management command has no
request): ``@recorded_by`` on the service. A write that bypasses ``save()`` (an
``update()`` guarded by the row's version) records its row with ``record_change``."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any, ParamSpec, TypeVar

from django.db import models
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
