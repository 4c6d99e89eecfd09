"""The months owed, defined once (``Checklist.months_owed``): the 2017 checklist took
effect on 28 June 2017, so reports are owed for July–December and nothing of January–June
is filed, reminded, escalated, exported as missing or counted. Past the year's close, days
late stop counting and an unfiled month reads 未报(年度已结束). A party nobody of its own can
be reminded at has its reminders sent to its lead units and the street admins."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client

from communities.models import Community
from dashboards.dashboard import dashboard_build, report_months
from dashboards.ledger import community_ledger, item_ledger, month_ledger
from meetings.duties import duties_start
from reminders.models import Reminder
from reminders.services import reminders_run
from tasks.models import Checklist, Item, ProgressReport
from tasks.services import assignments_generate, extension_request
from tests.conftest import SHANGHAI, assignment_of
from tests.filing import file_report, time_travel

pytestmark = pytest.mark.django_db

FILING_KINDS = (
    Reminder.Kind.FILING_BEFORE,
    Reminder.Kind.FILING_DUE,
    Reminder.Kind.FILING_OVERDUE,
    Reminder.Kind.FILING_ESCALATION,
)


def at(year: int, month: int, day: int, hour: int = 9) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def people(
    street_admin: User,
    housing_staff: User,
    party_building_staff: User,
    community_one_staff: User,
    community_two_staff: User,
) -> dict[str, User]:
    """Everyone who could be reminded of anything."""
    return {
        "admin": street_admin,
        "housing": housing_staff,
        "partybuilding": party_building_staff,
        "one": community_one_staff,
        "two": community_two_staff,
    }


def filing_reminders() -> list[Reminder]:
    return list(Reminder.objects.filter(kind__in=FILING_KINDS))


# The rule and its home -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("takes_effect_on", "first", "months"),
    [
        (datetime.date(2017, 6, 28), datetime.date(2017, 7, 1), list(range(7, 13))),
        (datetime.date(2017, 6, 1), datetime.date(2017, 6, 1), list(range(6, 13))),
        (datetime.date(2017, 12, 15), datetime.date(2018, 1, 1), []),
        (datetime.date(2016, 12, 28), datetime.date(2017, 1, 1), list(range(1, 13))),
        (None, datetime.date(2017, 1, 1), list(range(1, 13))),
    ],
)
def test_the_months_owed_start_the_month_after_the_checklist_takes_effect(
    checklist_2017: Checklist,
    takes_effect_on: datetime.date | None,
    first: datetime.date,
    months: list[int],
) -> None:
    checklist_2017.takes_effect_on = takes_effect_on
    checklist_2017.issued_on = None  # else saving would fill an empty date from it
    assert checklist_2017.first_month_owed() == first
    assert checklist_2017.months_owed() == months
    # The dashboards and the recurring duties ask the same home.
    assert report_months(checklist_2017) == months
    assert duties_start(checklist_2017) == first


def test_the_2017_checklist_takes_effect_on_its_issue_date(checklist_2017: Checklist) -> None:
    assert checklist_2017.issued_on == datetime.date(2017, 6, 28)
    assert checklist_2017.takes_effect_on == datetime.date(2017, 6, 28)
    assert checklist_2017.months_owed() == [7, 8, 9, 10, 11, 12]


# Reminders and escalations ---------------------------------------------------------------


@pytest.mark.parametrize(
    "moment",
    [
        at(2017, 1, 10),
        at(2017, 3, 6),
        at(2017, 6, 6),  # May's deadline (5 June) just passed
        at(2017, 6, 9),  # May escalated, were May owed
        at(2017, 6, 27, 23),  # the eve of the day it takes effect; item 15 is due on 30 June
    ],
)
def test_nothing_is_reminded_before_the_checklist_takes_effect(
    world: Checklist, people: dict[str, User], moment: datetime.datetime
) -> None:
    with time_machine.travel(moment, tick=False):
        result = reminders_run(now=moment)
    assert result["due"] == 0
    assert not Reminder.objects.exists()


def test_the_day_after_it_takes_effect_no_month_before_july_is_reminded(
    world: Checklist, people: dict[str, User]
) -> None:
    # ``send_reminders --at 2017-06-29T09:00+08:00`` used to send "5月进展已逾期 24 天".
    moment = at(2017, 6, 29)
    with time_machine.travel(moment, tick=False):
        reminders_run(now=moment)
    assert filing_reminders() == []
    # Item 15 (6月底前) is in force now: its last reminder, the day before, goes out.
    kinds = set(Reminder.objects.values_list("kind", flat=True))
    assert kinds == {Reminder.Kind.ITEM_DEADLINE}


def test_after_it_takes_effect_only_the_months_owed_are_reminded(
    world: Checklist, people: dict[str, User]
) -> None:
    # June's deadline (5 July) passed: June is not owed, nothing is said of it.
    moment = at(2017, 7, 6)
    with time_machine.travel(moment, tick=False):
        reminders_run(now=moment)
    assert filing_reminders() == []

    # July's deadline, Monday 7 August, passed: July is owed and reminded.
    for moment in (at(2017, 8, 8), at(2017, 8, 10)):
        with time_machine.travel(moment, tick=False):
            reminders_run(now=moment)
    reminders = filing_reminders()
    assert reminders
    assert {reminder.period[:8] for reminder in reminders} == {"2017-07@"}
    to_one = Reminder.objects.get(recipient=people["one"], kind=Reminder.Kind.FILING_OVERDUE)
    assert to_one.text.startswith("7月进展已逾期 1 天")
    assert Reminder.objects.filter(
        recipient=people["admin"], kind=Reminder.Kind.FILING_ESCALATION
    ).exists()


# The filing page and the services --------------------------------------------------------


def test_the_workspace_refuses_a_month_before_the_checklist_takes_effect(
    client: Client, world: Checklist, community_one: Community, community_one_staff: User
) -> None:
    client.force_login(community_one_staff)
    with time_travel(2017, 8, 3):
        page = client.get("/workspace/?year=2017&month=6")
        assert page.status_code == 200
        assert page.context["editable_count"] == 0
        assert list(page.context["months"]) == [7, 8, 9, 10, 11, 12]
        text = page.content.decode()
        assert "2017年度清单自2017年6月28日起生效,只须填报7月至12月的进展" in text
        assert "申请延期" not in text

        response = client.post("/workspace/?year=2017&month=6", {"save": "1"}, follow=True)
        assert "6月不在应报月份内" in response.content.decode()
        assert not ProgressReport.objects.exists()

        assignment = assignment_of(world, 1, community_one)
        with pytest.raises(ValidationError) as refused:
            file_report(assignment, community_one_staff, month=6)
        assert refused.value.code == "month_not_owed"
        with pytest.raises(ValidationError, match="6月不在应报月份内"):
            extension_request(
                assignment=assignment,
                year=2017,
                month=6,
                requested_deadline=datetime.date(2017, 8, 20),
                reason="补报",
                by=community_one_staff,
            )
        # July is owed and filed as before.
        assert file_report(assignment, community_one_staff).month == 7


def test_the_dashboard_the_ledgers_and_the_filing_page_agree_on_the_months(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    street_admin: User,
) -> None:
    owed = [7, 8, 9, 10, 11, 12]
    with time_travel(2017, 8, 3):
        board = dashboard_build(world, 7, datetime.date(2017, 8, 3))
        assert board.months == owed
        assert [month for month, _figures in board.trend] == [7]

        client.force_login(street_admin)
        assert client.get("/dashboard/?year=2017&month=6").status_code == 404
        assert client.get("/dashboard/?year=2017&month=7").status_code == 200

        item = Item.objects.get(checklist=world, number=8)
        assert sorted({row.month for row in item_ledger(user=street_admin, item=item)}) == owed
        rows = community_ledger(user=street_admin, community=community_one, year=2017)
        assert sorted({row.month for row in rows}) == owed
        assert month_ledger(user=street_admin, year=2017, month=6) == []
        assert month_ledger(user=street_admin, year=2017, month=7)

        client.force_login(community_one_staff)
        page = client.get("/workspace/?year=2017&month=7")
        assert list(page.context["months"]) == owed


# A closed year ----------------------------------------------------------------------------


def test_a_2017_report_looked_at_in_2026_is_late_as_of_the_year_s_close(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    community_two: Community,
    community_two_staff: User,
    street_admin: User,
) -> None:
    # Community two filed November late, on 8 December; community one never did.
    with time_travel(2017, 12, 8):
        file_report(
            assignment_of(world, 1, community_two), community_two_staff, month=11, submit=True
        )
    unfiled = assignment_of(world, 1, community_one)
    deadline = unfiled.filing_deadline(2017, 11)
    assert deadline == datetime.date(2017, 12, 5)

    today = datetime.date(2026, 3, 1)
    assert world.lateness_measured_on(today) == datetime.date(2017, 12, 31)
    assert world.is_closed(today)
    assert world.days_late(deadline, today) == 26  # to 31 December 2017, not 3,008 days

    client.force_login(street_admin)
    with time_machine.travel(at(2026, 3, 1, 10), tick=False):
        board = dashboard_build(world, 11, today)
        late = {(cell.cell.community, cell.cell.item.number): cell for cell in board.late}
        assert late[community_one, 1].days_late == 26
        assert late[community_one, 1].year_closed

        page = client.get("/dashboard/?year=2017&month=11").content.decode()
        assert "未报(年度已结束)" in page
        briefing = client.get("/dashboard/briefing/?year=2017&month=11").content.decode()
        # The 逾期未报 table: 示例社区一's rows, item 1 among them (a row group per party).
        community_one_rows = briefing.split(">示例社区一</th>", 1)[1].split("</tbody>", 1)[0]
        item_1 = community_one_rows.split("第 1 项", 1)[1].split("</tr>", 1)[0]
        assert "未报(年度已结束),至年末逾期 26 天" in item_1

        rows = {
            (row.assignment.community, row.item.number): row.punctuality
            for row in month_ledger(user=street_admin, year=2017, month=11)
        }
        assert rows[community_one, 1] == "未报(年度已结束)"
        assert rows[community_two, 1] == "逾期 3 天"
        assert client.get("/ledger/month/?year=2017&month=11").status_code == 200

        urge = client.get(f"/dashboard/urge/?assignment={unfiled.pk}&year=2017&month=11")
        assert "至年末已逾期 26 天" in urge.content.decode()


# Parties without staff ---------------------------------------------------------------------


@pytest.fixture
def community_five(world: Checklist) -> Community:
    """A community with its assignments and nobody to log in."""
    community = Community.objects.create(name="示例社区五", order=5)
    assignments_generate(checklist=world)
    return community


def stand_ins(community: Community, user: User, kind: str) -> list[Reminder]:
    return list(
        Reminder.objects.filter(recipient=user, subject=f"community:{community.pk}", kind=kind)
    )


def test_a_community_without_staff_is_reminded_through_its_lead_units_and_the_street_admin(
    world: Checklist, community_five: Community, people: dict[str, User]
) -> None:
    for moment in (at(2017, 8, 8), at(2017, 8, 8, 12)):  # run twice: still once each
        with time_machine.travel(moment, tick=False):
            reminders_run(now=moment)

    [to_housing] = stand_ins(community_five, people["housing"], Reminder.Kind.FILING_OVERDUE)
    [to_admin] = stand_ins(community_five, people["admin"], Reminder.Kind.FILING_OVERDUE)
    assert to_housing.text.startswith("示例社区五没有工作人员账号,请代为督促:7月进展已逾期 1 天")
    assert to_admin.text.startswith("示例社区五没有工作人员账号,请代为督促:7月进展已逾期 1 天")
    # 房管所 hears of the items it leads, the street admin of every item.
    housing_items = sorted(
        assignment.item.number
        for assignment in community_five.assignments.select_related("item")
        if assignment.item.lead_units.filter(name="房管所").exists()
    )
    assert f"第 {'、'.join(map(str, housing_items))} 项未提交" in to_housing.text
    assert len(to_admin.text) > len(to_housing.text)
    assert to_housing.message is not None and to_admin.message is not None
    assert "示例社区五没有工作人员账号" in to_housing.message.body

    # A community with staff is reminded itself, not through its lead units.
    assert stand_ins(Community.objects.get(name="示例社区一"), people["housing"],
                     Reminder.Kind.FILING_OVERDUE) == []  # fmt: skip
    assert Reminder.objects.filter(recipient=people["one"], kind=Reminder.Kind.FILING_OVERDUE)

    # Escalated three days late, once, to the same people.
    with time_machine.travel(at(2017, 8, 10), tick=False):
        reminders_run(now=at(2017, 8, 10))
    assert len(stand_ins(community_five, people["housing"], Reminder.Kind.FILING_ESCALATION)) == 1
    assert len(stand_ins(community_five, people["admin"], Reminder.Kind.FILING_ESCALATION)) == 1


def test_the_street_admin_s_dashboard_lists_parties_nobody_receives_reminders_for(
    client: Client, world: Checklist, community_five: Community, people: dict[str, User]
) -> None:
    with time_travel(2017, 8, 20):
        client.force_login(people["admin"])
        response = client.get("/dashboard/?year=2017&month=7")
        unreminded: Any = response.context["unreminded"]
        assert "示例社区五" in unreminded
        assert "示例社区一" not in unreminded and "示例社区二" not in unreminded
        assert "房管所" not in unreminded  # has staff
        assert "无人接收提醒" in response.content.decode()

        client.force_login(people["housing"])
        response = client.get("/dashboard/?year=2017&month=7")
        assert response.context["unreminded"] == []
        assert "无人接收提醒" not in response.content.decode()
