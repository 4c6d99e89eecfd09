"""China's official working-day calendar, which every deadline of the portal follows.

A deadline that falls on a day off moves to the next working day. ``chinese_calendar``
publishes the State Council's holidays and 调休 working days (weekend days worked to make
up for a holiday, such as Saturday 30 September 2017) year by year. For a year it does not
cover yet, Monday to Friday are working days except the holidays the street admin entered
as ``CalendarDay`` rows, and a day entered as 调休上班 is a working day.

Covered years never touch the database (pages' query counts are pinned in the tests). The
days entered for an uncovered year are loaded once per year and kept for
``CACHE_SECONDS`` in each process; saving or deleting a ``CalendarDay`` clears the cache of
the process that did it, and the others see the change once their copy expires.
"""

from __future__ import annotations

import datetime
import functools
import time
from dataclasses import dataclass

import chinese_calendar

# How long a process keeps the days entered for a year before reading them again.
CACHE_SECONDS = 60

# Holidays and 调休 together never take a month off work: a longer run of days off means
# the entered calendar is wrong (a whole month typed as 节假日), and a deadline then stays
# where the checklist put it rather than wander off or hang a page.
LONGEST_RUN_OF_DAYS_OFF = 31

_FIRST_COVERED_YEAR = min(chinese_calendar.holidays).year
_LAST_COVERED_YEAR = max(chinese_calendar.holidays).year


@dataclass(frozen=True)
class _EnteredDays:
    """The days the street admin entered for one year, as read at ``loaded_at``."""

    holidays: frozenset[datetime.date]
    working_days: frozenset[datetime.date]
    loaded_at: float


_entered_by_year: dict[int, _EnteredDays] = {}


def calendar_covers(year: int) -> bool:
    """Whether ``chinese_calendar`` publishes the official holidays of ``year``."""
    return _FIRST_COVERED_YEAR <= year <= _LAST_COVERED_YEAR


def is_working_day(day: datetime.date) -> bool:
    """Whether people work on ``day``: the official calendar's answer for a covered year
    (调休 weekend days work, the National Day week does not); otherwise Monday to Friday
    except the holidays the street admin entered, plus the days entered as 调休上班."""
    if calendar_covers(day.year):
        return _officially_working(day)
    entered = _entered_days(day.year)
    if day in entered.working_days:
        return True
    if day in entered.holidays:
        return False
    return day.weekday() < 5


@functools.lru_cache(maxsize=4096)
def _officially_working(day: datetime.date) -> bool:
    """The official calendar's answer, remembered: it never changes for a covered year,
    and asking ``chinese_calendar`` costs more than the rest of judging a report."""
    return bool(chinese_calendar.is_workday(day))


def next_working_day(day: datetime.date) -> datetime.date:
    """``day`` itself when it is a working day, else the first working day after it."""
    candidate = day
    for _ in range(LONGEST_RUN_OF_DAYS_OFF + 1):
        if is_working_day(candidate):
            return candidate
        candidate += datetime.timedelta(days=1)
    return day


def clear_cache() -> None:
    """Forget the days entered for every year; the next question reads them again."""
    _entered_by_year.clear()


def _entered_days(year: int) -> _EnteredDays:
    now = time.time()
    entered = _entered_by_year.get(year)
    # A clock set back (or a test travelling in time) expires the copy as well.
    if entered is None or not 0 <= now - entered.loaded_at < CACHE_SECONDS:
        entered = _load_entered_days(year, now)
        _entered_by_year[year] = entered
    return entered


def _load_entered_days(year: int, now: float) -> _EnteredDays:
    from .models import CalendarDay  # the models ask this module for their deadlines

    holidays: set[datetime.date] = set()
    working_days: set[datetime.date] = set()
    for day, kind in CalendarDay.objects.filter(date__year=year).values_list("date", "kind"):
        (working_days if kind == CalendarDay.Kind.WORKING_DAY else holidays).add(day)
    return _EnteredDays(
        holidays=frozenset(holidays), working_days=frozenset(working_days), loaded_at=now
    )
