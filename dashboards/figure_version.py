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

A figure is thus never stale: the next request after a submission reads the new rows."""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "dashboards:summary-version"


def _bump() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)


def figures_changed() -> None:
    """The summary rows were written: figures cached before are not served again."""
    _bump()
    transaction.on_commit(_bump)


def figures_version() -> str:
    """The summary rows' current version (one cache read)."""
    version = cache.get(VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        # add, not set: two processes starting at once agree on one version.
        if not cache.add(VERSION_KEY, version, None):
            version = cache.get(VERSION_KEY) or version
    return str(version)
