"""What the header's search finds, by kind, each starting from the rule that says who may
see it: items of the checklists in use (every page lists them to everyone who logs in),
the communities ``communities.access.communities_visible_to`` gives, the units (their
names are on every item), and the reports ``ProgressReport.objects.visible_to`` gives.

A query is split into words (at most ``MAX_TERMS``); a row is found when it matches every
word. A word of digits is an item's number (and, for reports, a year); ``7月``,
``2017年7月``, ``2017-07``, ``July`` or ``Jul`` (the English pages write July 2017) is a
report's month; any other word is looked for in an item's text, its lead units' names, a
community's or unit's name. A report's narrative is not searched: at a
city's scale (millions of reports) that is a scan of every row, where the words above
narrow the rows through small tables first."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TypeVar

from django.db.models import Case, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, When

from communities import access
from communities.models import Community, Unit
from core.typing import AnyUser
from tasks.models import Item, ItemLeadUnit, ProgressReport, ProgressReportQuerySet
from tasks.periods import checklists_in_use

Named = TypeVar("Named", Community, Unit)

MAX_QUERY_LENGTH = 100
MAX_TERMS = 5
# An item's number or a report's year; longer digit strings are words (a 12345 hotline).
_NUMBER = re.compile(r"^[0-9]{1,4}$")
_MONTH = re.compile(r"^(?:(?P<year>[0-9]{4})年)?(?P<month>[0-9]{1,2})月(?:份)?$")
_ISO_MONTH = re.compile(r"^(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})$")
# The English pages write July 2017 (core.dates): "July" or "Jul" is a month whatever the
# page's language, and "2017" beside it a year as above.
_MONTH_NAMES = {
    name: number
    for number, full in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
    for name in (full, full[:3])
}


@dataclass(frozen=True)
class Term:
    text: str
    number: int | None = None  # the word is a number
    year: int | None = None  # the word names a month: ``2017年7月`` or ``7月``
    month: int | None = None


@dataclass(frozen=True)
class Query:
    text: str
    terms: list[Term] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.terms)


def parse_query(text: str) -> Query:
    """The words of ``text`` (trimmed to ``MAX_QUERY_LENGTH`` characters, at most
    ``MAX_TERMS`` words), each read as a number, a month or a word."""
    text = text.strip()[:MAX_QUERY_LENGTH]
    terms = []
    for word in text.split()[:MAX_TERMS]:
        month = _MONTH.match(word) or _ISO_MONTH.match(word)
        named = _MONTH_NAMES.get(word.lower().rstrip("."))
        if _NUMBER.match(word):
            terms.append(Term(word, number=int(word)))
        elif month and 1 <= int(month["month"]) <= 12:
            year = int(month["year"]) if month["year"] else None
            terms.append(Term(word, year=year, month=int(month["month"])))
        elif named is not None:
            terms.append(Term(word, month=named))
        else:
            terms.append(Term(word))
    return Query(text, terms)


def _all(conditions: list[Q]) -> Q:
    combined = Q()
    for condition in conditions:
        combined &= condition
    return combined


def items(query: Query) -> QuerySet[Item]:
    """Items of the checklists in use (drafts are not shown, as on the checklist page)
    matching every word: its number, its text, a lead unit's name. An item whose number is
    asked for comes first."""
    found = Item.objects.filter(checklist__in=checklists_in_use())
    conditions, numbers = [], []
    for term in query.terms:
        if term.month is not None:
            continue  # a month names reports, not items
        led_by = Exists(
            ItemLeadUnit.objects.filter(item=OuterRef("pk"), unit__name__icontains=term.text)
        )
        condition = Q(text__icontains=term.text) | Q(led_by)
        if term.number is not None:
            condition |= Q(number=term.number)
            numbers.append(term.number)
        conditions.append(condition)
    if not conditions:
        return found.none()
    return (
        found.filter(_all(conditions))
        .select_related("checklist", "pillar")
        .prefetch_related(
            Prefetch(
                "lead_unit_links",
                queryset=ItemLeadUnit.objects.select_related("unit").order_by("order"),
            )
        )
        .annotate(
            asked=Case(When(number__in=numbers, then=0), default=1, output_field=IntegerField())
        )
        .order_by("asked", "-checklist__year", "number")
    )


def _named(rows: QuerySet[Named], query: Query) -> QuerySet[Named]:
    """Rows whose name holds every word (a month names no community or unit)."""
    if not query or any(term.month is not None for term in query.terms):
        return rows.none()
    return rows.filter(_all([Q(name__icontains=term.text) for term in query.terms]))


def communities(user: AnyUser, query: Query) -> QuerySet[Community]:
    """Communities the user may open (``communities_visible_to``) by name."""
    return _named(access.communities_visible_to(user), query).order_by("order", "name")


def units(query: Query) -> QuerySet[Unit]:
    """Units by name; every page that lists items names them to everyone."""
    return _named(Unit.objects.all(), query).order_by("order", "name")


def reports(user: AnyUser, query: Query) -> ProgressReportQuerySet:
    """Reports the user may open (``ProgressReport.objects.visible_to``) matching every
    word: the item's number or the year, the month, the item's text, the party's name."""
    conditions = []
    for term in query.terms:
        if term.month is not None:
            month = Q(month=term.month)
            conditions.append(month & Q(year=term.year) if term.year else month)
            continue
        condition = (
            Q(assignment__item__text__icontains=term.text)
            | Q(assignment__community__name__icontains=term.text)
            | Q(assignment__unit__name__icontains=term.text)
        )
        if term.number is not None:
            condition |= Q(assignment__item__number=term.number) | Q(year=term.number)
        conditions.append(condition)
    found = ProgressReport.objects.visible_to(user)
    if not conditions:
        return found.none()
    return (
        found.filter(_all(conditions))
        .select_related(
            "assignment__item__checklist",
            "assignment__community",
            "assignment__unit",
        )
        .order_by(
            "-year",
            "-month",
            "assignment__item__number",
            "assignment__community__order",
            "assignment__unit__order",
            "pk",
        )
    )
