"""A month of a meeting duty turns from 推进中 to 滞后 with time alone: the daily job
recomputes the summary rows of the items judged from the register."""

from __future__ import annotations

import datetime

import time_machine
from django.contrib.auth.models import User

from communities.models import Community
from dashboards.jobs import summaries_refresh_registered_job
from dashboards.models import AssignmentMonth
from tasks.models import Checklist, ProgressReport
from tasks.services import progress_report_save
from tests.conftest import SHANGHAI, assignment_of, frequency_duty, held_meeting


def test_a_fortnightly_duty_turns_behind_the_day_its_gap_overruns(
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    autonomy_staff: User,
) -> None:
    assignment = assignment_of(world, 14, community_one)
    row = AssignmentMonth.objects.filter(assignment=assignment, year=2017, month=8)
    with time_machine.travel(datetime.datetime(2017, 8, 10, 10, tzinfo=SHANGHAI), tick=False):
        for day in (3, 17, 31):  # every fortnight of July, the last on the 31st
            held_meeting(frequency_duty(world, 14), community_one, 7, day, autonomy_staff)
        progress_report_save(
            assignment=assignment,
            year=2017,
            month=8,
            by=community_one_staff,
            status=ProgressReport.Status.IN_PROGRESS,
            narrative="本月联席会议待召开。",
            values={},
            version=None,
        )
        assert row.get().targets_behind == 0  # 31 July: covered until 14 August

    with time_machine.travel(datetime.datetime(2017, 8, 20, 1, tzinfo=SHANGHAI), tick=False):
        assert row.get().targets_behind == 0  # nothing was written since
        assert summaries_refresh_registered_job() > 0
        assert row.get().targets_behind == 1  # none since 31 July: overdue on the 15th
