"""Lead units get one digest a day of newly submitted reports (issue 13, item 4): the
reports on their items submitted since their last such reminder and still waiting for
review, counted by item, with a link to the review queue filtered to them."""

from __future__ import annotations

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from communities.models import Community
from notifications.models import Message
from reminders.models import Reminder, ReminderSettings
from tasks.models import Checklist, Item
from tasks.services import progress_report_approve
from tests.conftest import assignment_of
from tests.filing import file_report
from tests.reminders import at, inbox, run_reminders

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quiet_before_july")]

KIND = Reminder.Kind.REPORTS_SUBMITTED
LABEL = "[新提交月报待审核]"


def digest_lines(user: User) -> list[str]:
    """The lines of the user's digests that tell of newly submitted reports."""
    return [
        line
        for message in inbox(user)
        if message.kind == Message.Kind.DIGEST
        for line in message.body.splitlines()
        if LABEL in line
    ]


def submit(world: Checklist, number: int, party: Community, by: User, day: int) -> None:
    """``party`` submits its July report on item ``number`` at 10:00 on ``day`` August."""
    with time_machine.travel(at(2017, 8, day, 10), tick=False):
        file_report(assignment_of(world, number, party), by, submit=True)


def test_a_submission_today_is_in_tomorrow_s_digest_of_the_lead_unit_s_reviewers(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_two: Community,
    community_one_staff: User,
    community_two_staff: User,
    housing_staff: User,
) -> None:
    # Item 7 is led by 房管所 (and 社区自治办).
    submit(world, 7, community_one, community_one_staff, day=3)
    submit(world, 7, community_two, community_two_staff, day=3)
    run_reminders(at(2017, 8, 3, 18))  # the day's send time (08:30) came before them
    assert not Reminder.objects.filter(kind=KIND).exists()

    run_reminders(at(2017, 8, 4, 9))
    [reminder] = Reminder.objects.filter(kind=KIND, recipient=housing_staff)
    item = Item.objects.get(checklist=world, number=7)
    assert reminder.text == "新提交待审核的月报 2 份:第 7 项 2 份。"
    assert reminder.url == f"/review/?state=submitted&item={item.pk}&year=2017&month=7"
    [line] = digest_lines(housing_staff)
    assert line == "· [新提交月报待审核] 新提交待审核的月报 2 份:第 7 项 2 份。"
    [message] = [m for m in inbox(housing_staff) if LABEL in m.body]
    assert f"/review/?state=submitted&item={item.pk}&year=2017&month=7" in message.body

    # The link opens the queue with both reports waiting.
    client.force_login(housing_staff)
    page = client.get(reminder.url)
    assert page.status_code == 200
    content = page.content.decode()
    assert "示例社区一" in content and "示例社区二" in content


def test_a_second_run_the_same_day_sends_nothing_more(
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    housing_staff: User,
) -> None:
    submit(world, 7, community_one, community_one_staff, day=3)
    run_reminders(at(2017, 8, 4, 9))
    run_reminders(at(2017, 8, 4, 9, 15))
    run_reminders(at(2017, 8, 4, 17))
    assert len(digest_lines(housing_staff)) == 1
    assert Reminder.objects.filter(kind=KIND, recipient=housing_staff).count() == 1

    # Nothing new the next day: no reminder at all.
    run_reminders(at(2017, 8, 5, 9))
    assert len(digest_lines(housing_staff)) == 1


def test_the_next_digest_counts_only_what_arrived_since_the_last(
    world: Checklist,
    community_one: Community,
    community_two: Community,
    community_one_staff: User,
    community_two_staff: User,
    housing_staff: User,
) -> None:
    submit(world, 7, community_one, community_one_staff, day=3)
    run_reminders(at(2017, 8, 4, 9))
    # Submitted after the day's send time: in tomorrow's digest, not a second one today.
    submit(world, 8, community_one, community_one_staff, day=4)
    submit(world, 7, community_two, community_two_staff, day=4)
    run_reminders(at(2017, 8, 4, 17))
    assert len(digest_lines(housing_staff)) == 1
    run_reminders(at(2017, 8, 5, 9))
    first, second = digest_lines(housing_staff)
    assert first.endswith("新提交待审核的月报 1 份:第 7 项 1 份。")
    assert second.endswith("新提交待审核的月报 2 份:第 7 项 1 份、第 8 项 1 份。")
    [latest] = Reminder.objects.filter(kind=KIND, recipient=housing_staff, period="2017-08-05")
    assert latest.url == "/review/?state=submitted&year=2017&month=7"  # two items: by month


def test_a_report_already_approved_is_not_counted(
    world: Checklist,
    community_one: Community,
    community_two: Community,
    community_one_staff: User,
    community_two_staff: User,
    housing_staff: User,
) -> None:
    submit(world, 7, community_one, community_one_staff, day=3)
    submit(world, 8, community_two, community_two_staff, day=3)
    with time_machine.travel(at(2017, 8, 3, 16), tick=False):
        report = assignment_of(world, 7, community_one).reports.get(year=2017, month=7)
        progress_report_approve(report=report, by=housing_staff)
    run_reminders(at(2017, 8, 4, 9))
    [line] = digest_lines(housing_staff)
    assert line.endswith("新提交待审核的月报 1 份:第 8 项 1 份。")


def test_another_unit_s_reviewer_and_the_street_admin_get_nothing(
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    housing_staff: User,
    autonomy_staff: User,
    party_building_staff: User,
    street_admin: User,
    leader: User,
) -> None:
    submit(world, 7, community_one, community_one_staff, day=3)
    run_reminders(at(2017, 8, 4, 9))
    assert len(digest_lines(housing_staff)) == 1
    assert len(digest_lines(autonomy_staff)) == 1  # 社区自治办 leads item 7 too
    for user in (party_building_staff, street_admin, leader, community_one_staff):
        assert digest_lines(user) == []
        assert not Reminder.objects.filter(kind=KIND, recipient=user).exists()


def test_the_street_admin_switches_the_digest_off(
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    housing_staff: User,
) -> None:
    reminder_settings = ReminderSettings.load()
    reminder_settings.reports_submitted_daily = False
    reminder_settings.save()
    submit(world, 7, community_one, community_one_staff, day=3)
    run_reminders(at(2017, 8, 4, 9))
    assert digest_lines(housing_staff) == []
    assert not Reminder.objects.filter(kind=KIND).exists()
