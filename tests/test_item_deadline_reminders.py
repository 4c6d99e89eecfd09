"""Items with a date of their own: item 15 (城市综合管理中心, "6月底前", 房管所 and 城管中队)
and item 27 ("年内完成全覆盖"): 30, 7 and 1 days before, and when overdue."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.contrib.auth.models import User

from communities.models import Community, Unit
from reminders.models import Reminder
from tasks.models import Checklist, Item
from tests.conftest import assignment_of
from tests.filing import file_report
from tests.reminders import at, run_reminders

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quiet_before_july")]


def item_reminders(user: User, number: int) -> list[Reminder]:
    return list(
        Reminder.objects.filter(
            recipient=user,
            kind__in=[Reminder.Kind.ITEM_DEADLINE, Reminder.Kind.ITEM_OVERDUE],
            text__startswith=f"第 {number} 项",
        ).order_by("due_at")
    )


def in_force_from_may(checklist: Checklist) -> None:
    """The 2017 checklist takes effect on 28 June, after two of item 15's reminders would
    fall: nothing is reminded before a checklist takes effect (tests/test_months_owed.py).
    Here it took effect on 1 May, so that May and June are owed."""
    checklist.takes_effect_on = datetime.date(2017, 5, 1)
    checklist.save(update_fields=["takes_effect_on"])


def test_item_15_is_reminded_30_7_and_1_days_before_its_date(
    world: Checklist, housing_staff: User
) -> None:
    in_force_from_may(world)
    # Due Friday 30 June 2017.
    run_reminders(at(2017, 5, 30, 9))
    assert item_reminders(housing_staff, 15) == []
    for day in (31, 1, 23, 29, 29):
        month = 5 if day == 31 else 6
        run_reminders(at(2017, month, day, 9))
    texts = [reminder.text for reminder in item_reminders(housing_staff, 15)]
    assert len(texts) == 3
    assert "6月30日(周五)到期(还有 30 天)" in texts[0]
    assert "还有 7 天" in texts[1]
    assert "还有 1 天" in texts[2]


def test_an_overdue_item_reminds_its_party_and_its_lead_units(
    world: Checklist, housing_staff: User, party_building_staff: User
) -> None:
    run_reminders(at(2017, 7, 1, 9))
    [overdue] = item_reminders(housing_staff, 15)
    assert overdue.kind == Reminder.Kind.ITEM_OVERDUE
    assert "已过时限 6月30日(周五) 1 天" in overdue.text
    # 社区党建办 leads item 15: it hears of each party still not done (城管中队 has no
    # staff account here: the reminder says so).
    lead = Reminder.objects.filter(recipient=party_building_staff, kind=Reminder.Kind.ITEM_OVERDUE)
    assert sorted(r.text.split(":")[0] for r in lead) == [
        "城管中队没有工作人员账号,请代为督促",
        "房管所",
    ]


def test_a_party_that_reported_the_item_done_is_not_reminded(
    world: Checklist, housing_staff: User, housing_office: Unit
) -> None:
    in_force_from_may(world)
    # Done on 28 June, reported the next morning.
    with time_machine.travel(at(2017, 6, 29, 10), tick=False):
        file_report(assignment_of(world, 15, housing_office), housing_staff, month=6, submit=True)
    run_reminders(at(2017, 6, 29, 11))
    assert item_reminders(housing_staff, 15) == []


def test_item_27_due_within_the_year_moves_to_the_first_working_day_of_2018(
    world: Checklist, community_one: Community, community_one_staff: User
) -> None:
    item = Item.objects.get(checklist=world, number=27)
    # 31 December 2017 is a Sunday and 1 January a holiday.
    assert str(item.deadline) == "2018-01-02"
    run_reminders(at(2017, 12, 26, 9))
    [reminder] = item_reminders(community_one_staff, 27)
    assert "1月2日(周二)到期(还有 7 天)" in reminder.text
    assert reminder.url == f"/items/{item.pk}/"
    assert assignment_of(world, 27, community_one).community == community_one
