"""What PostgreSQL's plans say of a page's queries: the "no sequential scan" tests of the
pages at scale (``tests/test_*_at_scale.py``) ask it of every SELECT a request runs."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


def full_scans(queries: Iterable[dict[str, str]], tables: Iterable[str]) -> dict[str, list[str]]:
    """Each SELECT among ``queries`` (as captured) whose plan reads one of ``tables`` whole,
    with those tables."""
    large = set(tables)
    found = {}
    with connection.cursor() as cursor:
        for query in queries:
            if not query["sql"].lstrip("( ").upper().startswith("SELECT"):
                continue
            cursor.execute(f"EXPLAIN {query['sql']}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            if scanned := [t for t in re.findall(r"Seq Scan on (\w+)", plan) if t in large]:
                found[query["sql"][:300]] = scanned
    return found


def page_full_scans(client: Client, address: str, tables: Iterable[str]) -> dict[str, list[str]]:
    """``full_scans`` of the queries one request for ``address`` runs (answered 200)."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(address).status_code == 200
    return full_scans(captured.captured_queries, tables)
