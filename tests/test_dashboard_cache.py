"""The dashboard's parts are rendered once per version of what they show and then served
from the cache (``dashboards.views.dashboard``): a page of cached parts reads two rows, and
no part is ever stale — an urge, its acknowledgement, a reminder sent, a new staff account
or an archived year shows at the next request, and one viewer never sees a part rendered
for another viewer's reach.

Community one's July report on item 8 (led by 房管所) is due on Monday 7 August 2017; on
Thursday 10 August it is three days late."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from communities.models import Community
from communities.roles import Role
from dashboards.models import UrgeNotice
from dashboards.services import urge_acknowledge, urge_send
from tasks.models import Checklist
from tasks.services import checklist_archive
from tests.conftest import _person, assignment_of
from tests.filing import time_travel
from tests.reminders import at, run_reminders

pytestmark = pytest.mark.django_db

JULY = "/dashboard/?year=2017&month=7"


@pytest.fixture
def august_10th_2017() -> Iterator[time_machine.Traveller]:
    with time_travel(2017, 8, 10) as traveller:
        yield traveller


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _late_section(client: Client) -> str:
    response = client.get(JULY)
    assert response.status_code == 200
    page = response.content.decode()
    found = re.search(r'<section id="late">.*?</section>', page, re.S)
    assert found, "the late list is on the dashboard"
    return found[0]


def _row_of(section: str, party: str, item_number: int) -> str:
    """The late list's row of ``party``'s cell of ``item_number``."""
    for row in re.findall(r'<tr class="late-row">.*?</tr>', section, re.S):
        if f"<td>{party}</td>" in row and f">{item_number}</a>" in row:
            return str(row)
    raise AssertionError(f"{party} item {item_number} is not in the late list")


def test_a_page_of_cached_parts_reads_the_checklist_and_the_month_only(
    world: Checklist,
    street_admin: User,
    august_10th_2017: time_machine.Traveller,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    admin = _client(street_admin)
    first = _without_tokens(admin.get(JULY).content.decode())
    with django_assert_max_num_queries(2):
        again = _without_tokens(admin.get(JULY).content.decode())
    assert again == first


def _without_tokens(page: str) -> str:
    """The page without its CSRF tokens (masked afresh on every response)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


def test_an_urge_and_its_acknowledgement_show_in_the_late_list_at_the_next_request(
    world: Checklist,
    community_one: Community,
    street_admin: User,
    community_one_staff: User,
    august_10th_2017: time_machine.Traveller,
) -> None:
    admin = _client(street_admin)
    cell = assignment_of(world, 8, community_one)
    before = _row_of(_late_section(admin), "示例社区一", 8)
    assert "已催办" not in before
    assert "urge-link" in before  # the street admin may urge it

    urge = urge_send(assignment=cell, year=2017, month=7, by=street_admin)
    assert "已催办 · 未确认" in _row_of(_late_section(admin), "示例社区一", 8)

    urge_acknowledge(urge=urge, by=community_one_staff)
    assert "已催办 · 已确认" in _row_of(_late_section(admin), "示例社区一", 8)

    UrgeNotice.objects.filter(pk=urge.pk).get().delete()  # removed in the admin
    assert "已催办" not in _row_of(_late_section(admin), "示例社区一", 8)


def test_the_reminders_sent_show_in_the_late_list_at_the_next_request(
    world: Checklist,
    community_one: Community,
    street_admin: User,
    community_one_staff: User,
    august_10th_2017: time_machine.Traveller,
) -> None:
    admin = _client(street_admin)
    assert "无" in _row_of(_late_section(admin), "示例社区一", 8)  # no reminder yet

    run_reminders(at(2017, 8, 10, 9))  # the overdue reminders go out in digests

    row = _row_of(_late_section(admin), "示例社区一", 8)
    assert re.search(r"\d+ 次", row), row


def test_each_viewer_sees_the_late_list_for_their_own_reach(
    world: Checklist,
    community_one: Community,
    street_admin: User,
    leader: User,
    housing_staff: User,
    august_10th_2017: time_machine.Traveller,
) -> None:
    # The street admin's page fills the cache first; leadership read it and urge nothing,
    # 房管所 urges only the items it leads.
    assert "urge-link" in _row_of(_late_section(_client(street_admin)), "示例社区一", 8)
    assert "urge-link" not in _late_section(_client(leader))
    housing = _late_section(_client(housing_staff))
    assert "urge-link" in _row_of(housing, "示例社区一", 8)  # 房管所 leads item 8
    assert "urge-link" not in _row_of(housing, "示例社区一", 1)  # 社区党建办 leads item 1


def test_an_archived_year_offers_no_urge_at_the_next_request(
    world: Checklist, street_admin: User, august_10th_2017: time_machine.Traveller
) -> None:
    admin = _client(street_admin)
    assert "urge-link" in _late_section(admin)
    checklist_archive(checklist=world, by=street_admin)
    assert "urge-link" not in _late_section(admin)


def test_a_party_given_its_first_staff_account_leaves_the_unreminded_list_at_once(
    world: Checklist, community_one: Community, street_admin: User
) -> None:
    admin = _client(street_admin)
    with time_travel(2017, 8, 10):
        page = admin.get(JULY).content.decode()
        assert "示例社区一" in re.search(r'<section id="unreminded">.*?</section>', page, re.S)[0]  # type: ignore[index]

        _person("newcomer", Role.COMMUNITY_STAFF, community=community_one)

        page = admin.get(JULY).content.decode()
    unreminded = re.search(r'<section id="unreminded">.*?</section>', page, re.S)
    assert unreminded is None or "示例社区一" not in unreminded[0]
