"""Meeting reminders: before each scheduled meeting to its attendees, and an alert when a
community's last joint meeting is older than 14 days or the street's older than a month."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User

from communities.models import Community
from meetings.models import Meeting
from notifications.models import Message
from reminders.models import Reminder
from tasks.models import Checklist, Target
from tests.reminders import at, inbox, run_reminders

pytestmark = pytest.mark.django_db


def joint_meeting_target(checklist: Checklist, level: str) -> Target:
    return Target.objects.get(item__checklist=checklist, item__number=14, level=level)


def meeting(
    checklist: Checklist,
    starts_at: datetime.datetime,
    *,
    community: Community | None = None,
    state: str = Meeting.State.HELD,
    attendees: tuple[User, ...] = (),
) -> Meeting:
    level = Target.Level.PARTY if community else Target.Level.STREET
    held = Meeting.objects.create(
        target=joint_meeting_target(checklist, level),
        community=community,
        state=state,
        starts_at=starts_at,
        place="社区活动室",
        topics="小区停车秩序",
    )
    held.attendees.set(attendees)
    return held


def digests(user: User) -> list[Message]:
    return [message for message in inbox(user) if message.kind == Message.Kind.DIGEST]


def test_attendees_are_reminded_a_day_before_the_meeting(
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    community_two_staff: User,
) -> None:
    upcoming = meeting(
        world,
        at(2017, 8, 17, 14, 30),
        community=community_one,
        state=Meeting.State.SCHEDULED,
        attendees=(community_one_staff,),
    )
    run_reminders(at(2017, 8, 16, 14, 0))  # 24.5 hours before: not yet
    assert not Reminder.objects.filter(kind=Reminder.Kind.MEETING_UPCOMING).exists()
    run_reminders(at(2017, 8, 16, 14, 45))
    run_reminders(at(2017, 8, 17, 9, 0))
    [reminder] = Reminder.objects.filter(kind=Reminder.Kind.MEETING_UPCOMING)
    assert reminder.recipient == community_one_staff
    assert "8月17日(周四) 14:30 示例社区一社区层面联席会议,地点:社区活动室" in reminder.text
    assert reminder.url == f"/meetings/{upcoming.pk}/"
    assert not Reminder.objects.filter(
        recipient=community_two_staff, kind=Reminder.Kind.MEETING_UPCOMING
    ).exists()


def test_a_rescheduled_meeting_is_reminded_again_at_its_new_time(
    world: Checklist, community_one: Community, community_one_staff: User
) -> None:
    upcoming = meeting(
        world,
        at(2017, 8, 17, 14, 30),
        community=community_one,
        state=Meeting.State.SCHEDULED,
        attendees=(community_one_staff,),
    )
    run_reminders(at(2017, 8, 17, 9, 0))
    upcoming.starts_at = at(2017, 8, 18, 9, 0)
    upcoming.save()
    run_reminders(at(2017, 8, 17, 10, 0))
    texts = list(
        Reminder.objects.filter(kind=Reminder.Kind.MEETING_UPCOMING)
        .order_by("due_at")
        .values_list("text", flat=True)
    )
    assert len(texts) == 2
    assert "8月18日(周五) 09:00" in texts[1]


def test_a_cancelled_meeting_is_not_reminded(
    world: Checklist, community_one: Community, community_one_staff: User
) -> None:
    meeting(
        world,
        at(2017, 8, 17, 14, 30),
        community=community_one,
        state=Meeting.State.CANCELLED,
        attendees=(community_one_staff,),
    )
    run_reminders(at(2017, 8, 17, 9, 0))
    assert not Reminder.objects.filter(kind=Reminder.Kind.MEETING_UPCOMING).exists()


def test_a_community_whose_last_joint_meeting_is_over_14_days_old_is_alerted_once(
    world: Checklist,
    community_one: Community,
    community_two: Community,
    community_one_staff: User,
    community_two_staff: User,
) -> None:
    meeting(world, at(2017, 7, 20, 14), community=community_one)
    meeting(world, at(2017, 7, 28, 14), community=community_two)
    run_reminders(at(2017, 8, 3, 9))  # 14 days after the 20th: still within the rule
    assert not Reminder.objects.filter(kind=Reminder.Kind.MEETING_GAP).exists()
    run_reminders(at(2017, 8, 4, 9))  # 15 days
    run_reminders(at(2017, 8, 5, 9))
    [gap] = Reminder.objects.filter(kind=Reminder.Kind.MEETING_GAP, recipient=community_one_staff)
    assert gap.text == "本社区上次联席会议在 7月20日(周四),已 15 天未召开。"
    assert not Reminder.objects.filter(
        kind=Reminder.Kind.MEETING_GAP, recipient=community_two_staff
    ).exists()

    # The next meeting ends that gap; a new gap alerts again.
    meeting(world, at(2017, 8, 7, 14), community=community_one)
    run_reminders(at(2017, 8, 21, 9))
    assert (
        Reminder.objects.filter(
            kind=Reminder.Kind.MEETING_GAP, recipient=community_one_staff
        ).count()
        == 1
    )
    run_reminders(at(2017, 8, 22, 9))
    assert (
        Reminder.objects.filter(
            kind=Reminder.Kind.MEETING_GAP, recipient=community_one_staff
        ).count()
        == 2
    )


def test_a_scheduled_meeting_does_not_count_until_it_is_held(
    world: Checklist, community_one: Community, community_one_staff: User
) -> None:
    meeting(world, at(2017, 7, 20, 14), community=community_one)
    meeting(world, at(2017, 8, 1, 14), community=community_one, state=Meeting.State.SCHEDULED)
    run_reminders(at(2017, 8, 4, 9))
    assert Reminder.objects.filter(
        kind=Reminder.Kind.MEETING_GAP, recipient=community_one_staff
    ).exists()


def test_the_street_is_alerted_when_its_last_joint_meeting_is_over_a_month_old(
    world: Checklist,
    autonomy_staff: User,
    street_admin: User,
    community_one_staff: User,
    leader: User,
) -> None:
    meeting(world, at(2017, 7, 3, 9))
    # The community-level rule alerts communities too; look at the street's alert only.
    run_reminders(at(2017, 8, 3, 9))
    assert not Reminder.objects.filter(kind=Reminder.Kind.MEETING_GAP, subject="street").exists()
    run_reminders(at(2017, 8, 4, 9))
    street = Reminder.objects.filter(kind=Reminder.Kind.MEETING_GAP, subject="street")
    assert {reminder.recipient for reminder in street} == {autonomy_staff, street_admin}
    first = street.first()
    assert first is not None and first.text == "街道上次联席会议在 7月3日(周一),已 32 天未召开。"
    assert not Reminder.objects.filter(recipient=leader).exists()
    assert not street.filter(recipient=community_one_staff).exists()


def test_everything_due_for_a_person_comes_in_one_digest(
    world: Checklist, community_one: Community, community_one_staff: User
) -> None:
    meeting(world, at(2017, 7, 20, 14), community=community_one)
    meeting(
        world,
        at(2017, 8, 5, 9),
        community=community_one,
        state=Meeting.State.SCHEDULED,
        attendees=(community_one_staff,),
    )
    run_reminders(at(2017, 8, 4, 9))
    [digest] = digests(community_one_staff)
    assert digest.title == f"宜居家园提醒:{digest.reminders.count()} 件事项需要处理"
    assert "[填报截止前提醒]" in digest.body
    assert "[会前提醒]" in digest.body
    assert "[联席会议间隔提醒]" in digest.body
