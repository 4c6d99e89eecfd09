"""No reminder falls on the floor (issue 12): a party (a community or a unit) with no
active staff account has its filing reminders, escalations, meeting-gap alerts and item
deadlines sent to the staff of the lead units of the items concerned and to the street
admin, each saying the party has no staff; a party with staff is reminded as before; a
rerun sends nothing twice. Here 示例社区二 and 城管中队 have nobody to log in."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User

from communities.models import Community, Unit
from reminders.models import Reminder
from tasks.models import Assignment, Checklist
from tests.conftest import assignment_of
from tests.reminders import at, inbox, run_reminders

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quiet_before_july")]

Kind = Reminder.Kind


def received(user: User, kind: str, subject: str) -> list[Reminder]:
    return list(
        Reminder.objects.filter(recipient=user, kind=kind, subject=subject).select_related(
            "message"
        )
    )


def community(party: Community) -> str:
    return f"community:{party.pk}"


def items_led_by(party: Community, unit_name: str) -> str:
    numbers = sorted(
        Assignment.objects.filter(community=party, item__lead_units__name=unit_name).values_list(
            "item__number", flat=True
        )
    )
    return f"第 {'、'.join(map(str, numbers))} 项"


# Filing and escalation -----------------------------------------------------------------


def test_a_community_without_staff_has_its_filing_reminder_sent_to_its_lead_units_and_the_admin(
    world: Checklist,
    community_one: Community,
    community_two: Community,
    community_one_staff: User,
    housing_staff: User,
    street_admin: User,
) -> None:
    run_reminders(at(2017, 8, 8, 9))  # July is one day late
    run_reminders(at(2017, 8, 8, 15))

    [to_housing] = received(housing_staff, Kind.FILING_OVERDUE, community(community_two))
    assert to_housing.text == (
        "示例社区二没有工作人员账号,请代为督促:7月进展已逾期 1 天(8月7日(周一)截止),"
        f"{items_led_by(community_two, '房管所')}未提交。"
    )
    assert to_housing.message is not None
    assert "示例社区二没有工作人员账号" in to_housing.message.body
    [to_admin] = received(street_admin, Kind.FILING_OVERDUE, community(community_two))
    assert to_admin.text.startswith("示例社区二没有工作人员账号,请代为督促:7月进展已逾期 1 天")
    assert "第 1、2、3" in to_admin.text  # the admin hears of every item

    # 示例社区一 has staff: reminded itself, not through its lead units.
    assert received(housing_staff, Kind.FILING_OVERDUE, community(community_one)) == []
    assert received(street_admin, Kind.FILING_OVERDUE, community(community_one)) == []
    [own] = received(community_one_staff, Kind.FILING_OVERDUE, community(community_one))
    assert own.text.startswith("7月进展已逾期 1 天")


def test_the_escalation_of_a_community_without_staff_says_it_has_no_staff(
    world: Checklist,
    community_one: Community,
    community_two: Community,
    community_one_staff: User,
    housing_staff: User,
    street_admin: User,
) -> None:
    run_reminders(at(2017, 8, 10, 9))  # three days late: escalated
    run_reminders(at(2017, 8, 10, 15))
    run_reminders(at(2017, 8, 11, 9))

    [to_housing] = received(housing_staff, Kind.FILING_ESCALATION, community(community_two))
    assert to_housing.text == (
        "示例社区二没有工作人员账号,请代为督促:7月进展逾期 3 天未提交:"
        f"{items_led_by(community_two, '房管所')}。"
    )
    [to_admin] = received(street_admin, Kind.FILING_ESCALATION, community(community_two))
    assert to_admin.text.startswith("示例社区二没有工作人员账号,请代为督促:7月进展逾期 3 天未提交")

    # A community with staff: the escalation reads as before.
    [staffed] = received(housing_staff, Kind.FILING_ESCALATION, community(community_one))
    assert staffed.text == (
        f"示例社区一 7月进展逾期 3 天未提交:{items_led_by(community_one, '房管所')}。"
    )
    [staffed_to_admin] = received(street_admin, Kind.FILING_ESCALATION, community(community_one))
    assert "没有工作人员账号" not in staffed_to_admin.text
    assert not Reminder.objects.filter(
        recipient=community_one_staff, kind=Kind.FILING_ESCALATION
    ).exists()


# Meeting gaps ----------------------------------------------------------------------------


def test_a_meeting_gap_of_a_community_without_staff_reaches_item_14_s_lead_unit_and_the_admin(
    world: Checklist,
    community_one: Community,
    community_two: Community,
    community_one_staff: User,
    autonomy_staff: User,
    housing_staff: User,
    street_admin: User,
) -> None:
    # Every community last met on 28 July (quiet_before_july): 15 days on 12 August.
    run_reminders(at(2017, 8, 11, 9))
    assert not Reminder.objects.filter(kind=Kind.MEETING_GAP).exists()
    run_reminders(at(2017, 8, 12, 9))
    run_reminders(at(2017, 8, 12, 15))

    expected = (
        "示例社区二没有工作人员账号,请代为督促:示例社区二上次联席会议在 7月28日(周五),"
        "已 15 天未召开。"
    )
    for user in (autonomy_staff, street_admin):
        [gap] = received(user, Kind.MEETING_GAP, community(community_two))
        assert gap.text == expected
        assert gap.url == f"/meetings/?community={community_two.pk}"
        assert gap.message is not None and expected in gap.message.body
    # 房管所 does not lead item 14.
    assert received(housing_staff, Kind.MEETING_GAP, community(community_two)) == []

    # 示例社区一 has staff: its own alert only.
    [own] = received(community_one_staff, Kind.MEETING_GAP, community(community_one))
    assert own.text == "本社区上次联席会议在 7月28日(周五),已 15 天未召开。"
    assert received(autonomy_staff, Kind.MEETING_GAP, community(community_one)) == []
    assert received(street_admin, Kind.MEETING_GAP, community(community_one)) == []


# Item deadlines --------------------------------------------------------------------------


def test_an_item_deadline_of_a_unit_without_staff_reaches_the_item_s_lead_unit_and_the_admin(
    world: Checklist,
    housing_office: Unit,
    housing_staff: User,
    party_building_staff: User,
    street_admin: User,
) -> None:
    # Item 15 ("6月底前", led by 社区党建办) falls on 房管所 (staff) and 城管中队 (none).
    # In force from 1 May here, so that the reminder 7 days before 30 June is due.
    world.takes_effect_on = datetime.date(2017, 5, 1)
    world.save(update_fields=["takes_effect_on"])
    enforcement = Unit.objects.get(name="城管中队")
    run_reminders(at(2017, 6, 23, 9))
    run_reminders(at(2017, 6, 23, 15))

    subject = f"assignment:{assignment_of(world, 15, enforcement).pk}"
    expected = "城管中队没有工作人员账号,请代为督促:第 15 项“"
    for user in (party_building_staff, street_admin):
        [stand_in] = received(user, Kind.ITEM_DEADLINE, subject)
        assert stand_in.text.startswith(expected)
        assert "6月30日(周五)到期(还有 7 天),尚未报告完成。" in stand_in.text
    assert received(housing_staff, Kind.ITEM_DEADLINE, subject) == []

    # 房管所 has staff: reminded itself; its lead unit hears of it only once overdue.
    housing = f"assignment:{assignment_of(world, 15, housing_office).pk}"
    [own] = received(housing_staff, Kind.ITEM_DEADLINE, housing)
    assert own.text.startswith("第 15 项“")
    assert received(party_building_staff, Kind.ITEM_DEADLINE, housing) == []
    assert received(street_admin, Kind.ITEM_DEADLINE, housing) == []

    # Overdue: the lead unit hears of both parties once each, the admin of 城管中队 only.
    run_reminders(at(2017, 7, 1, 9))
    run_reminders(at(2017, 7, 1, 15))
    [overdue] = received(party_building_staff, Kind.ITEM_OVERDUE, subject)
    assert overdue.text.startswith(expected)
    assert "已过时限 6月30日(周五) 1 天" in overdue.text
    [to_admin] = received(street_admin, Kind.ITEM_OVERDUE, subject)
    assert to_admin.text == overdue.text
    [staffed] = received(party_building_staff, Kind.ITEM_OVERDUE, housing)
    assert staffed.text.startswith("房管所:第 15 项“")
    assert received(street_admin, Kind.ITEM_OVERDUE, housing) == []


def test_a_rerun_sends_the_stand_ins_one_digest_each(
    world: Checklist,
    community_two: Community,
    housing_staff: User,
    autonomy_staff: User,
    street_admin: User,
) -> None:
    for moment in (at(2017, 8, 12, 9), at(2017, 8, 12, 9, 15), at(2017, 8, 12, 18)):
        run_reminders(moment)
    for user in (housing_staff, autonomy_staff, street_admin):
        [digest] = inbox(user)
        assert "示例社区二没有工作人员账号" in digest.body
    keys = Reminder.objects.values_list("recipient_key", "kind", "subject", "period")
    assert len(keys) == len(set(keys))
