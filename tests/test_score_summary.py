"""The stored scores (``assessments.summary``): after each thing that moves a score (a
report filed, approved, returned or reopened, an adjustment, a manual score) the stored
rows equal a computation from scratch, and the pages read them; the ranking comes fifty
communities a page, and a community's place is found by its name."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation

from assessments.models import CommunityScore, Criterion, ManualScore, Scheme, ScoreAdjustment
from assessments.scoring import as_of, score_sheets
from assessments.summary import scores_differences, scores_rebuild
from communities.models import Community
from dashboards.consistency import disagreements
from tasks.models import Checklist
from tasks.services import (
    progress_report_approve,
    progress_report_reopen,
    progress_report_return,
)
from tests.filing import file_report, time_travel

from . import test_assessment_scores as hand_worked
from .conftest import assignment_of

MONTH = 7
scheme = hand_worked.scheme  # the fixture: the hand-worked July of 2017


def _stored(scheme: Scheme, month: int = MONTH) -> dict[str, Decimal]:
    rows = CommunityScore.objects.filter(scheme=scheme, month=month).select_related("community")
    return {row.community.name: row.total for row in rows}


def _computed(scheme: Scheme, month: int = MONTH) -> dict[str, Decimal]:
    day = as_of(scheme.checklist, month, datetime_today())
    return {s.community.name: s.total for s in score_sheets(scheme, month=month, today=day)}


def datetime_today() -> datetime.date:
    return timezone.localdate()


def _agrees(scheme: Scheme) -> dict[str, Decimal]:
    """The stored rows of every month equal a computation from scratch; July's totals."""
    assert scores_differences(scheme=scheme) == []
    assert _stored(scheme) == _computed(scheme)
    return _stored(scheme)


def test_the_stored_scores_follow_every_change_that_moves_a_score(
    scheme: Scheme,
    world: Checklist,
    community_one: Community,
    community_two: Community,
    community_two_staff: User,
    housing_staff: User,
    street_admin: User,
) -> None:
    with time_travel(2017, 8, 20):
        assert scores_rebuild(scheme=scheme) == 12 * 2
        start = _agrees(scheme)
        assert start == {"示例社区一": Decimal("266.39"), "示例社区二": Decimal("-3")}

        # 示例社区二 files item 7 again and submits it: nothing approved yet, no change.
        report = assignment_of(world, 7, community_two).reports.get()
        file_report(report.assignment, community_two_staff, submit=True)
        assert _agrees(scheme) == start

        # Approved: its item 7 counts now (in July and every later month).
        approved = progress_report_approve(report=report, by=housing_staff)
        after_approval = _agrees(scheme)
        assert after_approval["示例社区二"] > start["示例社区二"]
        assert _stored(scheme, 12)["示例社区二"] > Decimal("-3")
        assert _stored(scheme, 6) == _computed(scheme, 6)  # June is untouched by July

        # Reopened by the street admin, returned: the points go again.
        progress_report_reopen(report=approved, by=street_admin, reason="数据有误")
        assert _agrees(scheme) == start
        file_report(report.assignment, community_two_staff, submit=True)
        progress_report_return(
            report=assignment_of(world, 7, community_two).reports.get(),
            by=housing_staff,
            comment="仍不完整",
        )
        assert _agrees(scheme) == start

        # An adjustment, then its removal.
        adjustment = ScoreAdjustment.objects.create(
            scheme=scheme, community=community_two, points=4, reason="加分", made_by=street_admin
        )
        assert _agrees(scheme)["示例社区二"] == start["示例社区二"] + 4
        adjustment.delete()
        assert _agrees(scheme) == start

        # A manual score entered, then changed.
        satisfaction = scheme.criteria.get(rule=Criterion.Rule.MANUAL)
        manual = ManualScore.objects.create(
            criterion=satisfaction, community=community_two, points=30
        )
        assert _agrees(scheme)["示例社区二"] == start["示例社区二"] + 30
        manual.points = 20
        manual.save()
        assert _agrees(scheme)["示例社区二"] == start["示例社区二"] + 20


def test_a_criterion_changed_or_a_new_day_computes_the_month_again(
    client: Client,
    scheme: Scheme,
    leader: User,
) -> None:
    client.force_login(leader)
    with time_travel(2017, 8, 20):
        client.get("/assessments/?year=2017&month=7")
        assert _stored(scheme)["示例社区一"] == Decimal("266.39")
        # Criteria written past the model's signals (as ``scheme_default`` writes them).
        Criterion.objects.filter(scheme=scheme, order=1).update(points=50)
        page = client.get("/assessments/?year=2017&month=7").content.decode()
        expected = _computed(scheme)["示例社区一"]
        assert expected != Decimal("266.39")
        assert _stored(scheme)["示例社区一"] == expected
        assert f"data-total>{expected}<" in page
    with time_travel(2017, 8, 21):  # August is still running: judged as of today
        client.get("/assessments/?year=2017&month=8")
        assert scores_differences(scheme=scheme) == []


def test_the_consistency_check_and_the_command_cover_the_stored_scores(
    scheme: Scheme,
    community_one: Community,
) -> None:
    with time_travel(2017, 8, 20):
        call_command("scores", "--rebuild", stdout=StringIO())
        assert call_command("scores", "--check", stdout=StringIO()) is None
        CommunityScore.objects.filter(scheme=scheme, month=MONTH, community=community_one).update(
            total=1
        )
        found = disagreements(
            scheme.checklist, today=datetime_today(), checks=frozenset({"scores"})
        )
        assert [d.check for d in found] == ["考核得分"]
        assert "示例社区一" in found[0].where
        with pytest.raises(Exception, match="1 处不一致"):
            call_command("scores", "--check", stdout=StringIO())


def test_the_ranking_comes_fifty_a_page_and_finds_a_community(
    client: Client,
    scheme: Scheme,
    world: Checklist,
    leader: User,
) -> None:
    from tasks.services import assignments_generate

    Community.objects.bulk_create(
        Community(name=f"扩展社区{n:02}", order=10 + n) for n in range(60)
    )
    assignments_generate(checklist=world)
    client.force_login(leader)
    with time_travel(2017, 8, 20):
        first = client.get("/assessments/?year=2017&month=7").content.decode()
        second = client.get("/assessments/?year=2017&month=7&page=2").content.decode()
        found = client.get("/assessments/?year=2017&month=7&find=扩展社区59").content.decode()
    assert first.count('href="/assessments/communities/') == 50
    assert second.count('href="/assessments/communities/') == 62 - 50
    assert "示例社区一</a>" in first  # the best total first
    # The sixty new communities (no points yet) share one rank, listed in their order.
    with time_travel(2017, 8, 20):
        ranks = {s.community.name: s.rank for s in score_sheets(scheme, month=MONTH)}
    assert len(ranks) == 62 and ranks["扩展社区00"] == ranks["扩展社区59"]
    assert "扩展社区59" in second and "扩展社区59" not in first
    assert 'aria-current="page">2<' in found
    assert "<strong>扩展社区59</strong>" in found
    assert f"扩展社区59:第 {ranks['扩展社区59']} 名 / 共 62 个社区" in found


def test_the_score_sheet_speaks_the_readers_language(
    client: Client,
    scheme: Scheme,
    leader: User,
    community_one: Community,
) -> None:
    client.force_login(leader)
    address = f"/assessments/communities/{community_one.pk}/?year=2017&month=7"
    with time_travel(2017, 8, 20):
        chinese = client.get(address).content.decode()
        with translation.override("en"):
            english = client.get(address, headers={"accept-language": "en"}).content.decode()
    # The figures' months, in the lines built by ``scoring`` and in the report links.
    assert "(7月)" in chinese and "截至7月" in chinese
    assert "7月)" not in english and "(July)" in english


def test_the_hourly_job_computes_the_months_before_anyone_reads_them(
    scheme: Scheme, world: Checklist
) -> None:
    from assessments.jobs import scores_prepare_job
    from assessments.models import ScoreMonth
    from assessments.summary import scores_forget

    with time_travel(2017, 8, 20):
        assert scores_prepare_job() == 12  # nothing stored yet: every month
        assert scores_prepare_job() == 0  # nothing moved: nothing computed
        assert _agrees(scheme)
        scores_forget([world.pk])  # a change that moved every community
        assert not ScoreMonth.objects.filter(scheme=scheme).exists()
        assert scores_prepare_job() == 12
        assert _agrees(scheme)
    with time_travel(2017, 8, 21):  # a new day moves the month in progress and those after
        assert 0 < scores_prepare_job() < 12
        assert scores_differences(scheme=scheme) == []
