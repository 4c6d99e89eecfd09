"""The dashboard and the briefing on a district's worth of generated data
(``generate_scale_data``, 300 communities): on PostgreSQL no query of either page, its
figures computed afresh (no cached figure), reads the reports, the assignments or the
summary rows whole, as street admin or as leader; and the figures they show are those of
the summary rows counted from scratch."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from dashboards.dashboard import Figures, month_aggregates
from dashboards.figure_version import figures_changed
from dashboards.models import AssignmentMonth, PartyMonth
from dashboards.summaries import _item_months_differences
from tasks.models import Checklist
from tests.plans import page_full_scans

from .test_review_at_scale import _login

# The tables that grow with the communities: never read whole.
LARGE_TABLES = (
    "tasks_progressreport",
    "tasks_assignment",
    "assessments_assignmentmonth",
    "assessments_partymonth",
)
PAGES = ("/dashboard/?year=2017&month=9", "/dashboard/briefing/?year=2017&month=9")


@pytest.fixture
def large_district(transactional_db: None) -> None:
    """300 communities, summaries and planner statistics included, each step committed as
    on a server; then VACUUM ANALYZE, as autovacuum does on a server that has been running."""
    call_command("generate_scale_data", communities=300, through_month=9, stdout=StringIO())
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_no_query_of_the_dashboard_or_the_briefing_scans_a_large_table(
    client: Client, large_district: None
) -> None:
    for username in ("syn-admin", "syn-leader"):
        _login(client, username)
        for address in PAGES:
            figures_changed()  # the figures computed afresh: every query of the page runs
            assert page_full_scans(client, address, LARGE_TABLES) == {}, (username, address)

    # The month's figures, read from the items' months, are the cells counted afresh.
    checklist = Checklist.objects.get(year=2017)
    today = timezone.localdate()
    board = client.get(PAGES[0]).context["board"]
    counted = Figures.of(
        AssignmentMonth.objects.filter(year=2017, month=9).aggregate(**month_aggregates(today))
    )
    assert board.figures == counted
    assert board.late_count == counted.overdue + counted.late_filed
    assert len(board.late) == min(50, board.late_count)
    parties = PartyMonth.objects.filter(year=2017, month=9, expected__gt=0)
    assert board.party_count == parties.count()
    # The items' months agree with the cells (the cells with the reports: ``--check``).
    assert _item_months_differences(checklist) == []
