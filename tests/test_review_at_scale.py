"""The review queue and the item page on a district's worth of generated data
(``generate_scale_data``): the community filter searches instead of listing every
community, the item page comes a page of parties at a time, and on PostgreSQL no query of
either page scans the reports, assignments or summary tables."""

from __future__ import annotations

from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client

from communities.models import Community
from demo.scale_data import scale_data_generate
from tasks.models import Checklist, Item, ProgressReport
from tasks.review_forms import PARTY_CHOICES_LISTED
from tasks.services import checklist_load_file
from tests.plans import page_full_scans

COMMUNITIES = PARTY_CHOICES_LISTED + 5
# The tables that grow with the communities: never read whole.
LARGE_TABLES = ("tasks_progressreport", "tasks_assignment", "assessments_assignmentmonth")


def _generate(communities: int) -> None:
    """``generate_scale_data``'s communities, staff, assignments and reports of July to
    September 2017 (with fresh planner statistics), without its summary rebuild: neither
    page reads the summary tables."""
    checklist = Checklist.objects.filter(year=2017).first() or checklist_load_file(
        path=settings.BASE_DIR / "fixtures" / "checklist_2017.yaml"
    )
    scale_data_generate(
        checklist=checklist, communities=communities, through_month=9, seed=1, log=_quiet
    )


def _quiet(line: str) -> None:
    pass


@pytest.fixture
def district(db: None) -> None:
    """65 generated communities: more than the party select lists."""
    _generate(COMMUNITIES)


@pytest.fixture
def large_district(transactional_db: None) -> None:
    """300 communities: enough rows that PostgreSQL plans as it would for a city (on a few
    thousand rows, reading a table whole is its cheapest plan, whatever the indexes). Made
    by the command, summaries and planner statistics included, each step committed as on
    a server (hence a transactional test)."""
    call_command("generate_scale_data", communities=300, through_month=9, stdout=StringIO())
    # As autovacuum does on a server that has been running: index-only scans then read no
    # table pages, and the planner knows it.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def _login(client: Client, username: str) -> None:
    client.force_login(User.objects.get(username=username))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_no_query_of_the_queue_or_the_item_page_scans_a_large_table(
    client: Client, large_district: None
) -> None:
    item = Item.objects.get(checklist__year=2017, number=8)
    for username in ("syn-u01-1", "syn-admin"):
        _login(client, username)
        for address in (
            "/review/",
            "/review/?state=",
            f"/items/{item.pk}/?period=2017-09",
            f"/items/{item.pk}/?period=2017-09&page=2",
        ):
            assert page_full_scans(client, address, LARGE_TABLES) == {}, (username, address)
    _login(client, "syn-c00001-1")
    assert page_full_scans(client, f"/items/{item.pk}/?period=2017-09", LARGE_TABLES) == {}


def test_the_community_filter_finds_communities_by_name(client: Client, district: None) -> None:
    _login(client, "syn-admin")
    page = client.get("/review/").content.decode()
    # The select lists the units, not 65 communities; a search field finds those.
    assert 'name="community"' in page
    assert page.count('value="community-') == 0
    first, second = Community.objects.filter(code__startswith="SYN-").order_by("code")[:2]

    response = client.get("/review/", {"state": "", "community": first.name})
    assert response.context["form"].cleaned_data["party"] == f"community-{first.pk}"
    assert {row.report.assignment.community for row in response.context["rows"]} == {first}
    assert f'<option value="community-{first.pk}" selected>{first.name}</option>' in (
        response.content.decode()
    )

    # A part shared by several names: each offered as a link that filters by it.
    shared = "居委会"
    response = client.get("/review/", {"state": "", "community": shared})
    links = response.content.decode()
    assert f"party=community-{first.pk}" in links and f"party=community-{second.pk}" in links
    assert "还有更多,请输入更完整的名称。" in links

    response = client.get("/review/", {"state": "", "community": "没有这个社区"})
    assert "没有名称含“没有这个社区”的社区。" in response.content.decode()


def test_the_item_page_shows_fifty_parties_a_page(client: Client, district: None) -> None:
    item = Item.objects.get(checklist__year=2017, number=8)
    _login(client, "syn-admin")
    first = client.get(f"/items/{item.pk}/", {"period": "2017-09"})
    second = client.get(f"/items/{item.pk}/", {"period": "2017-09", "page": "2"})

    parties = item.assignments.count()
    assert len(first.context["rows"]) == 50
    assert len(second.context["rows"]) == parties - 50
    shown = [str(row.assignment.party) for row in [*first.context["rows"], *second.context["rows"]]]
    ordered = list(Community.objects.filter(assignments__item=item).order_by("order", "pk"))
    assert shown[: len(ordered)] == [community.name for community in ordered]
    assert "第 1 / 2 页" in first.content.decode()
    # A state read from the month's reports, on the second page too.
    report = ProgressReport.objects.get(
        assignment=second.context["rows"][0].assignment, year=2017, month=9
    )
    assert second.context["rows"][0].report == report
