"""Filters for a period held as numbers, in the page's language (``core.dates``):

- ``{{ year|month_label:month }}``: 2017年7月 / July 2017;
- ``{{ month|month_name }}``: 7月 / July;
- ``{{ year|checklist_year }}``: 2017年度 / 2017.

A date or datetime uses Django's formats directly: ``|date:"MONTH_DAY_FORMAT"`` (7月3日 /
3 July), ``|date:"YEAR_MONTH_FORMAT"``, ``|date:"DATE_FORMAT"`` (2017年7月3日 / 3 July 2017),
``|date:"MONTH_DAY_TIME_FORMAT"`` (7月3日 14:05 / 3 July 14:05), ``|date:"DATETIME_FORMAT"``.
"""

from __future__ import annotations

from django import template

from core import dates

register = template.Library()


@register.filter
def month_label(year: int, month: int) -> str:
    return dates.month_label(int(year), int(month))


@register.filter
def month_name(month: int) -> str:
    return dates.month_name(int(month))


@register.filter
def checklist_year(year: int) -> str:
    return dates.checklist_year_label(int(year))
