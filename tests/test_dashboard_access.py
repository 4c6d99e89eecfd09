"""Who opens the dashboards, what each sees of the matrix, that leadership changes
nothing, and that a page costs the same number of queries for 3 or 30 communities."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from communities.models import Community
from tasks.models import Checklist, ProgressReport
from tasks.services import assignments_generate
from tests.filing import file_item_report, file_report, time_travel

from .conftest import assignment_of

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse

PAGES = (
    "/dashboard/?year=2017&month=7",
    "/dashboard/matrix/?year=2017&month=7",
    "/dashboard/matrix/?year=2017&month=7&parties=units",
    "/dashboard/briefing/?year=2017&month=7",
)


def _get(client: Client, user: User | None, url: str) -> _MonkeyPatchedWSGIResponse:
    if user is not None:
        client.force_login(user)
    with time_travel(2017, 8, 20):
        return client.get(url)


@pytest.mark.parametrize("url", PAGES)
def test_street_admin_leadership_and_lead_units_open_the_dashboards(
    client: Client, street_admin: User, leader: User, housing_staff: User, url: str
) -> None:
    for user in (street_admin, leader, housing_staff):
        assert _get(client, user, url).status_code == 200, user


@pytest.mark.parametrize("url", [*PAGES, "/dashboard/urge/?assignment=1&year=2017&month=7"])
def test_community_staff_are_refused_and_strangers_sent_to_log_in(
    client: Client, community_one_staff: User, url: str
) -> None:
    assert _get(Client(), None, url).status_code == 302
    response = _get(client, community_one_staff, url)
    assert response.status_code == 403


def _cell_links(page: str) -> set[str]:
    return set(re.findall(r'href="(/reports/\d+/)" class="mark', page))


def test_matrix_cells_link_to_the_reports_each_role_may_open(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    street_admin: User,
    leader: User,
    housing_staff: User,
    party_building_staff: User,
) -> None:
    with time_travel(2017, 8, 3):
        submitted = file_item_report(world, 8, community_one, community_one_staff)  # 房管所
        draft = file_item_report(world, 7, community_one, community_one_staff, submit=False)
        other = file_item_report(world, 2, community_one, community_one_staff)  # 社区党建办
    url = "/dashboard/matrix/?year=2017&month=7"
    every = {f"/reports/{r.pk}/" for r in (submitted, draft, other)}

    assert _cell_links(_get(client, street_admin, url).content.decode()) == every
    assert _cell_links(_get(client, leader, url).content.decode()) == every
    # A lead unit opens the submitted reports of the items it leads, never a draft.
    assert _cell_links(_get(client, housing_staff, url).content.decode()) == {
        f"/reports/{submitted.pk}/"
    }
    assert _cell_links(_get(client, party_building_staff, url).content.decode()) == {
        f"/reports/{other.pk}/"
    }
    for user, report in ((housing_staff, submitted), (party_building_staff, other)):
        assert _get(client, user, f"/reports/{report.pk}/").status_code == 200


def test_urging_is_offered_to_the_street_admin_and_the_item_s_lead_unit_only(
    client: Client,
    world: Checklist,
    community_two: Community,
    street_admin: User,
    leader: User,
    housing_staff: User,
    party_building_staff: User,
) -> None:
    overdue = assignment_of(world, 8, community_two)  # 房管所 leads item 8
    url = f"/dashboard/urge/?assignment={overdue.pk}&year=2017&month=7"

    assert "发出催办" in _get(client, street_admin, url).content.decode()
    assert "发出催办" in _get(client, housing_staff, url).content.decode()
    assert _get(client, party_building_staff, url).status_code == 403
    assert _get(client, leader, url).status_code == 403
    dashboard = _get(client, leader, PAGES[0]).content.decode()
    assert "催办</a>" not in dashboard and "/dashboard/urge/" not in dashboard
    matrix = _get(client, leader, PAGES[1]).content.decode()
    assert "/dashboard/urge/" not in matrix
    assert "/dashboard/urge/" in _get(client, street_admin, PAGES[1]).content.decode()


def test_leadership_reads_everything_and_changes_nothing(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    leader: User,
) -> None:
    with time_travel(2017, 8, 3):
        report = file_item_report(world, 8, community_one, community_one_staff)
    state_before = ProgressReport.objects.values_list("pk", "workflow_state", "version")
    before = list(state_before)
    client.force_login(leader)
    with time_travel(2017, 8, 20):
        for url in (*PAGES, f"/reports/{report.pk}/", f"/items/{report.assignment.item_id}/"):
            assert client.get(url).status_code == 200, url
        refused = [
            (f"/reports/{report.pk}/approve/", {"comment": "好"}),
            (f"/reports/{report.pk}/return/", {"comment": "改"}),
            (f"/reports/{report.pk}/reopen/", {"reason": "改"}),
            (
                "/notifications/urges/send/",
                {"assignment": report.assignment_id, "year": 2017, "month": 7},
            ),
            ("/workspace/?year=2017&month=7", {"save": "1"}),
        ]
        for url, data in refused:
            assert client.post(url, data).status_code in (403, 404), url
        assert client.get("/admin/").status_code == 302  # not staff: sent to the admin login
    assert list(state_before) == before
    from dashboards.models import UrgeNotice

    assert not UrgeNotice.objects.exists()


@pytest.mark.parametrize("url", PAGES)
def test_a_page_costs_the_same_queries_for_3_and_30_communities(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    street_admin: User,
    housing_staff: User,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    url: str,
) -> None:
    Community.objects.create(name="示例社区三", order=3)
    assignments_generate(checklist=world)
    with time_travel(2017, 8, 3):
        file_report(assignment_of(world, 8, community_one), community_one_staff, submit=True)

    def count(user: User) -> int:
        client.force_login(user)
        # 16 at most, whatever the street's size; the matrix loads its checklist with the
        # ones its period picker offers (one query for both), the dashboard and the
        # briefing fetch theirs within the figures' query and the picker's apart.
        most = 15 if "/matrix/" in url else 16
        with time_travel(2017, 8, 20), django_assert_max_num_queries(most) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    small = {user.username: count(user) for user in (street_admin, housing_staff)}
    Community.objects.bulk_create(Community(name=f"扩展社区{n}", order=10 + n) for n in range(27))
    assignments_generate(checklist=world)
    with time_travel(2017, 8, 4):
        for community in Community.objects.filter(name__startswith="扩展社区")[:10]:
            file_report(assignment_of(world, 7, community), community_one_staff_for(community))
    large = {user.username: count(user) for user in (street_admin, housing_staff)}
    assert large == small


def community_one_staff_for(community: Community) -> User:
    """A staff member of ``community`` (created on first use)."""
    from communities.roles import Role

    from .conftest import _person

    return User.objects.filter(memberships__community=community).first() or _person(
        f"staff{community.pk}", Role.COMMUNITY_STAFF, community=community
    )


def test_the_urge_page_sends_and_says_on_the_page_why_it_refuses(
    client: Client,
    world: Checklist,
    community_two: Community,
    community_two_staff: User,
    street_admin: User,
) -> None:
    from dashboards.models import UrgeNotice

    late = assignment_of(world, 8, community_two)
    url = f"/dashboard/urge/?assignment={late.pk}&year=2017&month=7&next=/dashboard/"
    with time_travel(2017, 8, 20):
        file_report(late, community_two_staff, submit=True)  # filed while the page was open
        client.force_login(street_admin)
        refused = client.post(url, {"text": "请今天内补报"})
    page = refused.content.decode()
    assert refused.status_code == 400
    assert "未能催办:示例社区二 的 7月进展已提交,无需催办" in page
    assert "这份月报已经提交,无需催办" in page  # the form gives way to what happened
    assert not UrgeNotice.objects.exists()

    other = assignment_of(world, 7, community_two)
    with time_travel(2017, 8, 20):
        sent = client.post(
            f"/dashboard/urge/?assignment={other.pk}&year=2017&month=7&next=https://evil.example/",
            {"text": "请今天内补报"},
        )
    assert sent.status_code == 302 and sent["Location"].startswith("/dashboard/matrix/")
    assert UrgeNotice.objects.get().text == "请今天内补报"
