"""Every list of the API needs the same number of queries however many rows the street
holds: measured with the two communities of the test world and three reports each, then
with four more communities and their reports (a page is still 50 rows at most)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from communities.models import Community
from communities.roles import Role
from tasks.models import Checklist
from tasks.services import assignments_generate
from tests.api import token_client
from tests.conftest import _person
from tests.filing import file_item_report

ITEMS = (1, 3, 8, 9)  # item 3 is a frequency target judged from the meeting register

# Each list, with the most queries it may take for any role. The requests all begin with
# the token and its user (1), the user's permissions and its groups' (1: once, for every
# rule asked in the request). Then:
LISTS = {
    # the count, the page's reports (with assignment, item, checklist, pillar and party),
    # their targets and values (2 prefetches); the registers' figures of the page (the
    # meeting register's, for item 3's frequency target: 1)
    "/api/v1/reports/?year=2017&month=7": 7,
    # the dashboards' reach (the items a unit leads: 1 for lead-unit staff), the count, the
    # page
    "/api/v1/assignments/?year=2017": 5,
    "/api/v1/summaries/assignment-months/?year=2017&month=7": 5,
    "/api/v1/summaries/party-months/?year=2017&month=7": 5,
    # the count, the page, its lead units and targets, responsible units (3 prefetches)
    "/api/v1/items/?year=2017": 7,
}


@pytest.fixture
def filed(world: Checklist, community_one: Community, community_one_staff: User) -> None:
    for number in ITEMS:
        file_item_report(world, number, community_one, community_one_staff)


def _grow(world: Checklist, count: int) -> Iterator[tuple[Community, User]]:
    for number in range(count):
        community = Community.objects.create(name=f"新增社区{number}", order=10 + number)
        yield community, _person(f"staff{number}", Role.COMMUNITY_STAFF, community=community)


def _queries(user: User, url: str) -> int:
    client = token_client(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    assert response.json()["results"], url
    return len(captured)


@pytest.mark.parametrize("role", ["community_one_staff", "housing_staff", "street_admin"])
def test_each_list_needs_the_same_queries_for_any_number_of_communities(
    request: pytest.FixtureRequest,
    world: Checklist,
    filed: None,
    housing_staff: User,
    street_admin: User,
    role: str,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    august_3rd_2017: Any,
) -> None:
    user = request.getfixturevalue(role)
    small = {url: _queries(user, url) for url in LISTS}

    extra = list(_grow(world, 4))
    assignments_generate(checklist=world)
    for community, staff in extra:
        for number in ITEMS:
            file_item_report(world, number, community, staff)
    large = {url: _queries(user, url) for url in LISTS}

    assert large == small
    client = token_client(user)
    for url, most in LISTS.items():
        with django_assert_max_num_queries(most):
            client.get(url)
