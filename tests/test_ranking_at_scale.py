"""The ranking and the score sheets on generated data (``generate_scale_data``): the same
queries for one community as for eight, with every kind of criterion in the scheme; and
the lead units' review record added up by PostgreSQL exactly as the Python rule adds it
up."""

from __future__ import annotations

from collections import defaultdict
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.models import Criterion, ManualScore, Scheme
from assessments.scoring import ReviewRecord, _review_figures_in_python, review_records
from assessments.scoring import scheme_default as default_scheme
from communities.models import Community
from tasks.models import Checklist, ItemLeadUnit, Target
from tests.filing import time_travel
from tests.plans import full_scans


def _generate(communities: int, *, replace: bool = False) -> None:
    call_command(
        "generate_scale_data",
        communities=communities,
        through_month=7,
        replace=replace,
        stdout=StringIO(),
    )


def _scheme_with_every_kind_of_criterion() -> Scheme:
    """The default scheme (one criterion per item), plus a pillar, a meeting duty scored
    in bands and a criterion scored by hand (the first community's entered)."""
    checklist = Checklist.objects.get(year=2017)
    scheme = default_scheme(checklist=checklist)
    duty = Target.objects.filter(item__checklist=checklist, kind=Target.Kind.FREQUENCY).first()
    assert duty is not None
    extra = [
        Criterion(
            scheme=scheme, order=90, title="宜居·共建", points=20, pillar=checklist.pillars.first()
        ),
        Criterion(
            scheme=scheme,
            order=91,
            title="例会",
            points=20,
            target=duty,
            rule=Criterion.Rule.BANDS,
            bands=[[100, 100], [50, 50]],
        ),
        Criterion(
            scheme=scheme, order=92, title="群众满意度", points=20, rule=Criterion.Rule.MANUAL
        ),
    ]
    Criterion.objects.bulk_create(extra)
    return scheme


def _score_by_hand(scheme: Scheme) -> None:
    community = Community.objects.filter(code__startswith="SYN-").order_by("code").first()
    assert community is not None
    manual = scheme.criteria.get(rule=Criterion.Rule.MANUAL)
    ManualScore.objects.create(criterion=manual, community=community, points=15)


def _queries(client: Client, address: str) -> tuple[int, str]:
    with time_travel(2017, 8, 20), CaptureQueriesContext(connection) as captured:
        response = client.get(address)
    assert response.status_code == 200
    return len(captured), response.content.decode()


@pytest.mark.django_db
def test_the_ranking_and_a_score_sheet_cost_the_same_queries_for_one_community_as_for_eight(
    client: Client,
) -> None:
    _generate(1)
    scheme = _scheme_with_every_kind_of_criterion()
    _score_by_hand(scheme)

    def both() -> tuple[int, int, str]:
        client.force_login(User.objects.get(username="syn-admin"))
        first = Community.objects.filter(code__startswith="SYN-").order_by("code").first()
        assert first is not None
        ranking, page = _queries(client, "/assessments/?year=2017&month=7")
        sheet, _ = _queries(client, f"/assessments/communities/{first.pk}/?year=2017&month=7")
        return ranking, sheet, page

    one_ranking, one_sheet, _ = both()
    _generate(8, replace=True)
    _score_by_hand(scheme)
    eight_ranking, eight_sheet, page = both()

    # The ranking: the session, the user and their permissions (4), the checklist, the
    # scheme, the publication, the criteria; the scored reports (the latest approved per
    # assignment and the accepted exceptions from the summary rows, then those reports
    # and their figures: 4); the meetings judged (3); the manual scores, the assignments,
    # the targets, the pillars' items, the communities, the adjustments; the criteria
    # listed, the period picker, the lead units and their review figures, the
    # publications; the header (3).
    assert eight_ranking == one_ranking
    assert eight_sheet == one_sheet
    assert one_ranking <= 33
    assert page.count('href="/assessments/communities/') == 8


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL adds it up")
@pytest.mark.django_db
def test_the_review_record_adds_up_in_postgresql_as_in_python() -> None:
    _generate(8)
    checklist = Checklist.objects.get(year=2017)
    with time_travel(2017, 8, 20):
        now = timezone.now()
        in_sql = review_records(checklist, now=now)
    units: dict[int, ReviewRecord] = {}
    leads: dict[int, list[int]] = defaultdict(list)
    for link in ItemLeadUnit.objects.filter(item__checklist=checklist).select_related("unit"):
        units.setdefault(link.unit_id, ReviewRecord(unit=link.unit))
        leads[link.item_id].append(link.unit_id)
    _review_figures_in_python(checklist, units, leads, now)
    in_python = sorted(units.values(), key=lambda record: (record.unit.order, record.unit.name))
    assert in_sql == in_python
    assert sum(record.reviewed for record in in_sql) > 0
    assert sum(record.waiting for record in in_sql) > 0


def _ranking_addresses(first: Community) -> list[tuple[str, str]]:
    """(user, address) of the ranking's pages and a score sheet, as each role reads them."""
    june = "year=2017&month=6"
    sheet = f"/assessments/communities/{first.pk}/?{june}"
    return [
        ("syn-admin", f"/assessments/?{june}"),
        ("syn-admin", f"/assessments/?{june}&page=2"),
        ("syn-admin", f"/assessments/?{june}&find={first.name}"),
        ("syn-leader", f"/assessments/?{june}"),
        ("syn-admin", sheet),
        ("syn-leader", sheet),
        ("syn-c00001-1", sheet),
    ]


def _read_twice(client: Client, username: str, address: str) -> tuple[int, str]:
    """The second reading's queries: the first computes the month's stored scores."""
    client.force_login(User.objects.get(username=username))
    with time_travel(2017, 8, 20):
        assert client.get(address).status_code == 200
    return _queries(client, address)


@pytest.mark.django_db
def test_the_ranking_pages_and_the_score_sheet_cost_the_same_queries_for_3_as_for_30(
    client: Client,
) -> None:
    _generate(3)
    scheme = _scheme_with_every_kind_of_criterion()
    _score_by_hand(scheme)
    first = Community.objects.filter(code__startswith="SYN-").order_by("code").first()
    assert first is not None
    few = [_read_twice(client, user, address)[0] for user, address in _ranking_addresses(first)]
    _generate(30, replace=True)
    _score_by_hand(scheme)
    first = Community.objects.filter(code__startswith="SYN-").order_by("code").first()
    assert first is not None
    read = [_read_twice(client, user, address) for user, address in _ranking_addresses(first)]
    assert [queries for queries, _page in read] == few
    # Thirty fit on the first page of fifty; the sheet shows its lines.
    assert read[0][1].count('href="/assessments/communities/') == 30
    assert "data-earned>" in read[4][1]


@pytest.fixture
def large_district(transactional_db: None) -> None:
    """300 communities (``test_review_at_scale``'s): enough rows that PostgreSQL plans as
    it would for a city, with planner statistics as on a server that has been running."""
    _generate(300)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# The tables that grow with the communities and the months: never read whole.
LARGE_TABLES = ("tasks_progressreport", "tasks_assignment", "assessments_assignmentmonth")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_no_query_of_the_ranking_or_a_score_sheet_scans_a_large_table(
    client: Client, large_district: None
) -> None:
    scheme = _scheme_with_every_kind_of_criterion()
    _score_by_hand(scheme)
    first = Community.objects.filter(code__startswith="SYN-").order_by("code").first()
    assert first is not None
    for username, address in _ranking_addresses(first):
        client.force_login(User.objects.get(username=username))
        with time_travel(2017, 8, 20):
            assert client.get(address).status_code == 200  # computes the stored scores
            with CaptureQueriesContext(connection) as captured:
                assert client.get(address).status_code == 200
        assert full_scans(captured.captured_queries, LARGE_TABLES) == {}, (username, address)
