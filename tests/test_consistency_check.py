"""``manage.py consistency --check`` finds every disagreement between two sources of one
fact, and finds none on the demo data and on the synthetic scale data."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from communities.models import Community
from dashboards.models import AssignmentMonth
from dashboards.summaries import summaries_refresh_registered
from meetings.compliance import year_compliance
from tasks.models import Checklist, ProgressReport, Target, TargetValue
from tests.conftest import SHANGHAI, assignment_of, frequency_duty

NOVEMBER_10TH = datetime.datetime(2017, 11, 10, 10, tzinfo=SHANGHAI)


@pytest.fixture
def world(world: Checklist) -> Checklist:
    """The world as it stands on 10 November (its assignments generated then): a summary
    row of a month without a report carries the register's verdicts as of that day."""
    with time_machine.travel(NOVEMBER_10TH, tick=False):
        summaries_refresh_registered(checklist=world)
    return world


def check(*options: str) -> str:
    out = StringIO()
    call_command("consistency", "--check", *options, stdout=out)
    return out.getvalue()


def refused(*options: str) -> str:
    out = StringIO()
    with pytest.raises(CommandError, match="处不一致"):
        call_command("consistency", "--check", *options, stdout=out)
    return out.getvalue()


def test_the_demo_data_holds_one_truth(demo_street: Checklist) -> None:
    # The demo as loaded on 10 November 2017 at 10:00 (tests/demo_street.py).
    with time_machine.travel(NOVEMBER_10TH, tick=False):
        assert "2017年度:0 处不一致" in check()


def test_the_scale_data_holds_one_truth(db: None) -> None:
    with time_machine.travel(NOVEMBER_10TH, tick=False):
        call_command(
            "generate_scale_data", communities=3, through_month=10, seed=1, stdout=StringIO()
        )
        assert "2017年度:0 处不一致" in check()


def test_a_report_for_a_month_not_owed_is_found(world: Checklist, community_one: Community) -> None:
    # Written past the services, as an old import did: June 2017 is not owed.
    ProgressReport.objects.create(
        assignment=assignment_of(world, 1, community_one), year=2017, month=6
    )
    with time_machine.travel(NOVEMBER_10TH, tick=False):
        output = refused("--only", "months")
    assert "[应报月份] 示例社区一 第 1 项 2017年6月" in output


def test_a_report_stored_as_done_with_an_unmet_target_is_found(
    world: Checklist, community_one: Community
) -> None:
    assignment = assignment_of(world, 2, community_one)
    target = assignment.targets()[0]
    assert target.kind == Target.Kind.RATE
    report = ProgressReport.objects.create(
        assignment=assignment,
        year=2017,
        month=8,
        status=ProgressReport.Status.COMPLETED,
        declared_status=ProgressReport.Status.COMPLETED,
    )
    TargetValue.objects.create(report=report, target=target, numerator=1, denominator=2)
    with time_machine.travel(NOVEMBER_10TH, tick=False):
        output = refused("--only", "status")
    assert "示例社区一 第 2 项 2017年8月" in output
    assert "月报记为“已完成”" in output


def test_a_typed_meeting_count_the_register_does_not_hold_is_found(
    world: Checklist, community_one: Community
) -> None:
    duty = frequency_duty(world, 14)
    report = ProgressReport.objects.create(
        assignment=assignment_of(world, 14, community_one), year=2017, month=8
    )
    TargetValue.objects.create(report=report, target=duty, quantity=3)
    with time_machine.travel(NOVEMBER_10TH, tick=False):
        held = year_compliance(checklist=world, months=[8], today=NOVEMBER_10TH.date())
        assert held[(duty.pk, community_one.pk, 8)].held == 0
        output = refused("--only", "meetings")
    assert "月报填写开展 3 次,会议台账记录 0 次" in output


def test_a_summary_row_that_differs_from_the_reports_is_found(
    world: Checklist, community_one: Community
) -> None:
    AssignmentMonth.objects.filter(
        assignment=assignment_of(world, 1, community_one), year=2017, month=8
    ).update(targets_met=5)
    with time_machine.travel(NOVEMBER_10TH, tick=False):
        output = refused("--only", "summaries")
    assert "targets_met" in output


def test_a_street_with_nothing_wrong_passes(world: Checklist) -> None:
    with time_machine.travel(NOVEMBER_10TH, tick=False):
        assert "2017年度:0 处不一致" in check()


def test_an_unfiled_month_whose_row_drops_the_register_s_verdict_is_found(
    world: Checklist, community_one: Community
) -> None:
    """No report for August and no meeting held: the register says 示例社区一 is behind on
    item 14, and so must its summary row (the dashboard reads it, the assessment counts
    the month)."""
    row = AssignmentMonth.objects.filter(
        assignment=assignment_of(world, 14, community_one), year=2017, month=8
    )
    assert row.get().state == AssignmentMonth.State.MISSING
    assert row.get().targets_behind == 1
    row.update(targets_behind=0)
    with time_machine.travel(NOVEMBER_10TH, tick=False):
        output = refused("--only", "meetings")
    assert "[会议台账] 示例社区一 第 14 项 2017年8月(未填报)" in output
    assert "汇总表记达标 0、滞后 0 项,会议台账判定达标 0、滞后 1 项" in output
