"""The filing calendar's rules, each written once: which month is being filed, an
assignment's filing deadline once extensions are granted, and when a month's report is
late. Models, views, the summary tables' SQL, the reminders and the urging notices all
ask here.

- The month being filed is the previous month: July's progress is filed in August.
- A month's filing deadline is the checklist's (``Checklist.filing_deadline``, a working
  day), or the latest extension the lead unit granted, moved to a working day as well.
- A report is late when its first submission came after the deadline (filed late), or
  when it is still not submitted once the deadline has passed (overdue). A report returned
  for corrections is not late again: the first submission counts.

The SQL forms (``overdue_q``, ``filed_late_q``, ``filed_on_time_q``, ``late_q``) say the
same over any table with a first-submission date and a deadline column, such as the
dashboards' ``AssignmentMonth``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import F, Q

from .workdays import next_working_day

# The columns of a summary row (``dashboards.AssignmentMonth``) the SQL forms read.
SUBMITTED_ON = "first_submitted_on"
DEADLINE = "deadline"


def month_being_filed(today: datetime.date) -> tuple[int, int]:
    """(year, month) whose report is filed on ``today``: the previous month."""
    last = today.replace(day=1) - datetime.timedelta(days=1)
    return last.year, last.month


def deadline_with_extensions(
    deadline: datetime.date, granted: Iterable[datetime.date]
) -> datetime.date:
    """The checklist's ``deadline`` for a month, or later where extensions to the
    ``granted`` dates were granted; a granted date on a day off moves to the next working
    day, as the checklist's own does."""
    return max([deadline, *(next_working_day(day) for day in granted)])


def deadline_passed(deadline: datetime.date, today: datetime.date) -> bool:
    """Whether the filing deadline is behind us: the deadline day itself is still on time."""
    return today > deadline


def is_overdue(
    *, submitted_on: datetime.date | None, deadline: datetime.date, today: datetime.date
) -> bool:
    """Not submitted, and the deadline has passed (逾期未报)."""
    return submitted_on is None and deadline_passed(deadline, today)


def is_filed_late(*, submitted_on: datetime.date | None, deadline: datetime.date) -> bool:
    """First submitted after the deadline (逾期报送)."""
    return submitted_on is not None and deadline_passed(deadline, submitted_on)


def is_late(
    *, submitted_on: datetime.date | None, deadline: datetime.date, today: datetime.date
) -> bool:
    """Filed late, or overdue (``submitted_on``: the day of the first submission)."""
    if submitted_on is not None:
        return is_filed_late(submitted_on=submitted_on, deadline=deadline)
    return is_overdue(submitted_on=None, deadline=deadline, today=today)


def overdue_q(
    today: datetime.date, *, submitted_on: str = SUBMITTED_ON, deadline: str = DEADLINE
) -> Q:
    """``is_overdue`` in SQL, over the columns named."""
    return Q(**{f"{submitted_on}__isnull": True, f"{deadline}__lt": today})


def filed_late_q(*, submitted_on: str = SUBMITTED_ON, deadline: str = DEADLINE) -> Q:
    """``is_filed_late`` in SQL, over the columns named."""
    return Q(**{f"{submitted_on}__gt": F(deadline)})


def filed_on_time_q(*, submitted_on: str = SUBMITTED_ON, deadline: str = DEADLINE) -> Q:
    """Submitted, and not late: first submitted on or before the deadline (按时)."""
    return Q(**{f"{submitted_on}__lte": F(deadline)})


def late_q(
    today: datetime.date, *, submitted_on: str = SUBMITTED_ON, deadline: str = DEADLINE
) -> Q:
    """``is_late`` in SQL, over the columns named."""
    return overdue_q(today, submitted_on=submitted_on, deadline=deadline) | filed_late_q(
        submitted_on=submitted_on, deadline=deadline
    )
