"""Monthly filing reminders: before the deadline, on it, after it, and the escalation to
the lead units and the street admin — one digest per person per run, never twice."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.contrib.auth.models import User

from communities.models import Community
from notifications.models import Message
from reminders.models import Reminder, ReminderSettings
from tasks.models import Assignment, Checklist
from tasks.services import extension_decide, extension_request
from tests.conftest import assignment_of
from tests.filing import file_report
from tests.reminders import at, inbox, run_reminders

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quiet_before_july")]


def unfiled_items(community: Community) -> list[int]:
    return sorted(
        Assignment.objects.filter(community=community).values_list("item__number", flat=True)
    )


def escalations(user: User) -> list[Reminder]:
    """The escalations of late communities sent to ``user`` (units also get reminders of
    their own unit's filing)."""
    return list(
        Reminder.objects.filter(recipient=user, kind=Reminder.Kind.FILING_ESCALATION)
        .exclude(subject__startswith="unit:")
        .select_related("message")
    )


def test_the_july_deadline_is_the_first_working_day_on_or_after_the_5th(
    world: Checklist,
) -> None:
    # 5 August 2017 is a Saturday.
    assert world.filing_deadline(2017, 7) == datetime.date(2017, 8, 7)


def test_nothing_is_sent_before_the_reminder_day(
    world: Checklist, community_one_staff: User
) -> None:
    run_reminders(at(2017, 8, 3, 10))
    assert Reminder.objects.count() == 0
    assert inbox(community_one_staff) == []


def test_each_community_gets_one_digest_listing_every_unfiled_item(
    world: Checklist, community_one: Community, community_one_staff: User
) -> None:
    # Three days before Monday 7 August, at the send time (08:30).
    run_reminders(at(2017, 8, 4, 8, 31))
    [message] = inbox(community_one_staff)
    assert message.kind == Message.Kind.DIGEST
    assert "8月7日(周一) 截止" in message.body
    numbers = unfiled_items(community_one)
    assert f"第 {'、'.join(map(str, numbers[:12]))}" in message.body
    assert f"等 {len(numbers)} 项" in message.body
    assert message.url == "/workspace/?year=2017&month=7"
    assert not message.is_read


def test_nothing_is_sent_before_the_daily_send_time(
    world: Checklist, community_one_staff: User
) -> None:
    run_reminders(at(2017, 8, 4, 8, 0))
    assert inbox(community_one_staff) == []


def test_a_community_that_submitted_everything_is_not_reminded(
    world: Checklist,
    community_two: Community,
    community_two_staff: User,
    community_one_staff: User,
) -> None:
    with time_machine.travel(at(2017, 8, 2, 10), tick=False):
        for assignment in Assignment.objects.filter(community=community_two):
            file_report(assignment, community_two_staff, submit=True)
    run_reminders(at(2017, 8, 4, 9))
    assert inbox(community_two_staff) == []
    assert len(inbox(community_one_staff)) == 1


def test_the_digest_lists_only_the_items_still_unsubmitted(
    world: Checklist, community_one: Community, community_one_staff: User
) -> None:
    with time_machine.travel(at(2017, 8, 2, 10), tick=False):
        for assignment in Assignment.objects.filter(community=community_one).exclude(
            item__number=14
        ):
            file_report(assignment, community_one_staff, submit=True)
    run_reminders(at(2017, 8, 4, 9))
    [message] = inbox(community_one_staff)
    assert "尚有第 14 项未提交" in message.body


def test_running_the_same_batch_twice_sends_once(
    world: Checklist, community_one_staff: User, community_two_staff: User
) -> None:
    run_reminders(at(2017, 8, 4, 9))
    run_reminders(at(2017, 8, 4, 9))
    run_reminders(at(2017, 8, 4, 17))
    assert len(inbox(community_one_staff)) == 1
    assert len(inbox(community_two_staff)) == 1


def test_the_deadline_day_and_the_day_after_each_remind_once_more(
    world: Checklist, community_one_staff: User
) -> None:
    run_reminders(at(2017, 8, 4, 9))
    run_reminders(at(2017, 8, 7, 9))
    run_reminders(at(2017, 8, 7, 15))
    run_reminders(at(2017, 8, 8, 9))
    before, due, overdue = inbox(community_one_staff)
    assert "截止,尚有" in before.body
    assert "今天截止" in due.body
    assert "已逾期 1 天" in overdue.body


def test_a_run_missed_while_the_machine_was_down_is_caught_up_once(
    world: Checklist, community_one_staff: User
) -> None:
    # Down from 4 to 8 August; back on Wednesday the 9th.
    run_reminders(at(2017, 8, 9, 11))
    run_reminders(at(2017, 8, 9, 11, 15))
    [message] = inbox(community_one_staff)
    assert "已逾期 2 天" in message.body
    kinds = set(
        Reminder.objects.filter(recipient=community_one_staff).values_list("kind", flat=True)
    )
    assert kinds == {Reminder.Kind.FILING_OVERDUE}


def test_late_filers_are_escalated_to_the_lead_units_and_the_street_admin(
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    community_two: Community,
    community_two_staff: User,
    housing_staff: User,
    street_admin: User,
    leader: User,
) -> None:
    with time_machine.travel(at(2017, 8, 2, 10), tick=False):
        for assignment in Assignment.objects.filter(community=community_two):
            file_report(assignment, community_two_staff, submit=True)
    run_reminders(at(2017, 8, 9, 9))  # 2 days late: not yet escalated
    assert escalations(housing_staff) == []
    run_reminders(at(2017, 8, 10, 9))  # 3 days late
    [to_housing] = escalations(housing_staff)
    housing_items = sorted(
        Assignment.objects.filter(
            community=community_one, item__lead_units__name="房管所"
        ).values_list("item__number", flat=True)
    )
    assert to_housing.text == (
        f"示例社区一 7月进展逾期 3 天未提交:第 {'、'.join(map(str, housing_items))} 项。"
    )
    assert to_housing.message is not None
    assert to_housing.message.url == "/review/" or "/review/" in to_housing.message.body
    [to_admin] = escalations(street_admin)
    assert to_admin.text.startswith("示例社区一 7月进展逾期 3 天未提交:第 1、2、3")
    assert escalations(leader) == []
    run_reminders(at(2017, 8, 11, 9))
    assert len(escalations(housing_staff)) == 1


def test_a_granted_extension_moves_that_items_reminders(
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    party_building_staff: User,
) -> None:
    assignment = assignment_of(world, 3, community_one)
    with time_machine.travel(at(2017, 8, 2, 10), tick=False):
        extension = extension_request(
            assignment=assignment,
            year=2017,
            month=7,
            requested_deadline=datetime.date(2017, 8, 15),
            reason="议事会改期到 8 月 14 日召开。",
            by=community_one_staff,
        )
        extension_decide(extension=extension, by=party_building_staff, grant=True)
    run_reminders(at(2017, 8, 8, 9))
    digest = [m for m in inbox(community_one_staff) if m.kind == Message.Kind.DIGEST]
    [overdue] = digest
    assert "第 3、" not in overdue.body and "第 3 项" not in overdue.body
    run_reminders(at(2017, 8, 12, 9))  # 3 days before the 15th
    latest = [m for m in inbox(community_one_staff) if m.kind == Message.Kind.DIGEST][-1]
    assert "8月15日(周二) 截止,尚有第 3 项未提交" in latest.body


def test_the_september_report_is_due_after_the_national_day_holiday(
    world: Checklist, community_one_staff: User
) -> None:
    # 5 October 2017 falls in the National Day holiday (1–8 October): due Monday the 9th,
    # reminded three days before, on Friday the 6th (a holiday; reminders still go out).
    run_reminders(at(2017, 10, 5, 9))
    assert [m for m in inbox(community_one_staff) if "9月进展" in m.body] == []
    run_reminders(at(2017, 10, 6, 9))
    [message] = [m for m in inbox(community_one_staff) if "9月进展" in m.body]
    assert "10月9日(周一) 截止" in message.body


def test_the_street_admin_changes_when_reminders_go_out(
    world: Checklist, community_one_staff: User
) -> None:
    reminder_settings = ReminderSettings.load()
    reminder_settings.filing_days_before = 1
    reminder_settings.send_at = datetime.time(7, 0)
    reminder_settings.save()
    run_reminders(at(2017, 8, 4, 9))
    assert inbox(community_one_staff) == []
    run_reminders(at(2017, 8, 6, 7, 5))
    [message] = inbox(community_one_staff)
    assert "8月7日(周一) 截止" in message.body
