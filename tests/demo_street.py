"""The demo street (``demo.data.demo_load``: eight communities, their staff, four months of
reports with their history and evidence) for the tests that read it. Loading it takes a
minute or two; nine tests read it. So it is loaded once per session and xdist worker, the
first time a test asks for it, and kept as a copy of every table in the same database;
``demo_street`` copies those tables back into the test's database (well under a second).

The copy is taken around whatever the database held (the checklist and the migrations'
rows, or nothing after a committing test), which is put back before any test runs: a test
that does not ask for the demo never sees it. A test that does may change it freely: a
non-committing test's changes are rolled back with its transaction, a committing test's
(``transaction=True``, the browser journeys) are flushed when it ends, as any committing
test's are."""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management.color import no_style
from django.db import connection, transaction
from django.test import override_settings
from pytest_django.fixtures import Settings

from demo.data import demo_load
from tasks.models import Checklist
from tasks.services import checklist_load_file

# The demo as it stands on Friday 10 November 2017, 10:00 in Shanghai: October's reports
# (due Monday 6 November) filed or being reviewed, a few not yet filed.
DEMO_MOMENT = datetime.datetime(2017, 11, 10, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))


class TableCopy:
    """A copy of every table of the project's models (``flush``'s tables), kept in
    tables named ``<label>_<n>`` beside them in the same database."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.tables: dict[str, str] = {}

    def take(self) -> None:
        quote = connection.ops.quote_name
        names = connection.introspection.django_table_names(only_existing=True)
        self.tables = {table: f"{self.label}_{n}" for n, table in enumerate(sorted(names))}
        with transaction.atomic(), connection.cursor() as cursor:
            for table, copy in self.tables.items():
                cursor.execute(f"DROP TABLE IF EXISTS {quote(copy)}")
                cursor.execute(f"CREATE TABLE {quote(copy)} AS SELECT * FROM {quote(table)}")  # noqa: S608 (our own names)

    def put_back(self) -> None:
        """Empty every table and fill it from the copy (sequences go on where they were).
        The foreign keys are checked when the transaction commits, or, in a test that
        does not commit, when the test ends."""
        quote = connection.ops.quote_name
        flush = connection.ops.sql_flush(no_style(), list(self.tables), allow_cascade=False)
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in flush:
                cursor.execute(statement)
            for table, copy in self.tables.items():
                cursor.execute(f"INSERT INTO {quote(table)} SELECT * FROM {quote(copy)}")  # noqa: S608 (our own names)

    def drop(self) -> None:
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for copy in self.tables.values():
                cursor.execute(f"DROP TABLE IF EXISTS {quote(copy)}")
        self.tables = {}


FAST_HASHING = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def _demo_street_copy(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TableCopy, Path]]:
    """The demo loaded once (per session and worker) and kept as a copy of the tables,
    with the folder its evidence files went to."""
    from tests.conftest import FIXTURES, migration_rows_ensure  # conftest imports this module

    media = tmp_path_factory.mktemp("demo-media")
    demo = TableCopy("demo_copy")
    with django_db_blocker.unblock():
        before = TableCopy("before_demo_copy")
        before.take()
        try:
            with (
                override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=FAST_HASHING),
                time_machine.travel(DEMO_MOMENT, tick=False),
            ):
                migration_rows_ensure()
                checklist = Checklist.objects.filter(year=2017).first()
                checklist = checklist or checklist_load_file(path=FIXTURES / "checklist_2017.yaml")
                demo_load(checklist=checklist)
            demo.take()
        finally:
            before.put_back()
            before.drop()
    yield demo, media
    with django_db_blocker.unblock():
        demo.drop()


@pytest.fixture
def demo_street(
    db: None, settings: Settings, _demo_street_copy: tuple[TableCopy, Path]
) -> Checklist:
    """The 2017 checklist of the demo street, loaded as on 10 November 2017 at 10:00 in
    Shanghai (``DEMO_MOMENT``), with its evidence files. In a test marked
    ``django_db(transaction=True, serialized_rollback=True)`` it is committed (a live
    server sees it) and flushed when the test ends."""
    demo, media = _demo_street_copy
    settings.MEDIA_ROOT = media
    demo.put_back()
    return Checklist.objects.get(year=2017)
