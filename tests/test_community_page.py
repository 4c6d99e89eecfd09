"""A community's page (/communities/<pk>/): its compounds, its recurring duties month by month
for the year so far, its recent meetings; seen by its own staff and the office, never by
another community's staff."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from communities.models import Community, Unit
from communities.roles import Role
from meetings.services import meeting_cancel
from tasks.models import Checklist, Target
from tasks.services import assignments_generate

from .conftest import SHANGHAI, _person, frequency_duty, held_meeting

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def september_5th_2017() -> Any:
    """Tuesday 5 September 2017, 10:00 in Shanghai."""
    with time_machine.travel(
        datetime.datetime(2017, 9, 5, 10, 0, tzinfo=SHANGHAI), tick=False
    ) as traveller:
        yield traveller


def _cells(response: Any) -> dict[int, list[str]]:
    """Month → "held/required verdict" of each duty column."""
    return {
        row.month: [f"{cell.measured} {cell.verdict}" for cell in row.cells]
        for row in response.context["year"].months
    }


def test_the_community_s_staff_see_its_compounds_duties_and_meetings(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    street_admin: User,
) -> None:
    fortnightly, decision = frequency_duty(world, 14), frequency_duty(world, 3)
    for day in (4, 18):
        held_meeting(fortnightly, community_one, 7, day, community_one_staff)
    held_meeting(fortnightly, community_one, 8, 1, community_one_staff)
    held_meeting(decision, community_one, 8, 25, community_one_staff)
    cancelled = held_meeting(decision, community_one, 7, 30, community_one_staff)
    meeting_cancel(meeting=cancelled, by=street_admin)
    street = held_meeting(frequency_duty(world, 14, street=True), None, 8, 3, street_admin)
    client.force_login(community_one_staff)

    response = client.get(f"/communities/{community_one.pk}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "示例社区一" in page and "住宅小区 2 个" in page
    duties = response.context["year"].duties
    assert [(d.item.number, d.level) for d in duties] == [
        (3, Target.Level.PARTY),
        (14, Target.Level.PARTY),
        (16, Target.Level.PARTY),
    ]
    # July to September (the duties start in July; September is running).
    assert _cells(response) == {
        7: ["0/1 behind", "2/2 met", "0/4 behind"],  # 18 July + 14 = 1 August: covered
        8: ["1/1 met", "1/2 behind", "0/4 behind"],  # nothing after 1 August
        9: ["0/1 on_track", "0/2 behind", "0/4 behind"],
    }
    assert "2/2 达标" in page and "推进中" in page
    recent = response.context["recent_meetings"]
    assert [m.held_on.isoformat() for m in recent] == [
        "2017-08-25",
        "2017-08-01",
        "2017-07-30",
        "2017-07-18",
        "2017-07-04",
    ]
    assert street not in recent  # the street's own meetings are not the community's
    assert "已取消" in page
    assert 'href="/meetings/new/?community=' in page  # its staff record its meetings


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("community_one_staff", 200),
        ("community_two_staff", 404),
        ("autonomy_staff", 200),  # leads item 14
        ("housing_staff", 200),  # unit staff see every community
        ("street_admin", 200),
        ("leader", 200),
    ],
)
def test_who_sees_a_community_s_page(
    client: Client,
    world: Checklist,
    community_one: Community,
    who: str,
    status: int,
    request: pytest.FixtureRequest,
) -> None:
    client.force_login(request.getfixturevalue(who))
    assert client.get(f"/communities/{community_one.pk}/").status_code == status


def test_leadership_reads_the_page_without_a_record_button(
    client: Client, world: Checklist, community_one: Community, leader: User
) -> None:
    client.force_login(leader)
    response = client.get(f"/communities/{community_one.pk}/")
    assert not response.context["may_record"]
    assert "/meetings/new/" not in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(
    client: Client, world: Checklist, community_one: Community
) -> None:
    response = client.get(f"/communities/{community_one.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_year_before_the_checklist_s_or_a_missing_one_shows_no_table(
    client: Client, world: Checklist, community_one: Community, street_admin: User
) -> None:
    client.force_login(street_admin)
    response = client.get(f"/communities/{community_one.pk}/", {"year": "2016"})
    assert response.status_code == 200 and response.context["year"] is None
    assert client.get(f"/communities/{community_one.pk}/", {"year": "二〇一七"}).status_code == 404


def test_the_page_needs_the_same_queries_for_any_number_of_communities_and_meetings(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    street_admin: User,
    django_assert_num_queries: Any,
) -> None:
    held_meeting(frequency_duty(world, 14), community_one, 7, 4, street_admin)
    client.force_login(community_one_staff)
    # user (the session from the cache); permissions of the user and of their groups
    # (sees everything?); unit
    # staff?; the community with its compound count; the checklists in use (the one the
    # page opens on first, the picker's years); the picker's month (the latest with a
    # submitted report); compliance: duties, parties, the held meetings of July to
    # September (one query for all months); may record: items the user's unit leads,
    # parties; recent meetings; header: unread messages (its navigation is kept in the
    # session, which is not written within a minute of the last write).
    # The user and their permissions come with the session (yijia/sessions.py): 3 fewer.
    expected = 11
    with django_assert_num_queries(expected):
        client.get(f"/communities/{community_one.pk}/")

    for number in range(4):
        community = Community.objects.create(name=f"新增社区{number}", order=10 + number)
        _person(f"staff{number}", Role.COMMUNITY_STAFF, community=community)
        assignments_generate(checklist=world)
        held_meeting(frequency_duty(world, 14), community, 8, 1, street_admin)
    for day in (18, 25):
        held_meeting(frequency_duty(world, 16), community_one, 8, day, street_admin)
    client.force_login(community_one_staff)
    with django_assert_num_queries(expected):
        response = client.get(f"/communities/{community_one.pk}/")
    assert len(response.context["recent_meetings"]) == 3


def test_the_ledger_link_follows_who_may_download_not_a_place_s_name(
    client: Client, world: Checklist, community_one: Community, community_one_staff: User
) -> None:
    # A unit's staff see every community's page; a unit named like the community (a
    # place in the header with the same name) does not make its ledger theirs.
    namesake = Unit.objects.create(name=community_one.name, kind=Unit.Kind.STREET_OFFICE)
    unit_staff = _person("namesake", Role.LEAD_UNIT_STAFF, unit=namesake)
    ledger = f"/ledger/communities/{community_one.pk}/"

    client.force_login(unit_staff)
    page = client.get(f"/communities/{community_one.pk}/")
    assert page.status_code == 200
    assert not page.context["community"].may_download_ledger
    assert ledger not in page.content.decode()
    assert client.get(ledger).status_code == 403

    client.force_login(community_one_staff)
    page = client.get(f"/communities/{community_one.pk}/")
    assert page.context["community"].may_download_ledger
    assert ledger in page.content.decode()
