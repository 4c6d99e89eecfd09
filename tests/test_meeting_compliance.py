"""Whether each recurring duty was done, per party and month (``meetings.compliance``).

The 2017 duties: item 3's monthly decision meeting (each community), item 14's street-level
monthly joint meeting (the street) and community-level fortnightly one (each community),
item 16's weekly contact with 城管 (each community). The checklist was issued on 28 June
2017, so the duties are owed from 1 July. Every expectation below is counted by hand.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
import time_machine
from django.contrib.auth.models import User
from pytest_django import DjangoAssertNumQueries

from communities.models import Community
from communities.roles import Role
from meetings.compliance import (
    DutyMonth,
    community_year_compliance,
    judge_duty_month,
    month_compliance,
)
from meetings.duties import duties_start, recurring_duties
from meetings.services import MeetingDetails, meeting_cancel, meeting_schedule
from tasks.models import Checklist, Target
from tasks.services import assignments_generate

from .conftest import SHANGHAI, _person, frequency_duty
from .conftest import held_meeting as held

MET, ON_TRACK, BEHIND = Target.Verdict.MET, Target.Verdict.ON_TRACK, Target.Verdict.BEHIND


def duty(checklist: Checklist, item: int, level: str = Target.Level.PARTY) -> Target:
    return frequency_duty(checklist, item, street=level == Target.Level.STREET)


@pytest.fixture
def mid_august(world: Checklist) -> Iterator[None]:
    with time_machine.travel(datetime.datetime(2017, 8, 10, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield


def verdicts(checklist: Checklist, month: int, today: datetime.date) -> dict[tuple[str, int], str]:
    """(party, item number) → "held/required verdict" for the month, for the cells that exist."""
    table = month_compliance(checklist=checklist, year=2017, month=month, today=today)
    return {
        (row.label, cell.duty.item.number): f"{cell.measured} {cell.verdict}"
        for row in table.rows
        for cell in row.cells
        if cell is not None
    }


AUGUST_10 = datetime.date(2017, 8, 10)
SEPTEMBER_1 = datetime.date(2017, 9, 1)


def test_the_2017_duties_are_the_four_frequency_targets_owed_from_july(world: Checklist) -> None:
    duties = recurring_duties(world)
    assert [(d.item.number, d.period, d.level) for d in duties] == [
        (3, "month", "party"),
        (14, "month", "street"),
        (14, "fortnight", "party"),
        (16, "week", "party"),
    ]
    assert duties_start(world) == datetime.date(2017, 7, 1)  # issued 28 June 2017


def test_a_fortnightly_meeting_with_a_fifteen_day_gap_is_behind(
    world: Checklist,
    community_one: Community,
    community_two: Community,
    street_admin: User,
    mid_august: None,
) -> None:
    fortnightly = duty(world, 14)
    # Community one: 3, 18 and 31 July — three meetings, but 15 days from the 3rd to the 18th.
    for day in (3, 18, 31):
        held(fortnightly, community_one, 7, day, street_admin)
    # Community two: 3, 17 and 31 July — 14 days apart, as the checklist allows.
    for day in (3, 17, 31):
        held(fortnightly, community_two, 7, day, street_admin)

    table = month_compliance(checklist=world, year=2017, month=7, today=AUGUST_10)
    cells = {row.label: row.cells[2] for row in table.rows if row.community}
    one, two = cells["示例社区一"], cells["示例社区二"]
    assert one is not None and two is not None
    assert (one.held, one.required, one.verdict) == (3, 2, BEHIND)
    assert one.overdue_on == datetime.date(2017, 7, 18)  # due by the 17th, held on the 18th
    assert one.explanation == "7月18日起距上次开展已超过 14 天"
    assert (two.held, two.required, two.verdict, two.overdue_on) == (3, 2, MET, None)
    assert two.last_held_on == datetime.date(2017, 7, 31)


def test_a_gap_that_runs_into_the_next_month_counts_against_it(
    world: Checklist, community_one: Community, street_admin: User, mid_august: None
) -> None:
    fortnightly = duty(world, 14)
    held(fortnightly, community_one, 7, 6, street_admin)
    held(fortnightly, community_one, 7, 20, street_admin)
    held(fortnightly, community_one, 8, 5, street_admin)  # 16 days after 20 July

    july = judge_month_of(world, fortnightly, community_one, 7, SEPTEMBER_1)
    august = judge_month_of(world, fortnightly, community_one, 8, SEPTEMBER_1)
    # July: 6 → 20 is 14 days, and 20 July keeps the duty covered to 3 August.
    assert (july.verdict, july.overdue_on) == (MET, None)
    # August: due on 3 August (14 days after 20 July), not held until the 5th.
    assert (august.verdict, august.overdue_on) == (BEHIND, datetime.date(2017, 8, 4))
    assert august.last_held_on == datetime.date(2017, 8, 5)


def judge_month_of(
    checklist: Checklist,
    target: Target,
    community: Community,
    month: int,
    today: datetime.date,
) -> DutyMonth:
    table = month_compliance(checklist=checklist, year=2017, month=month, today=today)
    row = next(row for row in table.rows if row.community == community)
    cell = row.cells[table.duties.index(target)]
    assert cell is not None, "the community owes this duty"
    return cell


def test_a_monthly_duty_is_met_by_one_meeting_in_the_month(
    world: Checklist,
    community_one: Community,
    community_two: Community,
    street_admin: User,
    mid_august: None,
) -> None:
    decision = duty(world, 3)
    held(decision, community_one, 7, 28, street_admin)
    held(decision, community_two, 6, 28, street_admin)  # June: before the duty starts

    table = verdicts(world, 7, AUGUST_10)
    assert table[("示例社区一", 3)] == "1/1 met"
    assert table[("示例社区二", 3)] == "0/1 behind"


def test_a_weekly_contact_needs_four_in_july_and_no_gap_over_seven_days(
    world: Checklist,
    community_one: Community,
    community_two: Community,
    street_admin: User,
    mid_august: None,
) -> None:
    weekly = duty(world, 16)
    assert weekly.required_occurrences(2017, 7) == 4
    # One: every Friday, 7 to 28 July: the first within 7 days of 30 June; 28 July + 7 =
    # 4 August is after the month.
    for day in (7, 14, 21, 28):
        held(weekly, community_one, 7, day, street_admin)
    # Two: four contacts in the first week only, then nothing from 12 July.
    for day in (1, 2, 3, 4):
        held(weekly, community_two, 7, day, street_admin)

    one = judge_month_of(world, weekly, community_one, 7, AUGUST_10)
    two = judge_month_of(world, weekly, community_two, 7, AUGUST_10)
    assert (one.held, one.verdict) == (4, MET)
    assert (two.held, two.verdict, two.overdue_on) == (4, BEHIND, datetime.date(2017, 7, 12))


def test_a_weekly_contact_starting_on_the_eighth_is_late(
    world: Checklist, community_one: Community, street_admin: User, mid_august: None
) -> None:
    weekly = duty(world, 16)
    for day in (8, 15, 22, 29):
        held(weekly, community_one, 7, day, street_admin)
    cell = judge_month_of(world, weekly, community_one, 7, AUGUST_10)
    assert (cell.verdict, cell.overdue_on) == (BEHIND, datetime.date(2017, 7, 8))


def test_the_street_owes_the_monthly_joint_meeting_and_communities_do_not(
    world: Checklist, street_admin: User, mid_august: None
) -> None:
    street_meeting = duty(world, 14, Target.Level.STREET)
    held(street_meeting, None, 7, 25, street_admin)

    table = month_compliance(checklist=world, year=2017, month=7, today=AUGUST_10)
    street = table.rows[-1]
    assert street.community is None and street.label == "街道"
    column = table.duties.index(street_meeting)
    cell = street.cells[column]
    assert cell is not None
    assert cell.verdict == MET
    assert cell.last_held_on == datetime.date(2017, 7, 25)
    # The street owes only the street-level duty; communities never owe it.
    assert [cell is None for cell in street.cells] == [True, False, True, True]
    assert all(row.cells[column] is None for row in table.rows[:-1])


def test_a_party_with_no_meetings_is_behind_on_every_duty(
    world: Checklist, community_one: Community, community_two: Community, mid_august: None
) -> None:
    table = verdicts(world, 7, AUGUST_10)
    assert table == {
        ("示例社区一", 3): "0/1 behind",
        ("示例社区一", 14): "0/2 behind",
        ("示例社区一", 16): "0/4 behind",
        ("示例社区二", 3): "0/1 behind",
        ("示例社区二", 14): "0/2 behind",
        ("示例社区二", 16): "0/4 behind",
        ("街道", 14): "0/1 behind",
    }
    cell = judge_month_of(world, duty(world, 14), community_one, 7, AUGUST_10)
    assert cell.overdue_on == datetime.date(2017, 7, 15)  # 14 days from 30 June
    assert cell.last_held_on is None
    assert month_compliance(checklist=world, year=2017, month=7, today=AUGUST_10).behind == 7


def test_a_month_still_running_is_in_progress_until_it_is_certain(
    world: Checklist,
    community_one: Community,
    community_two: Community,
    street_admin: User,
    mid_august: None,
) -> None:
    fortnightly, decision = duty(world, 14), duty(world, 3)
    extra = Community.objects.create(name="示例社区三", order=3)
    assignments_generate(checklist=world)
    # One: 31 July, 9 August: one of two so far, and covered until the 14th.
    held(fortnightly, community_one, 7, 31, street_admin)
    held(fortnightly, community_one, 8, 9, street_admin)
    # Two: last met on 20 July: overdue since 4 August; nothing later can undo that.
    held(fortnightly, community_two, 7, 20, street_admin)
    # Three: 27 July, 1 and 9 August: enough, but 9 + 14 = 23 August leaves the month's end
    # uncovered yet.
    held(fortnightly, extra, 7, 27, street_admin)
    held(fortnightly, extra, 8, 1, street_admin)
    held(fortnightly, extra, 8, 9, street_admin)
    # The decision meeting: held on 2 August by one, not yet by two.
    held(decision, community_one, 8, 2, street_admin)

    table = verdicts(world, 8, AUGUST_10)
    assert table[("示例社区一", 14)] == "1/2 on_track"
    assert table[("示例社区二", 14)] == "0/2 behind"
    assert table[("示例社区三", 14)] == "2/2 on_track"
    assert table[("示例社区一", 3)] == "1/1 met"  # already done: certain
    assert table[("示例社区二", 3)] == "0/1 on_track"
    assert table[("街道", 14)] == "0/1 on_track"


def test_a_fortnightly_duty_is_met_before_the_month_ends_once_it_covers_the_month(
    world: Checklist, community_one: Community, street_admin: User
) -> None:
    fortnightly = duty(world, 14)
    with time_machine.travel(datetime.datetime(2017, 8, 18, 10, 0, tzinfo=SHANGHAI)):
        held(fortnightly, community_one, 7, 31, street_admin)
        held(fortnightly, community_one, 8, 3, street_admin)
        held(fortnightly, community_one, 8, 17, street_admin)  # 17 + 14 = 31 August
        cell = judge_month_of(world, fortnightly, community_one, 8, datetime.date(2017, 8, 18))
    assert cell.verdict == MET


def test_only_held_meetings_count(
    world: Checklist, community_one: Community, street_admin: User, mid_august: None
) -> None:
    decision = duty(world, 3)
    cancelled = held(decision, community_one, 7, 10, street_admin)
    meeting_cancel(meeting=cancelled, by=street_admin)
    meeting_schedule(
        details=MeetingDetails(
            target=decision,
            community=community_one,
            starts_at=datetime.datetime(2017, 8, 20, 9, 0, tzinfo=SHANGHAI),
        ),
        by=street_admin,
    )
    assert verdicts(world, 7, AUGUST_10)[("示例社区一", 3)] == "0/1 behind"
    assert verdicts(world, 8, AUGUST_10)[("示例社区一", 3)] == "0/1 on_track"


def test_a_meeting_late_in_the_evening_belongs_to_the_shanghai_day(
    world: Checklist, community_one: Community, street_admin: User, mid_august: None
) -> None:
    # 23:00 on 31 July in Shanghai is 15:00 UTC: July, not August.
    held(duty(world, 3), community_one, 7, 31, street_admin, hour=23)
    assert verdicts(world, 7, AUGUST_10)[("示例社区一", 3)] == "1/1 met"


def test_months_before_the_duties_start_or_after_today_are_not_judged(
    world: Checklist, mid_august: None
) -> None:
    june = month_compliance(checklist=world, year=2017, month=6, today=AUGUST_10)
    september = month_compliance(checklist=world, year=2017, month=9, today=AUGUST_10)
    assert not june.judged and not september.judged
    assert all(cell is None for row in june.rows for cell in row.cells)


def test_a_community_s_year_shows_its_own_duties_from_july_to_this_month(
    world: Checklist, community_one: Community, street_admin: User, mid_august: None
) -> None:
    decision = duty(world, 3)
    held(decision, community_one, 7, 12, street_admin)
    year = community_year_compliance(checklist=world, community=community_one, today=AUGUST_10)
    assert [d.item.number for d in year.duties] == [3, 14, 16]  # not the street's
    assert [row.month for row in year.months] == [7, 8]
    assert [cell and cell.verdict for cell in year.months[0].cells] == [MET, BEHIND, BEHIND]
    assert [cell and cell.verdict for cell in year.months[1].cells] == [ON_TRACK, BEHIND, BEHIND]


def test_judging_a_month_by_hand(checklist_2017: Checklist) -> None:
    """The rule without the database: 14 days apart is fine, 15 is not; the count starts
    from the day before the duties start."""
    fortnightly = duty(checklist_2017, 14)
    start = datetime.date(2017, 7, 1)

    def judge(days: list[int], before: datetime.date | None = None) -> tuple[str, int | None]:
        result = judge_duty_month(
            duty=fortnightly,
            community=None,
            year=2017,
            month=9,
            held_on=[datetime.date(2017, 9, day) for day in days],
            held_before=before,
            start=start,
            today=datetime.date(2017, 10, 1),
        )
        return result.verdict, result.overdue_on.day if result.overdue_on else None

    assert judge([10, 24], before=datetime.date(2017, 8, 27)) == (MET, None)
    assert judge([10, 25], before=datetime.date(2017, 8, 27)) == (BEHIND, 25)
    assert judge([1, 15, 29], before=datetime.date(2017, 8, 31)) == (MET, None)
    assert judge([1, 15], before=datetime.date(2017, 8, 31)) == (BEHIND, 30)  # due by the 29th
    assert judge([5, 19], before=None) == (BEHIND, 1)  # nothing since 30 June
    assert judge([]) == (BEHIND, 1)


def test_the_office_table_needs_the_same_queries_for_any_number_of_communities(
    world: Checklist,
    community_one: Community,
    street_admin: User,
    mid_august: None,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    held(duty(world, 14), community_one, 8, 1, street_admin)
    # the duties with their items; the communities that owe a duty (their count, the
    # page's); the page's parties (assignments with their communities); the month's held
    # meetings of the page's parties; the last held meeting before the month of each
    expected = 6
    with django_assert_num_queries(expected):
        month_compliance(checklist=world, year=2017, month=8, today=AUGUST_10)
    for number in range(6):
        community = Community.objects.create(name=f"新增社区{number}", order=10 + number)
        staff = _person(f"staff{number}", Role.COMMUNITY_STAFF, community=community)
        assignments_generate(checklist=world)
        held(duty(world, 14), community, 8, 2, staff)
    with django_assert_num_queries(expected):
        table = month_compliance(checklist=world, year=2017, month=8, today=AUGUST_10)
    assert len(table.rows) == 2 + 6 + 1
