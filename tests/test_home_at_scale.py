"""The home page, 本月填报 and the report page on generated data (``generate_scale_data``):
each asks the same queries at 3 and at 30 communities, and on PostgreSQL none of their
queries reads the reports, the assignments or the summary rows whole. A community's page
looks up its own rows (``tasks.selectors.fileable_q``), a lead unit's the rows of the items
it leads (``reviewed_q``), a report page tests the one report it shows
(``report_visible_q``)."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.db.models import OuterRef
from django.db.models.expressions import Exists
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dashboards.summaries import summaries_rebuild
from demo.scale_data import scale_data_generate, scale_data_remove
from tasks.models import Assignment, Checklist, Item, ProgressReport
from tasks.selectors import fileable_q, led_items, report_visible_q
from tasks.services import checklist_load_file
from tests.filing import time_travel
from tests.plans import page_full_scans

# The tables that grow with the communities: never read whole.
LARGE_TABLES = ("tasks_progressreport", "tasks_assignment", "assessments_assignmentmonth")
LEAD_UNIT = "syn-u01-1"


@pytest.fixture
def october_10th_2017() -> Iterator[time_machine.Traveller]:
    """September is being filed, and its deadline (Monday 9 October) has passed: the lead
    unit's home page lists parties overdue."""
    with time_travel(2017, 10, 10) as traveller:
        yield traveller


def _quiet(line: str) -> None:
    pass


def _generate(communities: int) -> None:
    """Generated communities, staff, assignments and the reports of July to September
    2017, with the summary rows the home page reads."""
    checklist = Checklist.objects.filter(year=2017).first() or checklist_load_file(
        path=settings.BASE_DIR / "fixtures" / "checklist_2017.yaml"
    )
    scale_data_generate(
        checklist=checklist, communities=communities, through_month=9, seed=1, log=_quiet
    )
    summaries_rebuild(checklist=checklist)


def _shown_report() -> ProgressReport:
    """A community's September report waiting for the lead unit's review, with an August
    report beside it: the report page with everything it may show (its review forms, last
    month's figures)."""
    lead = User.objects.get(username=LEAD_UNIT)
    previous = ProgressReport.objects.filter(assignment=OuterRef("assignment"), year=2017, month=8)
    report = (
        ProgressReport.objects.filter(
            Exists(previous),
            assignment__item__in=Item.objects.reviewable_by(lead),
            assignment__community__isnull=False,
            year=2017,
            month=9,
            workflow_state=ProgressReport.WorkflowState.SUBMITTED,
        )
        .order_by("assignment__community__order", "assignment__item__number")
        .first()
    )
    assert report is not None, "no report waiting for review in the generated data"
    return report


def _pages() -> dict[str, tuple[str, str]]:
    """Each page as each role that uses it: (user name, address)."""
    report = _shown_report()
    staff = User.objects.filter(memberships__community=report.assignment.community).first()
    assert staff is not None
    return {
        "home, community": ("syn-c00001-1", "/"),
        "home, lead unit": (LEAD_UNIT, "/"),
        "home, street admin": ("syn-admin", "/"),
        "home, leader": ("syn-leader", "/"),
        "本月填报, community": ("syn-c00001-1", "/workspace/"),
        "report, lead unit": (LEAD_UNIT, f"/reports/{report.pk}/"),
        "report, street admin": ("syn-admin", f"/reports/{report.pk}/"),
        "report, its community": (staff.username, f"/reports/{report.pk}/"),
    }


def _client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def _query_counts() -> dict[str, int]:
    counts = {}
    for page, (username, address) in _pages().items():
        client = _client(username)
        assert client.get(address).status_code == 200  # the session settles
        with CaptureQueriesContext(connection) as captured:
            assert client.get(address).status_code == 200, page
        counts[page] = len(captured)
    return counts


@pytest.mark.django_db
def test_each_page_asks_the_same_queries_at_3_and_at_30_communities(
    october_10th_2017: object,
) -> None:
    _generate(3)
    few = _query_counts()
    scale_data_remove(log=_quiet)
    _generate(30)
    many = _query_counts()
    assert many == few


@pytest.mark.django_db
def test_the_filters_of_a_user_s_own_rows_find_the_rows_the_querysets_find(
    october_10th_2017: object,
) -> None:
    """The index-friendly filters say what ``fileable_by``, ``reviewable_by`` and
    ``visible_to`` say, for each role."""
    _generate(3)
    for username in ("syn-c00001-1", LEAD_UNIT, "syn-u02-1", "syn-admin", "syn-leader"):
        user = User.objects.get(username=username)
        assert set(Assignment.objects.filter(fileable_q(user))) == set(
            Assignment.objects.fileable_by(user)
        ), username
        assert set(Assignment.objects.filter(item__in=led_items(user))) == set(
            Assignment.objects.reviewable_by(user)
        ), username
        assert set(ProgressReport.objects.filter(report_visible_q(user))) == set(
            ProgressReport.objects.visible_to(user)
        ), username
    # Someone files and reviews something: the comparisons above were not of empty sets.
    community = User.objects.get(username="syn-c00001-1")
    lead = User.objects.get(username=LEAD_UNIT)
    assert Assignment.objects.filter(fileable_q(community)).exists()
    assert Assignment.objects.filter(item__in=led_items(lead)).exists()


@pytest.fixture
def large_district(transactional_db: None) -> None:
    """300 communities: enough rows that PostgreSQL plans as it would for a city (on a few
    thousand rows, reading a table whole is its cheapest plan, whatever the indexes). Made
    by the command, summaries and planner statistics included, each step committed as on
    a server (hence a transactional test)."""
    call_command("generate_scale_data", communities=300, through_month=9, stdout=StringIO())
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum does on a server that has been running


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_no_query_of_the_home_page_the_workspace_or_a_report_scans_a_large_table(
    large_district: None,
) -> None:
    with time_travel(2017, 10, 10):
        for page, (username, address) in _pages().items():
            client = _client(username)
            assert page_full_scans(client, address, LARGE_TABLES) == {}, page
