"""The dashboard's figures, cached under a version of the summary rows.

A month's figures change only when a summary row does, and every write of the summary
rows goes through ``dashboards.summaries`` (``cells_refresh``, ``summaries_rebuild``,
``assignments_cells_sync``), which calls ``figures_changed``. That gives the rows a new
version, a random token in the shared cache (Redis or var/cache: every process sees it),
so the figures cached under the old one are never read again:

- at once, so that the writing request (and its transaction) sees its own change;
- and again when the transaction commits, so that figures another process computed from
  the rows as they were before the commit, and stored under the token of the first bump,
  are not read either.

A figure is thus never stale: the next request after a submission reads the new rows.

The cached figures also hold names: the items' numbers and texts, the pillars', lead units'
and parties' names, the lead units of each item. A save or delete of one of those rows
(``NAMED_MODELS``, connected in ``dashboards.apps``) changes the version too, so a renamed
item, unit or community, or a changed target, shows at the next request.

The version is kept per database (its name in the key): two portals, or a benchmark's
databases, sharing one cache never read each other's figures."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction

VERSION_KEY = "dashboards:summary-version"
# The rows whose names or rules the cached figures show (app label, model name).
NAMED_MODELS = (
    ("tasks", "Checklist"),
    ("tasks", "Pillar"),
    ("tasks", "Item"),
    ("tasks", "ItemLeadUnit"),
    ("tasks", "Target"),
    ("communities", "Community"),
    ("communities", "Unit"),
)


def _key(name: str = VERSION_KEY) -> str:
    return f"{name}:{connection.settings_dict['NAME']}"


def _bump(name: str = VERSION_KEY) -> None:
    cache.set(_key(name), uuid.uuid4().hex, None)


def _current(name: str) -> str:
    """The version kept under ``name`` (one cache read); a new one when there is none."""
    key = _key(name)
    version = cache.get(key)
    if version is None:
        version = uuid.uuid4().hex
        # add, not set: two processes starting at once agree on one version.
        if not cache.add(key, version, None):
            version = cache.get(key) or version
    return str(version)


def figures_changed() -> None:
    """The summary rows were written: figures cached before are not served again."""
    _bump()
    transaction.on_commit(_bump)


def on_named_row_changed(sender: Any, **kwargs: Any) -> None:
    """An item, pillar, lead unit, party, target or checklist was saved or deleted: the
    figures cached with its old name (or rule) are not served again."""
    figures_changed()


def figures_version() -> str:
    """The summary rows' current version (one cache read)."""
    return _current(VERSION_KEY)


# The late list's own version. Besides the summary rows (``figures_version``), the late list
# shows the filing reminders each party was sent (a reminder counts once its digest links it:
# ``reminders.services.digests_compose``, which sends ``reminders.signals.reminders_sent``)
# and each cell's latest urging notice (sent, acknowledged). Every write of those goes
# through a receiver connected in ``dashboards.apps`` or calls ``late_changed`` itself
# (``urge_acknowledge`` updates a row without a signal), so a late list cached under the
# two versions is never stale.
LATE_VERSION_KEY = "dashboards:late-version"


def late_changed(**kwargs: Any) -> None:
    """A reminder was linked to its digest or removed, an urge sent, acknowledged or
    removed (also a signal receiver): late lists cached before are not served again."""
    _bump(LATE_VERSION_KEY)
    transaction.on_commit(lambda: _bump(LATE_VERSION_KEY))


def late_version() -> str:
    """The late list's current version (one cache read)."""
    return _current(LATE_VERSION_KEY)


def figures_and_late_versions() -> tuple[str, str]:
    """``figures_version`` and ``late_version`` in one cache round trip (the dashboard)."""
    keys = [_key(VERSION_KEY), _key(LATE_VERSION_KEY)]
    found = cache.get_many(keys)
    figures = found.get(keys[0]) or figures_version()
    late = found.get(keys[1]) or late_version()
    return str(figures), str(late)
