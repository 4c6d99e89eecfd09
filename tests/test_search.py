"""The header's search (/search/?q=): items by number or words, communities, units and
reports, only what the user may open, grouped by kind, a few of each with a link to all."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from communities.models import Community
from communities.roles import Role
from tasks.models import Checklist, ProgressReport
from tasks.services import assignments_generate
from tests.filing import file_item_report as file_report

from .conftest import _person


def _found(response: Any, kind: str) -> list[Any]:
    groups = {group.kind.key: group for group in response.context["groups"]}
    return list(groups[kind].rows) if kind in groups else []


@pytest.fixture
def reports(
    world: Checklist,
    community_one: Community,
    community_two: Community,
    community_one_staff: User,
    community_two_staff: User,
    august_3rd_2017: time_machine.Traveller,
) -> dict[str, ProgressReport]:
    """July 2017: both communities submit item 8; community one keeps item 12 as a draft."""
    return {
        "one_8": file_report(world, 8, community_one, community_one_staff),
        "two_8": file_report(world, 8, community_two, community_two_staff),
        "one_12_draft": file_report(world, 12, community_one, community_one_staff, submit=False),
    }


def test_a_number_finds_the_item_of_that_number_first(
    client: Client, reports: dict[str, ProgressReport], community_one_staff: User
) -> None:
    client.force_login(community_one_staff)
    response = client.get("/search/", {"q": "12"})

    assert response.status_code == 200
    items = _found(response, "items")
    assert items[0].number == 12
    page = response.content.decode()
    assert f'href="/items/{items[0].pk}/"' in page
    assert "有序引导社区居民" in page  # item 12's text
    # The community's own draft of item 12 is its own: found.
    assert [report.pk for report in _found(response, "reports")] == [reports["one_12_draft"].pk]
    # The box in the header keeps what was asked.
    assert 'name="q" value="12"' in page


def test_words_find_items_by_their_text_and_by_their_lead_unit(
    client: Client, reports: dict[str, ProgressReport], housing_staff: User
) -> None:
    client.force_login(housing_staff)

    by_text = {item.number for item in _found(client.get("/search/", {"q": "业委会"}), "items")}
    assert {1, 6, 9} <= by_text

    response = client.get("/search/", {"q": "房管所"})
    assert [unit.name for unit in _found(response, "units")] == ["房管所"]
    assert 'href="?q=%E6%88%BF%E7%AE%A1%E6%89%80&amp;kind=items"' in response.content.decode()
    every_item = client.get("/search/", {"q": "房管所", "kind": "items"})
    led = {item.number for item in _found(every_item, "items")}
    assert {7, 8, 18} <= led


def test_a_community_s_staff_never_find_another_community_or_its_reports(
    client: Client, reports: dict[str, ProgressReport], community_one_staff: User
) -> None:
    client.force_login(community_one_staff)

    response = client.get("/search/", {"q": "示例社区二"})
    assert _found(response, "communities") == []
    assert _found(response, "reports") == []
    assert "没有找到与“示例社区二”相关、您可以查看的内容。" in response.content.decode()

    response = client.get("/search/", {"q": "8 7月"})  # item 8, July
    assert [report.pk for report in _found(response, "reports")] == [reports["one_8"].pk]
    assert [c.name for c in _found(client.get("/search/", {"q": "示例"}), "communities")] == [
        "示例社区一"
    ]


def test_a_lead_unit_finds_the_reports_it_reviews_but_not_a_community_s_draft(
    client: Client, reports: dict[str, ProgressReport], housing_staff: User, leader: User
) -> None:
    client.force_login(housing_staff)
    found = {report.pk for report in _found(client.get("/search/", {"q": "8"}), "reports")}
    assert found == {reports["one_8"].pk, reports["two_8"].pk}
    assert _found(client.get("/search/", {"q": "12 示例社区一"}), "reports") == []

    client.force_login(leader)
    response = client.get("/search/", {"q": "示例社区"})
    assert [c.name for c in _found(response, "communities")] == ["示例社区一", "示例社区二"]


def test_each_kind_shows_five_with_a_link_to_all_of_them(
    client: Client, world: Checklist, leader: User
) -> None:
    client.force_login(leader)
    response = client.get("/search/", {"q": "社区"})

    items = _found(response, "items")
    assert len(items) == 5
    page = response.content.decode()
    assert 'href="?q=%E7%A4%BE%E5%8C%BA&amp;kind=items"' in page
    assert "查看全部任务" in page

    every_item = client.get("/search/", {"q": "社区", "kind": "items"})
    assert len(_found(every_item, "items")) > 5
    assert "返回全部结果" in every_item.content.decode()


def test_an_empty_or_odd_query_is_answered_without_an_error(
    client: Client, world: Checklist, community_one_staff: User
) -> None:
    client.force_login(community_one_staff)
    assert "请输入要查找的内容。" in client.get("/search/").content.decode()
    assert "请输入要查找的内容。" in client.get("/search/", {"q": "   "}).content.decode()
    long = client.get("/search/", {"q": "业" * 500})
    assert long.status_code == 200
    assert client.get("/search/", {"q": "社区", "kind": "secrets"}).status_code == 404
    assert client.get("/search/", {"q": "社区", "kind": "items", "page": "x"}).status_code == 404


def test_search_needs_the_same_queries_however_many_rows_match(
    client: Client, reports: dict[str, ProgressReport], leader: User, world: Checklist
) -> None:
    client.force_login(leader)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/search/", {"q": "社区"}).status_code == 200
        return len(captured)

    before = queries()
    for number in range(6):
        community = Community.objects.create(name=f"新增社区{number}", order=10 + number)
        staff = _person(f"staff{number}", Role.COMMUNITY_STAFF, community=community)
        assignments_generate(checklist=world)
        file_report(world, 8, community, staff)
    client.force_login(leader)
    assert queries() == before
