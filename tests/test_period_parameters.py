"""Every page that reads a period, a page number or a row's number from its address
answers a hostile value with 404 (``core.periods``), or with the error of the form field
that reads it — never a 500 — and still works with a good value.

``"²".isdigit()`` is True and ``int("²")`` raises: that one used to answer 500 on the
checklist, the dashboard, the matrix and the assessment. An empty value means "not
given": the page's default."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from assessments.models import Scheme
from communities.models import Community
from tasks.models import Checklist
from tests.conftest import assignment_of, frequency_duty
from tests.filing import time_travel

pytestmark = pytest.mark.django_db

# Not whole numbers in ASCII digits: 404 (or the field's error), whatever the parameter.
NOT_NUMBERS = ["²", "٣", "-1", "+3", " 7", "1.5", "abc", "9" * 5000]
HOSTILE_FOR = {
    "year": [*NOT_NUMBERS, "13", "0", "9999999999"],
    "month": [*NOT_NUMBERS, "13", "0", "9999999999"],
    "page": [*NOT_NUMBERS, "0", "13", "9999999999"],  # 13: a page that does not exist
    # A primary key in bounds that names no row is the page's business (the urge page
    # answers 404, the meeting form preselects nothing).
    "assignment": [*NOT_NUMBERS, "0"],
    "duty": [*NOT_NUMBERS, "0"],
    "community": [*NOT_NUMBERS, "0"],
}


@dataclass(frozen=True)
class Objects:
    """The rows the pages' addresses name."""

    item: int
    community: int
    assignment: int
    duty: int


@dataclass(frozen=True)
class Page:
    """A page, the good value of each parameter it reads, and how it answers a bad one:
    ``404`` (``core.periods``), ``form`` (200/400 with the field's error: a GET form reads
    the parameter), ``default`` (the value is ignored and the default shown)."""

    name: str
    path: Callable[[Objects], str]
    good: Callable[[Objects], dict[str, Any]]
    answers: dict[str, str] = field(default_factory=dict)
    user: str = "street_admin"

    def answer(self, parameter: str) -> str:
        return self.answers.get(parameter, "404")


PERIOD = {"year": 2017, "month": 7}
PAGES = [
    Page("checklist", lambda o: "/checklist/", lambda o: {"year": 2017}),
    Page("workspace", lambda o: "/workspace/", lambda o: PERIOD, user="community_one_staff"),
    Page(
        "review",
        lambda o: "/review/",
        lambda o: {**PERIOD, "page": 1},
        answers={"year": "form", "month": "form"},
    ),
    Page(
        "item",
        lambda o: f"/items/{o.item}/",
        lambda o: PERIOD,
        # The item's month picker falls back to the month being filed
        # (test_item_status.py pins it).
        answers={"year": "default", "month": "default"},
    ),
    Page("dashboard", lambda o: "/dashboard/", lambda o: PERIOD),
    Page("matrix", lambda o: "/dashboard/matrix/", lambda o: {**PERIOD, "page": 1}),
    Page("briefing", lambda o: "/dashboard/briefing/", lambda o: PERIOD),
    Page("urge", lambda o: "/dashboard/urge/", lambda o: {"assignment": o.assignment, **PERIOD}),
    Page("ledger_month", lambda o: "/ledger/month/", lambda o: PERIOD),
    Page("ledger_item", lambda o: f"/ledger/items/{o.item}/", lambda o: PERIOD),
    Page("ledger_community", lambda o: f"/ledger/communities/{o.community}/", lambda o: PERIOD),
    Page("ranking", lambda o: "/assessments/", lambda o: PERIOD),
    Page("score_sheet", lambda o: f"/assessments/communities/{o.community}/", lambda o: PERIOD),
    Page("scores_export", lambda o: "/assessments/export/", lambda o: PERIOD),
    Page(
        "meetings",
        lambda o: "/meetings/",
        lambda o: {"month": "2017-07", "duty": o.duty, "community": o.community, "page": 1},
        answers={"month": "form", "duty": "form", "community": "form"},
    ),
    Page("meeting_new", lambda o: "/meetings/new/", lambda o: {"duty": o.duty}),
    Page("community", lambda o: f"/communities/{o.community}/", lambda o: {"year": 2017}),
    Page("inbox", lambda o: "/notifications/", lambda o: {"page": 1}),
    Page(
        "admin_calendar",
        lambda o: "/admin/tasks/calendarday/",
        lambda o: {"year": 2017},
        answers={"year": "default"},
    ),
    Page(
        "admin_meetings",
        lambda o: "/admin/meetings/meeting/",
        lambda o: {"year": 2017},
        answers={"year": "default"},
    ),
]
CASES = [(page, parameter) for page in PAGES for parameter in page.good(Objects(1, 1, 1, 1))]


@pytest.fixture
def august_10th_2017() -> Iterator[time_machine.Traveller]:
    """July's reports are three days late: the urge page has a cell to show."""
    with time_travel(2017, 8, 10) as traveller:
        yield traveller


@pytest.fixture
def objects(world: Checklist, community_one: Community, august_10th_2017: object) -> Objects:
    Scheme.objects.create(checklist=world, total_points=600)
    return Objects(
        item=world.items.get(number=8).pk,
        community=community_one.pk,
        assignment=assignment_of(world, 8, community_one).pk,
        duty=frequency_duty(world, 14).pk,
    )


def _client(request: pytest.FixtureRequest, page: Page) -> Client:
    user: User = request.getfixturevalue(page.user)
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_the_page_works_with_good_values(
    request: pytest.FixtureRequest, objects: Objects, page: Page
) -> None:
    client = _client(request, page)
    response = client.get(page.path(objects), page.good(objects))
    assert response.status_code == 200, response.content[:300]


@pytest.mark.parametrize(
    ("page", "parameter"), CASES, ids=[f"{page.name}-{parameter}" for page, parameter in CASES]
)
def test_a_hostile_value_is_refused_not_a_server_error(
    request: pytest.FixtureRequest, objects: Objects, page: Page, parameter: str
) -> None:
    client = _client(request, page)
    good = page.good(objects)
    path = page.path(objects)
    answer = page.answer(parameter)
    default = client.get(path, {**good, parameter: ""}) if answer == "default" else None
    for value in HOSTILE_FOR[parameter]:
        response = client.get(path, {**good, parameter: value})
        if answer == "404":
            assert response.status_code == 404, (value, response.status_code)
        elif answer == "form":
            assert response.status_code in (200, 400), (value, response.status_code)
            assert parameter in response.context["form"].errors, value
        else:
            assert response.status_code == 200, (value, response.status_code)
            assert default is not None
            if response.context is not None and "year" in response.context:
                shown = (response.context["year"], response.context["month"])
                assert shown == (default.context["year"], default.context["month"]), value


OPTIONAL = [(page, parameter) for page, parameter in CASES if page.name != "urge"]


@pytest.mark.parametrize(
    ("page", "parameter"),
    OPTIONAL,
    ids=[f"{page.name}-{parameter}" for page, parameter in OPTIONAL],
)
def test_an_empty_value_means_not_given(
    request: pytest.FixtureRequest, objects: Objects, page: Page, parameter: str
) -> None:
    client = _client(request, page)
    response = client.get(page.path(objects), {**page.good(objects), parameter: ""})
    assert response.status_code == 200, response.content[:300]


def test_the_urge_page_needs_its_cell_and_month(
    client: Client, objects: Objects, street_admin: User
) -> None:
    client.force_login(street_admin)
    for missing in ("assignment", "year", "month"):
        query: dict[str, int | str] = {"assignment": objects.assignment, **PERIOD, missing: ""}
        assert client.get("/dashboard/urge/", query).status_code == 404


def test_a_page_beyond_the_last_is_not_found(
    client: Client, objects: Objects, street_admin: User
) -> None:
    client.force_login(street_admin)
    assert client.get("/review/", {"page": 2}).status_code == 404
    assert client.get("/notifications/", {"page": 1}).status_code == 200
