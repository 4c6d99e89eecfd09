"""Writing a period, a day or a year for people, in the language of the page: the one home
for 2017年7月 / July 2017, 7月3日 / 3 July, 7月 / July, 2017年度 / 2017.

The formats are Django's, by language (``FORMAT_MODULE_PATH``, ``yijia/formats/<lang>/``):
``YEAR_MONTH_FORMAT``, ``MONTH_DAY_FORMAT`` and the portal's ``MONTH_FORMAT``. Templates ask
the same formats directly (``|date:"MONTH_DAY_FORMAT"``) or through the filters of
``{% load dates %}`` (``core/templatetags/dates.py``) when they hold a year and a month
rather than a date.

Text stored for later (a reminder, a notice) is written in Chinese whatever the page's
language: its writer wraps the call in ``translation.override(settings.LANGUAGE_CODE)``.
"""

from __future__ import annotations

import datetime

from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.translation import gettext, pgettext, pgettext_lazy

WEEKDAYS = [
    pgettext_lazy("weekday", "周一"),
    pgettext_lazy("weekday", "周二"),
    pgettext_lazy("weekday", "周三"),
    pgettext_lazy("weekday", "周四"),
    pgettext_lazy("weekday", "周五"),
    pgettext_lazy("weekday", "周六"),
    pgettext_lazy("weekday", "周日"),
]


def month_label(year: int, month: int) -> str:
    """2017年7月 / July 2017."""
    return date_format(datetime.date(year, month, 1), "YEAR_MONTH_FORMAT")


def month_name(month: int) -> str:
    """A month of the year on its own: 7月 / July."""
    return date_format(datetime.date(2000, month, 1), "MONTH_FORMAT")


month_name_lazy = lazy(month_name, str)


def day_label(day: datetime.date) -> str:
    """A day within the year: 7月3日 / 3 July."""
    return date_format(day, "MONTH_DAY_FORMAT")


def day_with_weekday(day: datetime.date) -> str:
    """7月3日(周一) / Mon 3 July."""
    return pgettext("a day and its weekday", "%(day)s(%(weekday)s)") % {
        "day": day_label(day),
        "weekday": WEEKDAYS[day.weekday()],
    }


def year_label(year: int) -> str:
    """A calendar year: 2017年 / 2017."""
    return gettext("%(year)s年") % {"year": year}


def checklist_year_label(year: int) -> str:
    """A checklist's year: 2017年度 / 2017."""
    return gettext("%(year)s年度") % {"year": year}
