"""The meetings list, a community's page and the month ledger on generated data
(``generate_scale_data``): the same queries for 3 communities as for 30; the office's
compliance table a page of communities at a time, with a name search instead of a select
of every community; and on PostgreSQL no query of these pages reads the reports,
assignments, summary or meetings tables whole."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from communities.models import Community
from meetings.compliance import COMPLIANCE_ROWS_PER_PAGE
from meetings.models import Meeting
from meetings.views import COMMUNITIES_LISTED
from tests.plans import page_full_scans

# The tables that grow with the communities: never read whole.
LARGE_TABLES = (
    "tasks_progressreport",
    "tasks_assignment",
    "tasks_targetvalue",
    "assessments_assignmentmonth",
    "dashboards_assignmentmonth",
    "meetings_meeting",
)
SEPTEMBER = "2017-09"


def _generate(communities: int) -> None:
    call_command(
        "generate_scale_data",
        communities=communities,
        through_month=9,
        replace=True,
        stdout=StringIO(),
    )


def _client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def _first_community() -> Community:
    return Community.objects.filter(code__startswith="SYN-").order_by("order", "pk").first()  # type: ignore[return-value]


def _pages() -> list[tuple[str, str]]:
    """(user, address) of every page this file measures, as each role opens it."""
    community = _first_community()
    return [
        ("syn-admin", f"/meetings/?month={SEPTEMBER}"),
        ("syn-admin", "/meetings/"),
        ("syn-c00001-1", f"/meetings/?month={SEPTEMBER}"),
        ("syn-admin", f"/communities/{community.pk}/?year=2017"),
        ("syn-c00001-1", f"/communities/{community.pk}/?year=2017"),
        ("syn-u01-1", f"/communities/{community.pk}/?year=2017"),
        ("syn-c00001-1", "/ledger/month/?year=2017&month=9"),
        ("syn-c00001-1", "/ledger/month/?year=2017&month=6"),
    ]


def _queries(pages: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    counted = {}
    for username, address in pages:
        client = _client(username)
        assert client.get(address).status_code == 200  # warm: the session's first write
        with CaptureQueriesContext(connection) as captured:
            assert client.get(address).status_code == 200, (username, address)
        counted[username, address.split("/")[1]] = len(captured)
    return counted


@pytest.mark.django_db
def test_meetings_community_page_and_ledger_need_the_same_queries_for_3_or_30_communities() -> None:
    _generate(3)
    few = _queries(_pages())
    _generate(30)
    many = _queries(_pages())
    assert many == few
    # The pages did show the data: the office's table has a row per community and the
    # street's, the community's page its months.
    response = _client("syn-admin").get("/meetings/", {"month": SEPTEMBER})
    assert len(response.context["compliance"].rows) == 31
    assert response.context["page"].paginator.count == Meeting.objects.for_month(2017, 9).count()


@pytest.mark.django_db
def test_the_office_table_comes_a_page_of_communities_at_a_time_found_by_name() -> None:
    _generate(COMMUNITIES_LISTED + 5)
    communities = list(
        Community.objects.filter(code__startswith="SYN-").order_by("order", "name", "pk")
    )
    admin = _client("syn-admin")

    first = admin.get("/meetings/", {"month": SEPTEMBER})
    table = first.context["compliance"]
    assert [row.community for row in table.rows] == communities[:COMPLIANCE_ROWS_PER_PAGE]
    page = first.content.decode()
    assert "本页共" in page and "第 1 / 2 页" in page
    # The filter lists the street, not 65 communities; a search field finds them.
    assert 'name="name"' in page
    assert page.count("<option") < COMMUNITIES_LISTED

    second = admin.get("/meetings/", {"month": SEPTEMBER, "rows": "2"})
    rows = second.context["compliance"].rows
    assert [row.community for row in rows[:-1]] == communities[COMPLIANCE_ROWS_PER_PAGE:]
    assert rows[-1].community is None and rows[-1].label == "街道"  # the street, last
    assert admin.get("/meetings/", {"month": SEPTEMBER, "rows": "3"}).status_code == 404

    # A name narrows the table and the meetings to the communities it names.
    chosen = communities[7]
    named = admin.get("/meetings/", {"month": SEPTEMBER, "name": chosen.name})
    assert [row.community for row in named.context["compliance"].rows] == [
        c for c in communities if chosen.name in c.name
    ]
    listed = named.context["page"].object_list
    assert listed and {meeting.community for meeting in listed} <= set(communities)
    assert all(chosen.name in meeting.community.name for meeting in listed)
    nothing = admin.get("/meetings/", {"month": SEPTEMBER, "name": "没有这个社区"})
    assert "没有名称含“没有这个社区”的社区。" in nothing.content.decode()

    # A community chosen from a link still filters, and shows in the select.
    one = admin.get("/meetings/", {"month": SEPTEMBER, "community": str(chosen.pk)})
    assert {meeting.community for meeting in one.context["page"].object_list} == {chosen}
    assert f'<option value="{chosen.pk}" selected>{chosen.name}</option>' in (one.content.decode())


@pytest.fixture
def large_district(transactional_db: None) -> None:
    """300 communities: enough rows that PostgreSQL plans as it would for a city (on a few
    thousand rows, reading a table whole is its cheapest plan, whatever the indexes), each
    step committed as on a server, then vacuumed as autovacuum would."""
    call_command("generate_scale_data", communities=300, through_month=9, stdout=StringIO())
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_no_query_of_the_meetings_list_community_page_or_ledger_scans_a_large_table(
    large_district: None,
) -> None:
    pages = _pages()
    community = _first_community()
    pages += [
        ("syn-admin", f"/meetings/?month={SEPTEMBER}&rows=2"),
        ("syn-admin", f"/meetings/?month={SEPTEMBER}&name={community.name}"),
        ("syn-u01-1", f"/meetings/?month={SEPTEMBER}"),
        ("syn-u01-1", "/ledger/month/?year=2017&month=9"),
    ]
    for username, address in pages:
        client = _client(username)
        assert page_full_scans(client, address, LARGE_TABLES) == {}, (username, address)
