"""Every page opens where the work is (``tasks.periods``): on the latest checklist that is
not archived (the latest with data when all are), on a month owed that has data for the
reading pages and on the month being filed for 本月填报 — never on a year without a
checklist. The year and month are chosen with one select of the months owed."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from assessments.models import Scheme
from communities.models import Community
from tasks.models import Checklist
from tasks.periods import opening_period
from tasks.services import checklist_roll_over
from tests.conftest import assignment_of
from tests.filing import file_report, time_travel

pytestmark = pytest.mark.django_db

DECEMBER_2026 = (2026, 12, 1)


@pytest.fixture
def filed_to_september(
    world: Checklist, community_one: Community, community_one_staff: User
) -> Checklist:
    """Item 8's reports of July to September 2017 submitted, each in time; October to
    December never filed (the demo's story: the year stopped being filed)."""
    assignment = assignment_of(world, 8, community_one)
    for month in (7, 8, 9):
        with time_travel(2017, month + 1, 3):
            file_report(assignment, community_one_staff, month=month, submit=True)
    Scheme.objects.create(checklist=world, total_points=600)
    return world


@pytest.fixture
def in_december_2026() -> Iterator[time_machine.Traveller]:
    with time_travel(*DECEMBER_2026) as traveller:
        yield traveller


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _picked(response: object) -> str:
    """The period the page's picker shows selected, as the page draws it."""
    page = response.content.decode()  # type: ignore[attr-defined]
    select = re.search(r'<select name="period" id="period">(.*?)</select>', page, re.S)
    assert select is not None, "the page has a period picker"
    (selected,) = re.findall(r'<option value="([0-9-]+)" selected>', select.group(1))
    return selected


# The reading pages: (name, path, who).
READING_PAGES = [
    ("dashboard", lambda c: "/dashboard/", "street_admin"),
    ("matrix", lambda c: "/dashboard/matrix/", "street_admin"),
    ("briefing", lambda c: "/dashboard/briefing/", "leader"),
    ("ranking", lambda c: "/assessments/", "street_admin"),
    ("score_sheet", lambda c: f"/assessments/communities/{c.pk}/", "street_admin"),
    ("community", lambda c: f"/communities/{c.pk}/", "street_admin"),
]


@pytest.mark.parametrize(
    ("name", "path", "who"), READING_PAGES, ids=[page[0] for page in READING_PAGES]
)
def test_in_2026_a_reading_page_opens_on_the_last_2017_month_with_reports(
    request: pytest.FixtureRequest,
    filed_to_september: Checklist,
    community_one: Community,
    in_december_2026: object,
    name: str,
    path: object,
    who: str,
) -> None:
    client = _client(request.getfixturevalue(who))
    response = client.get(path(community_one))  # type: ignore[operator]
    assert response.status_code == 200
    # September 2017: the last month owed with reports, not December (0.0 %) nor 2026.
    assert _picked(response) == "2017-09"


def test_in_2026_the_dashboard_shows_september_2017_figures(
    filed_to_september: Checklist, street_admin: User, in_december_2026: object
) -> None:
    response = _client(street_admin).get("/dashboard/")
    board = response.context["board"]
    assert (board.year, board.month) == (2017, 9)
    assert board.figures.received == 1
    assert "2017年9月完成情况" in response.content.decode()


def test_in_2026_the_item_page_opens_on_a_2017_month_with_reports(
    filed_to_september: Checklist, street_admin: User, in_december_2026: object
) -> None:
    item = filed_to_september.items.get(number=8)
    response = _client(street_admin).get(f"/items/{item.pk}/")
    assert (response.context["year"], response.context["month"]) == (2017, 9)
    assert _picked(response) == "2017-09"


def test_in_2026_the_meetings_list_opens_on_2017_not_december_2026(
    filed_to_september: Checklist, street_admin: User, in_december_2026: object
) -> None:
    response = _client(street_admin).get("/meetings/")
    assert (response.context["year"], response.context["month"]) == (2017, 9)
    page = response.content.decode()
    assert '<option value="2017-09" selected>' in page
    assert "2026" not in re.search(r"<select[^>]*name=\"month\".*?</select>", page, re.S).group(0)  # type: ignore[union-attr]


def test_in_2026_the_workspace_opens_on_the_month_being_filed_of_2017(
    filed_to_september: Checklist, community_one_staff: User, in_december_2026: object
) -> None:
    """本月填报 is where the work is: December 2017, the month being filed of the checklist
    still in use, not September (already filed) nor a month of 2026."""
    response = _client(community_one_staff).get("/workspace/")
    assert (response.context["year"], response.context["month"]) == (2017, 12)
    assert _picked(response) == "2017-12"


def test_in_2026_the_month_ledger_is_of_a_2017_month_with_reports(
    filed_to_september: Checklist, street_admin: User, in_december_2026: object
) -> None:
    response = _client(street_admin).get("/ledger/month/")
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert "2017" in disposition and "2026" not in disposition


def test_the_picker_lists_only_the_months_owed_and_is_labelled(
    filed_to_september: Checklist, street_admin: User, in_december_2026: object
) -> None:
    page = _client(street_admin).get("/dashboard/").content.decode()
    # The demo checklist takes effect on 28 June 2017: July to December are owed.
    assert re.findall(r'<option value="([0-9-]+)"', page) == [
        f"2017-{month:02d}" for month in range(7, 13)
    ]
    assert '<label for="period">' in page
    assert '<select name="period" id="period">' in page
    assert 'type="number"' not in page
    assert "<optgroup" not in page  # one checklist: no year groups


def test_a_chosen_period_and_the_old_links_both_open_their_month(
    filed_to_september: Checklist, street_admin: User, in_december_2026: object
) -> None:
    client = _client(street_admin)
    assert _picked(client.get("/dashboard/", {"period": "2017-08"})) == "2017-08"
    assert _picked(client.get("/dashboard/", {"year": 2017, "month": 7})) == "2017-07"
    matrix = client.get("/dashboard/matrix/", {"period": "2017-08", "parties": "units"})
    assert matrix.context["showing_units"]
    assert '<input type="hidden" name="parties" value="units">' in matrix.content.decode()


@pytest.mark.parametrize("value", ["2017-7", "2017", "17-07", "2017-13", "²017-07", "2017-07-01"])
def test_a_bad_period_is_404(
    filed_to_september: Checklist, street_admin: User, in_december_2026: object, value: str
) -> None:
    assert _client(street_admin).get("/dashboard/", {"period": value}).status_code == 404


def test_the_review_queue_filters_by_one_period_select(
    filed_to_september: Checklist, street_admin: User, in_december_2026: object
) -> None:
    client = _client(street_admin)
    response = client.get("/review/", {"period": "2017-08"})
    assert {row.report.month for row in response.context["rows"]} == {8}
    page = response.content.decode()
    assert '<option value="2017-08" selected>' in page
    assert 'name="year"' not in page and 'name="month"' not in page
    # A link's ?year=&month= still filters, and shows as its period.
    linked = client.get("/review/", {"year": 2017, "month": 9})
    assert {row.report.month for row in linked.context["rows"]} == {9}
    assert '<option value="2017-09" selected>' in linked.content.decode()


# Several checklists.


@pytest.fixture
def year_2018(filed_to_september: Checklist, street_admin: User) -> Checklist:
    """2018 rolled over from 2017 (which is archived) and put in use."""
    with time_travel(2017, 12, 28):
        checklist = checklist_roll_over(source=filed_to_september, year=2018, by=street_admin)
    Checklist.objects.filter(pk=checklist.pk).update(status=Checklist.Status.ACTIVE)
    return Checklist.objects.get(pk=checklist.pk)


def test_with_2017_archived_and_2018_in_use_pages_open_on_2018(
    year_2018: Checklist, street_admin: User, in_december_2026: object
) -> None:
    assert Checklist.objects.get(year=2017).status == Checklist.Status.ARCHIVED
    assert opening_period(datetime.date(*DECEMBER_2026)) == (2018, 12)
    client = _client(street_admin)
    response = client.get("/dashboard/")
    assert _picked(response) == "2018-12"
    page = response.content.decode()
    # grouped by year, newest first; each year lists its months owed
    assert re.findall(r'<optgroup label="([^"]+)"', page) == ["2018年", "2017年"]
    assert client.get("/meetings/").context["year"] == 2018


def test_in_january_the_checklist_still_in_use_holds_the_month_being_filed(
    year_2018: Checklist,
) -> None:
    Checklist.objects.filter(year=2017).update(status=Checklist.Status.ACTIVE)
    assert opening_period(datetime.date(2018, 1, 3), filing_page=True) == (2017, 12)
    # once 2017 is archived, 2018 is where the work is
    Checklist.objects.filter(year=2017).update(status=Checklist.Status.ARCHIVED)
    assert opening_period(datetime.date(2018, 1, 3), filing_page=True) == (2018, 1)


def test_with_every_checklist_archived_pages_open_on_the_latest_with_data(
    year_2018: Checklist, street_admin: User, in_december_2026: object
) -> None:
    Checklist.objects.filter(year=2018).update(status=Checklist.Status.ARCHIVED)
    assert opening_period(datetime.date(*DECEMBER_2026)) == (2017, 9)
    assert _picked(_client(street_admin).get("/dashboard/")) == "2017-09"
