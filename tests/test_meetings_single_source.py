"""Meetings are recorded once (issue 12, point 2): the meeting register is the only source of
the frequency targets (items 3, 14 and 16).

The summary tables (``AssignmentMonth``), the report page and the assessment's
``year_compliance`` judge each duty of each party and month the same way, from the
meetings recorded; a count typed into a report is not used, and recording or cancelling a
meeting moves the dashboard's figures.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.test import Client

from assessments.models import Criterion, Scheme
from assessments.scoring import score_sheets
from communities.models import Community
from dashboards.consistency import disagreements
from dashboards.jobs import summaries_refresh_registered_job
from dashboards.models import AssignmentMonth
from dashboards.summaries import summaries_differences
from meetings.compliance import year_compliance
from meetings.services import meeting_cancel
from tasks.models import Assignment, Checklist, ProgressReport, Target, TargetValue
from tasks.services import ValueInput, progress_report_save

from .conftest import frequency_duty, held_meeting
from .filing import time_travel

ITEMS = (3, 14, 16)
MONTHS = (7, 8)
Verdict = Target.Verdict


@pytest.fixture
def august_20th() -> Iterator[None]:
    with time_travel(2017, 8, 20):
        yield


@pytest.fixture
def world(august_20th: None, world: Checklist) -> Checklist:
    """The assignments generated on 20 August: the summary rows of months without a report
    carry the register's verdicts as they stand that day."""
    return world


@pytest.fixture
def recorded(
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    community_two_staff: User,
    autonomy_staff: User,
    street_admin: User,
    august_20th: None,
) -> Checklist:
    """示例社区一 holds its meetings in July (not all of them in August); 示例社区二 holds
    none; the street holds its joint meeting in July. Every party files July and August
    with an absurd typed count for its frequency targets."""
    for day in (10,):
        held_meeting(frequency_duty(world, 3), community_one, 7, day, street_admin)
    for day in (1, 15, 29):
        held_meeting(frequency_duty(world, 14), community_one, 7, day, community_one_staff)
    for day in (3, 10, 17, 24, 31):
        held_meeting(frequency_duty(world, 16), community_one, 7, day, street_admin)
    held_meeting(frequency_duty(world, 16), community_one, 8, 7, street_admin)
    held_meeting(frequency_duty(world, 14, street=True), None, 7, 20, autonomy_staff)
    filers = {community_one.pk: community_one_staff, None: autonomy_staff}
    for assignment in _assignments(world):
        if assignment.is_street_level and assignment.item.number != 14:
            continue  # item 3's street-level targets are not meetings
        filer = filers.get(_party(assignment), community_two_staff)
        for month in MONTHS:
            progress_report_save(
                assignment=assignment,
                year=2017,
                month=month,
                by=filer,
                status=ProgressReport.Status.IN_PROGRESS,
                narrative="",
                values={
                    target.pk: ValueInput(quantity=99)
                    for target in assignment.targets()
                    if target.kind == Target.Kind.FREQUENCY
                },
                version=None,
            )
    return world


def _assignments(world: Checklist) -> list[Assignment]:
    return list(
        Assignment.objects.filter(item__checklist=world, item__number__in=ITEMS)
        .select_related("item__checklist", "community", "unit")
        .prefetch_related("item__targets")
        .order_by("item__number", "pk")
    )


def _party(assignment: Assignment) -> int | None:
    return None if assignment.is_street_level else assignment.community_id


def test_the_summary_the_report_page_and_the_assessment_agree_for_every_party_and_month(
    recorded: Checklist, client: Client, street_admin: User
) -> None:
    judged = year_compliance(checklist=recorded, months=MONTHS, today=datetime.date(2017, 8, 20))
    client.force_login(street_admin)
    seen = set()
    for assignment in _assignments(recorded):
        for month in MONTHS:
            report = ProgressReport.objects.filter(
                assignment=assignment, year=2017, month=month
            ).first()
            if report is None:
                # Not filed (item 3's street level, whose targets are not meetings).
                row = AssignmentMonth.objects.get(assignment=assignment, year=2017, month=month)
                assert (row.state, row.targets_met, row.targets_behind) == ("missing", 0, 0)
                continue
            page = client.get(f"/reports/{report.pk}/")
            assert page.status_code == 200
            evaluations = page.context["evaluations"]
            row = AssignmentMonth.objects.get(assignment=assignment, year=2017, month=month)
            # The summary row adds up the verdicts the report page shows.
            assert row.targets_met == sum(e.verdict == Verdict.MET for e in evaluations)
            assert row.targets_behind == sum(e.verdict == Verdict.BEHIND for e in evaluations)
            assert row.status == report.counted_status()
            for evaluation in evaluations:
                target = evaluation.target
                if target.kind != Target.Kind.FREQUENCY:
                    continue
                duty = judged[target.pk, _party(assignment), month]
                assert evaluation.verdict == duty.verdict, (assignment, month)
                assert evaluation.measured == f"{duty.held}/{duty.required} 次"
                assert evaluation.explanation == duty.explanation
                assert evaluation.measured in page.content.decode()
                seen.add((target.item.number, _party(assignment), month, duty.verdict))
    # Both verdicts occur, for the communities and the street alike.
    verdicts = {verdict for *_key, verdict in seen}
    assert {Verdict.MET, Verdict.BEHIND, Verdict.ON_TRACK} <= verdicts
    assert any(party is None for _item, party, _month, _v in seen)
    assert summaries_differences(checklist=recorded) == []


def test_specific_verdicts_follow_the_meetings_held(
    recorded: Checklist, community_one: Community, community_two: Community
) -> None:
    def verdict(item: int, community: Community, month: int) -> str:
        assignment = Assignment.objects.get(
            item__checklist=recorded, item__number=item, community=community
        )
        report = ProgressReport.objects.get(assignment=assignment, year=2017, month=month)
        [evaluation] = [e for e in report.evaluate() if e.target.kind == Target.Kind.FREQUENCY]
        return evaluation.verdict

    assert verdict(3, community_one, 7) == Verdict.MET
    assert verdict(14, community_one, 7) == Verdict.MET
    assert verdict(16, community_one, 7) == Verdict.MET
    assert verdict(16, community_one, 8) == Verdict.BEHIND  # last held 7 August
    assert verdict(3, community_one, 8) == Verdict.ON_TRACK  # August still running
    for item in ITEMS:
        assert verdict(item, community_two, 7) == Verdict.BEHIND  # none held, 99 typed


def test_a_typed_count_is_neither_stored_nor_used(recorded: Checklist) -> None:
    typed = TargetValue.objects.filter(
        report__assignment__item__checklist=recorded, target__kind=Target.Kind.FREQUENCY
    )
    assert typed.exists()
    assert not typed.filter(quantity__isnull=False).exists()


def test_recording_and_cancelling_a_meeting_moves_the_dashboard_s_figures(
    recorded: Checklist, community_two: Community, street_admin: User
) -> None:
    assignment = Assignment.objects.get(
        item__checklist=recorded, item__number=3, community=community_two
    )
    [duty] = [t for t in assignment.targets() if t.kind == Target.Kind.FREQUENCY]

    def row() -> tuple[int, int]:
        cell = AssignmentMonth.objects.get(assignment=assignment, year=2017, month=7)
        return cell.targets_met, cell.targets_behind

    met, behind = row()
    meeting = held_meeting(duty, community_two, 7, 12, street_admin)
    assert row() == (met + 1, behind - 1)
    assert summaries_differences(checklist=recorded) == []

    meeting_cancel(meeting=meeting, by=street_admin)
    assert row() == (met, behind)
    assert summaries_differences(checklist=recorded) == []


def test_the_filing_page_shows_the_register_s_figure_read_only_with_a_link(
    recorded: Checklist, client: Client, community_one: Community, community_one_staff: User
) -> None:
    client.force_login(community_one_staff)
    page = client.get("/workspace/?year=2017&month=8").content.decode()
    weekly = frequency_duty(recorded, 16)
    assignment = Assignment.objects.get(item=weekly.item, community=community_one)
    assert f'name="a{assignment.pk}-t{weekly.pk}_quantity"' not in page
    assert "1/4 次" in page
    assert f"/meetings/new/?duty={weekly.pk}&amp;community={community_one.pk}" in page


def test_a_month_without_a_report_is_judged_from_the_register_everywhere(
    world: Checklist,
    client: Client,
    community_one: Community,
    community_two: Community,
    community_one_staff: User,
    street_admin: User,
) -> None:
    """Nobody files July or August. 示例社区一 holds item 3's and item 14's July meetings;
    示例社区二 holds none. The summary rows used to stay 未填报 with no verdict (the
    dashboard said nobody was behind) while the assessment scored the register's months."""
    held_meeting(frequency_duty(world, 3), community_one, 7, 10, street_admin)
    for day in (1, 15, 29):
        held_meeting(frequency_duty(world, 14), community_one, 7, day, community_one_staff)

    assignments = {(a.item.number, _party(a)): a for a in _assignments(world)}

    def rows(month: int) -> dict[tuple[int, int | None], tuple[int, int]]:
        """(item, community or None for the street) → (targets met, behind) of the month's
        summary rows, every one of them 未填报."""
        found = {
            row.assignment_id: row
            for row in AssignmentMonth.objects.filter(
                assignment__in=[a.pk for a in assignments.values()], month=month
            )
        }
        assert {row.state for row in found.values()} == {AssignmentMonth.State.MISSING}
        return {
            key: (found[a.pk].targets_met, found[a.pk].targets_behind)
            for key, a in assignments.items()
        }

    july = rows(7)
    assert july[(3, community_one.pk)] == (1, 0)
    assert july[(14, community_one.pk)] == (1, 0)
    assert july[(16, community_one.pk)] == (0, 1)  # weekly: none held
    for item in ITEMS:
        assert july[(item, community_two.pk)] == (0, 1)
    assert july[(14, None)] == (0, 1)  # the street's joint meeting: none held
    # Each row holds what the register (the assessment's source) judges, party by party.
    judged = year_compliance(checklist=world, months=MONTHS, today=datetime.date(2017, 8, 20))
    for (number, party), assignment in assignments.items():
        duties = [t for t in assignment.targets() if t.kind == Target.Kind.FREQUENCY]
        for month in MONTHS:
            verdicts = [judged[duty.pk, party, month].verdict for duty in duties]
            assert rows(month)[(number, party)] == (
                verdicts.count(Verdict.MET),
                verdicts.count(Verdict.BEHIND),
            )

    # The dashboard says who is behind on the meetings, report or not.
    client.force_login(street_admin)
    board = client.get("/dashboard/?year=2017&month=7").context["board"]
    behind = {row.obj.number: row.figures.behind for row in board.off_track}
    assert behind == {3: 1, 14: 2, 16: 2}
    briefing = client.get("/dashboard/briefing/?year=2017&month=7").content.decode()
    assert "第 14 项:2 个责任单位的指标滞后" in briefing
    # The assessment counts the same months.
    scheme = Scheme.objects.create(checklist=world, total_points=600)
    Criterion.objects.create(
        scheme=scheme,
        order=1,
        title="社区联席会议",
        points=300,
        target=frequency_duty(world, 14),
        rule=Criterion.Rule.PROPORTIONAL,
    )
    sheets = {sheet.community.pk: sheet for sheet in score_sheets(scheme, month=7)}
    assert sheets[community_one.pk].lines[0].explanation == "1/1 个月达标"
    assert sheets[community_two.pk].lines[0].explanation == "0/1 个月达标"

    # A meeting recorded moves the unfiled month (meetings_changed) ...
    held_meeting(frequency_duty(world, 3), community_two, 7, 12, street_admin)
    assert rows(7)[(3, community_two.pk)] == (1, 0)
    # ... and the daily job judges a month once it has run out: August's monthly meeting
    # of 示例社区二 is still possible on 20 August, missed on 2 September.
    assert rows(8)[(3, community_two.pk)] == (0, 0)
    with time_travel(2017, 9, 2):
        assert summaries_refresh_registered_job() > 0
        assert rows(8)[(3, community_two.pk)] == (0, 1)
        assert summaries_differences(checklist=world) == []
        assert disagreements(world, today=datetime.date(2017, 9, 2)) == []
