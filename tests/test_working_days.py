"""Deadlines follow China's official working-day calendar (tasks.workdays): the official
holidays and 调休 working days for the years chinese_calendar covers, and for a year it does
not cover, weekends plus the days the street admin entered (CalendarDay)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from communities.models import Community
from tasks import workdays
from tasks.models import CalendarDay, Checklist, DeadlineExtension, Item, Target, TargetValue
from tasks.workdays import calendar_covers, is_working_day, next_working_day
from tests.conftest import SHANGHAI, assignment_of

pytestmark = pytest.mark.django_db

date = datetime.date


@pytest.fixture(autouse=True)
def _fresh_calendar_cache() -> Iterator[None]:
    """The days entered for a year are cached per process; a test's rows are rolled back
    but the cache is not, so every test starts and ends with an empty one."""
    workdays.clear_cache()
    yield
    workdays.clear_cache()


@pytest.fixture
def checklist_2030(db: None) -> Checklist:
    """A checklist for a year chinese_calendar 1.11 does not cover."""
    return Checklist.objects.create(year=2030, title="2030年宜居家园建设目标任务清单")


def enter(day: date, kind: CalendarDay.Kind, name: str) -> CalendarDay:
    """What the street admin types into 节假日安排."""
    return CalendarDay.objects.create(date=day, kind=kind, name=name)


def item_of(checklist: Checklist, number: int) -> Item:
    return Item.objects.select_related("checklist").get(checklist=checklist, number=number)


# The official calendar (2017).


def test_the_whole_national_day_holiday_of_2017_is_days_off() -> None:
    national_day = [date(2017, 10, day) for day in range(1, 9)]
    assert [is_working_day(day) for day in national_day] == [False] * 8
    assert is_working_day(date(2017, 10, 9))


def test_saturday_30_september_2017_is_a_working_day_in_lieu_of_national_day() -> None:
    saturday = date(2017, 9, 30)
    assert saturday.weekday() == 5
    assert is_working_day(saturday)
    assert next_working_day(saturday) == saturday


def test_an_ordinary_weekend_is_not_worked_and_the_monday_after_it_is() -> None:
    assert not is_working_day(date(2017, 8, 5))  # Saturday
    assert not is_working_day(date(2017, 8, 6))  # Sunday
    assert next_working_day(date(2017, 8, 5)) == date(2017, 8, 7)


def test_a_working_day_is_its_own_next_working_day() -> None:
    assert next_working_day(date(2017, 7, 5)) == date(2017, 7, 5)  # a Wednesday


def test_the_september_report_due_in_the_national_day_holiday_is_due_on_9_october(
    checklist_2017: Checklist,
) -> None:
    assert checklist_2017.filing_deadline(2017, 9) == date(2017, 10, 9)


def test_the_july_report_due_on_saturday_5_august_is_due_on_monday_7_august(
    checklist_2017: Checklist,
) -> None:
    assert checklist_2017.filing_deadline(2017, 7) == date(2017, 8, 7)


def test_a_filing_day_that_is_a_working_day_stays_where_it_is(checklist_2017: Checklist) -> None:
    assert checklist_2017.filing_deadline(2017, 6) == date(2017, 7, 5)
    assert checklist_2017.filing_deadline(2017, 12) == date(2018, 1, 5)  # a Friday


def test_item_27_due_on_sunday_31_december_is_due_after_new_year_s_day(
    checklist_2017: Checklist,
) -> None:
    item = item_of(checklist_2017, 27)
    (target,) = item.targets.all()
    assert item.stated_deadline == date(2017, 12, 31)
    # Monday 1 January 2018 is New Year's Day.
    assert item.deadline == target.deadline == date(2018, 1, 2)


def test_item_15_due_on_friday_30_june_stays_due_that_day(checklist_2017: Checklist) -> None:
    item = item_of(checklist_2017, 15)
    (target,) = item.targets.all()
    assert item.deadline == target.deadline == date(2017, 6, 30)


def test_a_year_end_shortfall_is_still_behind_in_december_though_the_deadline_moved(
    checklist_2017: Checklist,
) -> None:
    (target,) = item_of(checklist_2017, 27).targets.all()
    half = TargetValue(numerator=5, denominator=10)
    assert target.evaluate(half, year=2017, month=12).verdict == Target.Verdict.BEHIND


def test_a_target_done_on_the_working_day_after_its_saturday_deadline_is_on_time(
    checklist_2017: Checklist,
) -> None:
    item = item_of(checklist_2017, 15)
    target = Target(item=item, kind=Target.Kind.DEADLINE, due_date=date(2017, 7, 1))
    assert target.deadline == date(2017, 7, 3)
    done_monday = TargetValue(achieved_on=date(2017, 7, 3))
    done_tuesday = TargetValue(achieved_on=date(2017, 7, 4))
    assert target.evaluate(done_monday, year=2017, month=7).verdict == Target.Verdict.MET
    assert target.evaluate(done_tuesday, year=2017, month=7).verdict == Target.Verdict.BEHIND


def test_an_extension_granted_to_a_sunday_runs_to_the_monday(
    world: Checklist, community_one: Community, community_one_staff: User
) -> None:
    assignment = assignment_of(world, 8, community_one)
    DeadlineExtension.objects.create(
        assignment=assignment,
        year=2017,
        month=7,
        requested_deadline=date(2017, 8, 13),  # a Sunday
        reason="台风",
        state=DeadlineExtension.State.GRANTED,
        requested_by=community_one_staff,
    )
    assert assignment.filing_deadline(2017, 7) == date(2017, 8, 14)


def test_a_covered_year_never_asks_the_database(
    checklist_2017: Checklist, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    # Entered by mistake for a covered year: the official calendar wins.
    enter(date(2017, 8, 7), CalendarDay.Kind.HOLIDAY, "误录")
    item = item_of(checklist_2017, 27)
    with django_assert_num_queries(0):
        assert is_working_day(date(2017, 8, 7))
        assert [checklist_2017.filing_deadline(2017, month) for month in (7, 9)] == [
            date(2017, 8, 7),
            date(2017, 10, 9),
        ]
        assert item.deadline == date(2018, 1, 2)


# A year the official calendar does not cover (2030).


def test_the_official_calendar_covers_2017_and_not_2030() -> None:
    assert calendar_covers(2017)
    assert calendar_covers(2026)
    assert not calendar_covers(2030)


def test_in_an_uncovered_year_weekends_are_days_off_and_weekdays_work() -> None:
    assert is_working_day(date(2030, 10, 1))  # a Tuesday: nobody entered National Day yet
    assert not is_working_day(date(2030, 10, 5))  # Saturday
    assert next_working_day(date(2030, 10, 5)) == date(2030, 10, 7)


def test_a_holiday_the_admin_entered_is_a_day_off_at_once() -> None:
    assert is_working_day(date(2030, 10, 1))
    enter(date(2030, 10, 1), CalendarDay.Kind.HOLIDAY, "国庆节")
    assert not is_working_day(date(2030, 10, 1))


def test_a_saturday_the_admin_entered_as_a_working_day_is_worked() -> None:
    saturday = date(2030, 9, 28)
    assert not is_working_day(saturday)
    enter(saturday, CalendarDay.Kind.WORKING_DAY, "国庆节调休")
    assert is_working_day(saturday)


def test_a_deleted_holiday_is_a_working_day_again() -> None:
    day = enter(date(2030, 10, 1), CalendarDay.Kind.HOLIDAY, "国庆节")
    assert not is_working_day(date(2030, 10, 1))
    day.delete()
    assert is_working_day(date(2030, 10, 1))


def test_an_uncovered_year_s_filing_deadline_skips_weekends_and_entered_holidays(
    checklist_2030: Checklist,
) -> None:
    # Saturday 5 October 2030 moves to Monday 7 with nothing entered ...
    assert checklist_2030.filing_deadline(2030, 9) == date(2030, 10, 7)
    for day in range(1, 8):
        enter(date(2030, 10, day), CalendarDay.Kind.HOLIDAY, "国庆节")
    # ... and to Tuesday 8 once the National Day week is entered.
    assert checklist_2030.filing_deadline(2030, 9) == date(2030, 10, 8)


def test_a_filing_day_on_an_entered_working_saturday_stays_on_that_saturday(
    checklist_2030: Checklist,
) -> None:
    enter(date(2030, 10, 5), CalendarDay.Kind.WORKING_DAY, "国庆节调休")
    assert checklist_2030.filing_deadline(2030, 9) == date(2030, 10, 5)


def test_the_days_entered_for_a_year_are_read_once(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    enter(date(2030, 10, 1), CalendarDay.Kind.HOLIDAY, "国庆节")
    with django_assert_num_queries(1):  # the year's CalendarDay rows
        assert next_working_day(date(2030, 10, 1)) == date(2030, 10, 2)
        assert [is_working_day(date(2030, 6, day)) for day in (1, 3)] == [False, True]


def test_a_day_entered_by_another_process_is_seen_once_the_cache_expires() -> None:
    with time_machine.travel(datetime.datetime(2030, 9, 2, 9, 0, tzinfo=SHANGHAI)) as traveller:
        assert is_working_day(date(2030, 10, 1))
        # Another process's change does not pass through this process's CalendarDay.save().
        CalendarDay.objects.bulk_create(
            [CalendarDay(date=date(2030, 10, 1), kind=CalendarDay.Kind.HOLIDAY, name="国庆节")]
        )
        assert is_working_day(date(2030, 10, 1))
        traveller.shift(datetime.timedelta(seconds=workdays.CACHE_SECONDS))
        assert not is_working_day(date(2030, 10, 1))


# The admin.


def test_the_calendar_list_warns_that_an_uncovered_year_falls_back_to_entered_days(
    admin_client: Client, checklist_2030: Checklist
) -> None:
    checklist_2030.status = Checklist.Status.ACTIVE
    checklist_2030.save()
    enter(date(2030, 10, 1), CalendarDay.Kind.HOLIDAY, "国庆节")
    response = admin_client.get(reverse("admin:tasks_calendarday_changelist"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "2030年:官方日历尚未收录该年的节假日安排" in page
    assert "2031年:官方日历尚未收录该年的节假日安排" in page
    assert "2030年10月1日" in page
    assert "国庆节" in page


def test_the_calendar_list_says_the_official_calendar_covers_2017_and_2018(
    admin_client: Client, checklist_2017: Checklist
) -> None:
    page = admin_client.get(reverse("admin:tasks_calendarday_changelist")).content.decode()
    assert "2017年:截止日期按国家法定节假日和调休安排(官方日历)顺延" in page
    assert "2018年:截止日期按国家法定节假日和调休安排(官方日历)顺延" in page
    assert "官方日历尚未收录" not in page


def test_the_calendar_list_filters_by_year(admin_client: Client) -> None:
    enter(date(2030, 10, 1), CalendarDay.Kind.HOLIDAY, "国庆节")
    enter(date(2031, 1, 1), CalendarDay.Kind.HOLIDAY, "元旦")
    url = reverse("admin:tasks_calendarday_changelist")
    page = admin_client.get(url, {"year": "2031"}).content.decode()
    assert "元旦" in page
    assert "国庆节" not in page


def test_an_uncovered_checklist_s_page_warns_about_its_deadlines(
    admin_client: Client, checklist_2030: Checklist
) -> None:
    response = admin_client.get(reverse("admin:tasks_checklist_change", args=[checklist_2030.pk]))
    assert response.status_code == 200
    assert "2030年:官方日历尚未收录该年的节假日安排" in response.content.decode()


def test_a_covered_checklist_s_page_has_no_calendar_warning(
    admin_client: Client, checklist_2017: Checklist
) -> None:
    response = admin_client.get(reverse("admin:tasks_checklist_change", args=[checklist_2017.pk]))
    assert response.status_code == 200
    assert "官方日历" not in response.content.decode()


def test_the_street_admin_may_enter_holidays(street_admin: User, client: Client) -> None:
    client.force_login(street_admin)
    response = client.post(
        reverse("admin:tasks_calendarday_add"),
        {"date": "2030-10-01", "kind": CalendarDay.Kind.HOLIDAY, "name": "国庆节"},
    )
    assert response.status_code == 302
    assert not is_working_day(date(2030, 10, 1))
