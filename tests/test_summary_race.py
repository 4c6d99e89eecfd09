"""Two staff of one community submit different items at the same moment, on PostgreSQL
with two real connections: the community's month in the summary counts both (the second
transaction waits for the first's lock on the row, then adds up what it committed)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction

from communities.models import Community
from communities.services import membership_add
from dashboards.models import ItemMonth, PartyMonth
from dashboards.summaries import summaries_differences
from tasks.models import Checklist, ProgressReport
from tests.filing import file_report

from .conftest import PASSWORD, assignment_of
from .races import race


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_submissions_at_once_are_both_counted_in_the_community_s_month(
    # The day first: the rows of months without a report carry the meeting register's
    # verdicts as they stand on the day the assignments are generated.
    august_3rd_2017: Any,
    world: Checklist,
    community_one: Community,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs two connections that wait on each other's row locks (PostgreSQL)")
    people = []
    for username in ("one-a", "one-b"):
        person = User.objects.create_user(username, password=PASSWORD)
        membership_add(user=person, community=community_one)
        people.append(person)
    items = [assignment_of(world, number, community_one) for number in (1, 2)]
    outcome = race(
        lambda: file_report(items[0], people[0], submit=True),
        lambda: file_report(items[1], people[1], submit=True),
    )
    assert all(isinstance(report, ProgressReport) for report in outcome.values()), outcome
    july = PartyMonth.objects.get(community=community_one, year=2017, month=7)
    assert (july.received, july.on_time) == (2, 2)
    assert summaries_differences(checklist=world) == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_communities_submitting_one_item_at_once_are_both_counted_in_the_item_s_month(
    august_3rd_2017: Any,
    world: Checklist,
    community_one: Community,
    community_two: Community,
) -> None:
    """The dashboard's figures per item (``ItemMonth``): the second transaction waits for
    the first's lock on the item, then adds up what it committed."""
    if connection.vendor != "postgresql":
        pytest.skip("needs two connections that wait on each other's row locks (PostgreSQL)")
    people = []
    for username, community in (("one-a", community_one), ("two-a", community_two)):
        person = User.objects.create_user(username, password=PASSWORD)
        membership_add(user=person, community=community)
        people.append(person)
    cells = [assignment_of(world, 7, community) for community in (community_one, community_two)]
    outcome = race(
        lambda: file_report(cells[0], people[0], submit=True),
        lambda: file_report(cells[1], people[1], submit=True),
    )
    assert all(isinstance(report, ProgressReport) for report in outcome.values()), outcome
    july = ItemMonth.objects.filter(item=cells[0].item, year=2017, month=7)
    assert sum(row.received for row in july) == 2
    assert summaries_differences(checklist=world) == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_submission_locks_its_item_but_not_the_year_s_checklist(
    august_3rd_2017: Any, world: Checklist, community_one: Community
) -> None:
    """Every save and review of a year refreshes some item's month: when that locked the
    checklist's row as well (the item's ordering joined it), every writer of the year queued
    on one row, and 50 users deadlocked on it (docs/load-test.md). Another connection may
    lock the checklist while a submission's transaction is open, but not its item."""
    if connection.vendor != "postgresql":
        pytest.skip("needs a second connection that meets the first's row locks (PostgreSQL)")
    import psycopg

    staff = User.objects.create_user("one-a", password=PASSWORD)
    membership_add(user=staff, community=community_one)
    item = assignment_of(world, 1, community_one)
    settings = connection.settings_dict
    other = psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        password=settings["PASSWORD"] or None,
        autocommit=True,
    )
    try:
        with transaction.atomic():
            file_report(item, staff, submit=True)
            other.execute(
                "SELECT id FROM tasks_checklist WHERE id = %s FOR NO KEY UPDATE NOWAIT",
                [world.pk],
            )
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute(
                    "SELECT id FROM tasks_item WHERE id = %s FOR UPDATE NOWAIT", [item.item_id]
                )
    finally:
        other.close()
