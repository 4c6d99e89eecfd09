"""The set-based summary rebuild (``dashboards.summaries._cells_write``): a bulk load into
an emptied table, written on PostgreSQL as a restore writes (the secondary indexes and
foreign keys dropped, then built and checked again), and a repair of a full table that
rewrites only the rows that differ. Each agrees with the row-by-row computation that
``summaries --check`` runs."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection

from communities.models import Community
from dashboards import summaries
from dashboards.models import AssignmentMonth, PartyMonth
from dashboards.summaries import summaries_differences, summaries_rebuild
from tasks.models import Checklist
from tests.conftest import assignment_of
from tests.filing import file_report, time_travel

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the restore path and xmin are PostgreSQL's"
)
TABLE = AssignmentMonth._meta.db_table


@pytest.fixture
def filed(world: Checklist, community_one: Community, community_one_staff: User) -> Checklist:
    with time_travel(2017, 8, 3):
        file_report(assignment_of(world, 7, community_one), community_one_staff, submit=True)
        file_report(assignment_of(world, 8, community_one), community_one_staff)
    return world


def _schema() -> tuple[list[Any], list[Any]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = %s::regclass"
            " ORDER BY 1",
            [TABLE],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass ORDER BY 1",
            [TABLE],
        )
        return indexes, cursor.fetchall()


@on_postgresql
def test_a_bulk_load_into_an_empty_table_agrees_and_keeps_every_index_and_key(
    filed: Checklist, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = _schema()
    rows = AssignmentMonth.objects.count()
    AssignmentMonth.objects.all().delete()
    PartyMonth.objects.all().delete()
    monkeypatch.setattr(summaries, "BULK_ROWS", 1)  # the path of 100,000 rows and more

    assert summaries_rebuild(checklist=filed) == rows

    assert summaries_differences(checklist=filed) == []
    assert _schema() == schema
    assert AssignmentMonth.objects.filter(state=AssignmentMonth.State.SUBMITTED).exists()


def test_a_repair_puts_back_what_was_changed_and_removed(
    filed: Checklist, community_one: Community
) -> None:
    cells = AssignmentMonth.objects.filter(year=2017, month=7)
    changed, removed = (
        assignment_of(filed, 7, community_one),
        assignment_of(filed, 8, community_one),
    )
    cells.filter(assignment=changed).update(targets_met=9, state=AssignmentMonth.State.RETURNED)
    cells.filter(assignment=removed).delete()
    found = {difference.key for difference in summaries_differences(checklist=filed)}
    assert {(changed.pk, 2017, 7), (removed.pk, 2017, 7)} <= found

    summaries_rebuild(checklist=filed)

    assert summaries_differences(checklist=filed) == []


@on_postgresql
def test_a_repair_writes_no_row_that_has_not_changed(
    filed: Checklist, community_one: Community
) -> None:
    changed = assignment_of(filed, 7, community_one)
    AssignmentMonth.objects.filter(assignment=changed, month=7).update(targets_met=9)

    def versions() -> dict[int, str]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, xmin::text FROM {TABLE}")  # noqa: S608
            return dict(cursor.fetchall())

    before = versions()
    summaries_rebuild(checklist=filed)
    after = versions()

    rewritten = [pk for pk, version in after.items() if before.get(pk) != version]
    assert rewritten == [AssignmentMonth.objects.get(assignment=changed, month=7).pk]
