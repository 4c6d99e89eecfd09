"""An item's page shows, for one month, each responsible party's report state, progress,
target verdicts and lateness — every party for lead units and the street, one's own
party for everyone else."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from communities.models import Community, Unit
from communities.roles import Role
from tasks.models import Checklist, Item, Target
from tasks.services import assignments_generate, extension_request, progress_report_approve
from tests.filing import file_item_report as file_report

from .conftest import SHANGHAI, _person, assignment_of


@pytest.fixture
def item_8(world: Checklist) -> Item:
    """业委会组建率 ≥ 90%, led by 房管所 (and 社区自治办), every community reports."""
    return world.items.get(number=8)


def _rows(response: object) -> dict[str, dict[str, object]]:
    """Each row of the month's table by party: state, verdicts, lateness, link."""
    rows = {}
    for row in response.context["rows"]:  # type: ignore[attr-defined]
        if row.report is not None:
            state = row.report.workflow_state
        else:
            state = "unsubmitted" if row.unsubmitted else "none"
        rows[str(row.assignment.party)] = {
            "state": state,
            "verdicts": [evaluation.verdict for evaluation in row.evaluations],
            "late": row.late,
            "report": row.report.pk if row.report is not None else None,
        }
    return rows


def test_the_item_page_shows_each_party_s_state_for_the_month_with_verdicts(
    client: Client,
    item_8: Item,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    housing_staff: User,
    august_3rd_2017: time_machine.Traveller,
) -> None:
    report = file_report(world, 8, community_one, community_one_staff)
    client.force_login(housing_staff)
    response = client.get(f"/items/{item_8.pk}/")

    assert (response.context["year"], response.context["month"]) == (2017, 7)
    assert _rows(response) == {
        "示例社区一": {
            "state": "submitted",
            "verdicts": [Target.Verdict.ON_TRACK],  # 1 of 2 compounds, before the year's end
            "late": False,
            "report": report.pk,
        },
        "示例社区二": {
            "state": "none",
            "verdicts": [Target.Verdict.NOT_REPORTED],
            "late": False,  # due on 5 August
            "report": None,
        },
    }
    page = response.content.decode()
    assert "2017年7月各责任单位进展" in page
    assert "已提交" in page and "推进中" in page and "未填报" in page
    assert f'href="/reports/{report.pk}/"' in page
    # what the page showed before: targets and parties
    assert "业委会组建率" in page and "≥ 90%" in page
    assert "房管所" in page and "社区自治办" in page


def test_an_unfiled_month_is_late_once_its_deadline_has_passed(
    client: Client,
    item_8: Item,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    community_two: Community,
    community_two_staff: User,
    housing_staff: User,
    august_3rd_2017: time_machine.Traveller,
) -> None:
    extension = extension_request(
        assignment=assignment_of(world, 8, community_two),
        year=2017,
        month=7,
        requested_deadline=datetime.date(2017, 8, 15),
        reason="台风",
        by=community_two_staff,
    )
    august_3rd_2017.move_to(datetime.datetime(2017, 8, 9, 9, 0, tzinfo=SHANGHAI))
    client.force_login(housing_staff)
    client.post(f"/extensions/{extension.pk}/decide/", {"grant": "1"})

    response = client.get(f"/items/{item_8.pk}/")

    rows = _rows(response)
    assert rows["示例社区一"]["late"] is True  # nothing filed, due on 5 August
    assert rows["示例社区二"]["late"] is False  # its deadline moved to 15 August
    assert "逾期" in response.content.decode()


def test_a_lead_unit_sees_another_party_s_draft_only_as_not_submitted(
    client: Client,
    item_8: Item,
    world: Checklist,
    community_two: Community,
    community_two_staff: User,
    housing_staff: User,
    august_3rd_2017: time_machine.Traveller,
) -> None:
    file_report(world, 8, community_two, community_two_staff, submit=False)
    client.force_login(housing_staff)
    response = client.get(f"/items/{item_8.pk}/")

    assert _rows(response)["示例社区二"] == {
        "state": "unsubmitted",
        "verdicts": [Target.Verdict.NOT_REPORTED],  # the draft's figures stay the party's
        "late": False,
        "report": None,
    }
    assert "未提交" in response.content.decode()


def test_community_staff_see_only_their_own_row_drafts_included(
    client: Client,
    item_8: Item,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    community_two: Community,
    community_two_staff: User,
    august_3rd_2017: time_machine.Traveller,
) -> None:
    draft = file_report(world, 8, community_one, community_one_staff, submit=False)
    file_report(world, 8, community_two, community_two_staff)
    client.force_login(community_one_staff)
    response = client.get(f"/items/{item_8.pk}/")

    assert _rows(response) == {
        "示例社区一": {
            "state": "draft",
            "verdicts": [Target.Verdict.ON_TRACK],
            "late": False,
            "report": draft.pk,
        }
    }
    page = response.content.decode()
    assert "示例社区二" in page  # still listed among the item's parties, without a status


def test_users_who_see_everything_see_every_party_drafts_included(
    client: Client,
    item_8: Item,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    community_two: Community,
    community_two_staff: User,
    housing_staff: User,
    street_admin: User,
    leader: User,
    august_3rd_2017: time_machine.Traveller,
) -> None:
    file_report(world, 8, community_one, community_one_staff, submit=False)
    progress_report_approve(
        report=file_report(world, 8, community_two, community_two_staff), by=housing_staff
    )
    for user in (street_admin, leader):
        client.force_login(user)
        rows = _rows(client.get(f"/items/{item_8.pk}/"))
        assert {party: row["state"] for party, row in rows.items()} == {
            "示例社区一": "draft",
            "示例社区二": "approved",
        }


def test_a_user_who_is_no_party_of_the_item_sees_no_row(
    client: Client, item_8: Item, party_building_staff: User, august_3rd_2017: object
) -> None:
    client.force_login(party_building_staff)  # 社区党建办 neither leads item 8 nor files it
    response = client.get(f"/items/{item_8.pk}/")

    assert response.status_code == 200
    assert response.context["rows"] == []
    assert "您所在的单位不是本任务的责任单位。" in response.content.decode()


def test_a_street_level_assignment_has_its_row(
    client: Client, world: Checklist, street_admin: User, august_3rd_2017: object
) -> None:
    item_14 = world.items.get(number=14)  # 联席会议: street level by 社区自治办
    client.force_login(street_admin)
    rows = _rows(client.get(f"/items/{item_14.pk}/"))

    assert list(rows) == ["示例社区一", "示例社区二", "社区自治办"]
    # Its target is the street's monthly joint meeting, judged from the meeting register
    # whether or not a report was filed: none was held in July, so July is behind.
    assert rows["社区自治办"]["verdicts"] == [Target.Verdict.BEHIND]


@pytest.mark.parametrize(
    ("query", "month"),
    [
        ("", (2017, 7)),  # the month being filed on 3 August
        ("?year=2017&month=3", (2017, 3)),
        ("?month=11", (2017, 11)),
        ("?year=2018&month=5", (2017, 12)),  # kept in the checklist's year
        ("?year=2016&month=5", (2017, 1)),
        ("?year=2017&month=13", (2017, 7)),  # not a month: the default
        ("?year=abc&month=2", (2017, 7)),
    ],
)
def test_the_month_defaults_to_the_previous_one_within_the_checklist_s_year(
    client: Client,
    item_8: Item,
    street_admin: User,
    august_3rd_2017: object,
    query: str,
    month: tuple[int, int],
) -> None:
    client.force_login(street_admin)
    response = client.get(f"/items/{item_8.pk}/{query}")
    assert (response.context["year"], response.context["month"]) == month


def test_in_january_the_page_shows_december_of_the_checklist_s_year(
    client: Client, item_8: Item, street_admin: User
) -> None:
    with time_machine.travel(datetime.datetime(2018, 1, 10, 9, 0, tzinfo=SHANGHAI), tick=False):
        client.force_login(street_admin)
        response = client.get(f"/items/{item_8.pk}/")
    assert (response.context["year"], response.context["month"]) == (2017, 12)


def test_the_item_page_needs_the_same_queries_for_any_number_of_communities(
    client: Client,
    item_8: Item,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    community_two: Community,
    community_two_staff: User,
    housing_staff: User,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    august_3rd_2017: object,
) -> None:
    file_report(world, 8, community_one, community_one_staff)
    file_report(world, 8, community_two, community_two_staff, submit=False)
    client.force_login(housing_staff)
    # session, user; the item, its lead units, targets, responsible units; the month the
    # page opens on (the latest month owed with a submitted report); permissions of the
    # user and of their groups (sees everything?); leads the item?; own assignments; the
    # item's community and unit assignments counted, the page's assignment ids (its
    # communities in order, its units); the page's assignments (with has-a-report) and
    # their month's extensions, visible reports and their values; the parties named (60 at
    # most); header: memberships, role names, unread messages; the session saved.
    expected = 25
    with django_assert_max_num_queries(expected):
        assert len(client.get(f"/items/{item_8.pk}/").context["rows"]) == 2

    for number in range(4):
        community = Community.objects.create(name=f"新增社区{number}", order=10 + number)
        staff = _person(f"staff{number}", Role.COMMUNITY_STAFF, community=community)
        assignments_generate(checklist=world)
        file_report(world, 8, community, staff, submit=number % 2 == 0)
        extension_request(
            assignment=assignment_of(world, 8, community),
            year=2017,
            month=7,
            requested_deadline=datetime.date(2017, 8, 20),
            reason="来不及",
            by=staff,
        )
    client.force_login(housing_staff)
    with django_assert_max_num_queries(expected):
        response = client.get(f"/items/{item_8.pk}/")
    states = [row.report.workflow_state if row.report else "—" for row in response.context["rows"]]
    assert states == ["submitted", "—", "submitted", "—", "submitted", "—"]


def test_a_unit_sees_its_own_row_on_an_item_it_files_for(
    client: Client, world: Checklist, housing_staff: User, august_3rd_2017: object
) -> None:
    item_15 = world.items.get(number=15)  # 房管所 and 城管中队 file, 社区党建办 leads
    client.force_login(housing_staff)
    rows = _rows(client.get(f"/items/{item_15.pk}/"))
    assert list(rows) == [str(Unit.objects.get(name="房管所"))]
