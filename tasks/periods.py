"""The period a page opens on, and the months the period picker offers: one home for
"which checklist and which month does a page show when the link names none".

The rule (``docs/rules.md``):

- **The checklist**: the latest one that is not archived — the one holding the month being
  filed (``filing.month_being_filed``) when it is not archived, so that in January the
  office still opens on December of last year's checklist while it is in use; when every
  checklist is archived, the latest one with a submitted report, else the latest. A year
  with no checklist is never the default while one exists (in December 2026 with only the
  2017 checklist, pages open on 2017). Drafts are never shown.
- **The month**, within that checklist's months owed:
  - filing pages (本月填报) open on the month being filed
    (``Checklist.month_being_filed``): that is where the work is;
  - the meetings list opens on this month when the checklist owes it (a meeting is
    recorded in the month it is held), else as a reading page;
  - reading pages (dashboard, matrix, briefing, item page, community page, ledgers,
    assessment) open on the month being filed when it has a submitted report,
    else on the latest month before it that has one (a closed year: its last month owed
    with reports; the current year early in a month: last month's figures rather than a
    page of 0.0 %), else on the month being filed.

``?period=2017-07`` (the picker) and ``?year=&month=`` (links in emails and inboxes) name a
period; bad values are 404 (``core.periods``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from core.dates import month_label, year_label
from core.periods import query_month, query_period, query_year

from .models import Checklist, ProgressReport


def _submitted_reports() -> QuerySet[ProgressReport]:
    # "Data": a report its party has submitted at least once (a draft is not yet a figure).
    return ProgressReport.objects.filter(first_submitted_at__isnull=False)


def checklists_in_use() -> QuerySet[Checklist]:
    """The checklists pages show and the picker offers: every one but the drafts."""
    return Checklist.objects.exclude(status=Checklist.Status.DRAFT)


def opening_checklists(today: datetime.date) -> QuerySet[Checklist]:
    """The checklists in use, the one a page opens on first (the module's rule, written on
    the model: ``Checklist.in_opening_order``); one query, which also gives the picker its
    years."""
    return Checklist.in_opening_order(today)


@dataclass(frozen=True)
class PageChecklists:
    """The checklists in use, in opening order (``opening_checklists``), loaded once for a
    page: the checklist the page shows is one of them, and the period picker offers them
    all, so that the picker costs no query of its own."""

    in_use: list[Checklist]

    @property
    def opening(self) -> Checklist | None:
        """The checklist a page opens on."""
        return self.in_use[0] if self.in_use else None

    def of_year(self, year: int | None) -> Checklist | None:
        """The checklist in use of ``year``; the opening one when ``year`` is None."""
        if year is None:
            return self.opening
        return next((checklist for checklist in self.in_use if checklist.year == year), None)

    def being_filed(self, today: datetime.date) -> tuple[int, int] | None:
        """``Checklist.being_filed`` read from the checklists loaded."""
        checklist = self.opening
        return None if checklist is None else (checklist.year, checklist.month_being_filed(today))


def page_checklists(today: datetime.date) -> PageChecklists:
    """The checklists in use for a page and its picker: one query."""
    return PageChecklists(list(opening_checklists(today)))


def opening_checklist(today: datetime.date) -> Checklist | None:
    """The checklist a page opens on; None when no checklist is in use."""
    return opening_checklists(today).first()


def opening_month(checklist: Checklist, today: datetime.date, *, filing_page: bool = False) -> int:
    """The month of ``checklist`` a page opens on (the module's rule): the month being
    filed on a filing page; on a reading page the latest month up to it with a submitted
    report (one query), or the month being filed when there is none."""
    month = checklist.month_being_filed(today)
    if filing_page:
        return month
    latest = (
        _submitted_reports()
        .filter(year=checklist.year, month__lte=month, month__in=checklist.months_owed())
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )
    return month if latest is None else latest


def opening_period(
    today: datetime.date, *, filing_page: bool = False, held_in_month: bool = False
) -> tuple[int, int] | None:
    """(year, month) a page opens on; None when no checklist is in use. On a filing page,
    ``Checklist.being_filed``. On a page of what is held in the month (the meetings list:
    a meeting is recorded in the month it is held, not filed after it), this month when
    the checklist owes it, else as a reading page."""
    if filing_page:
        return Checklist.being_filed(today)
    checklist = opening_checklist(today)
    if checklist is None:
        return None
    if held_in_month and checklist.owes_month(today.year, today.month):
        return today.year, today.month
    return checklist.year, opening_month(checklist, today)


def asked_period(request: HttpRequest) -> tuple[int | None, int | None]:
    """The (year, month) the address names: ``?period=2017-07`` (the picker), else
    ``?year=`` and ``?month=`` (links), each None when not given; 404 for a bad value."""
    period = query_period(request)
    if period is not None:
        return period
    return query_year(request), query_month(request)


# The picker.


def period_value(year: int, month: int) -> str:
    """A period as the picker submits it: ``2017-07``."""
    return f"{year:04d}-{month:02d}"


@dataclass(frozen=True)
class PeriodPicker:
    """What ``includes/period_picker.html`` draws: one ``<select name="period">`` of the
    months owed of the checklists in use (grouped by year when there are several), the
    page's other filters as hidden inputs."""

    groups: list[tuple[str, list[tuple[str, str]]]]
    selected: str
    hidden: list[tuple[str, str]] = field(default_factory=list)
    label: str = ""
    field_id: str = "period"

    @property
    def grouped(self) -> bool:
        return len(self.groups) > 1


def period_picker(
    checklists: Iterable[Checklist],
    *,
    year: int,
    month: int,
    keep: Mapping[str, str] | None = None,
    keep_names: Sequence[str] = (),
    label: str | None = None,
    field_id: str = "period",
) -> PeriodPicker:
    """The picker of the months owed of ``checklists`` (newest year first), with
    ``year``-``month`` selected (offered too when not owed, so that the page says what it
    shows), and the ``keep_names`` of ``keep`` (the page's other filters) as hidden
    inputs."""
    shown = sorted(checklists, key=lambda c: -c.year)
    groups = []
    for checklist in shown:
        months = checklist.months_owed()
        if checklist.year == year and month not in months:
            months = sorted([*months, month])
        groups.append(_group(checklist.year, months))
    if year not in {checklist.year for checklist in shown}:
        groups.insert(0, _group(year, [month]))
    hidden = [(name, keep[name]) for name in keep_names if keep and keep.get(name)]
    return PeriodPicker(
        groups=groups,
        selected=period_value(year, month),
        hidden=hidden,
        label=label or _("年月"),
        field_id=field_id,
    )


def _group(year: int, months: list[int]) -> tuple[str, list[tuple[str, str]]]:
    return (
        year_label(year),
        [(period_value(year, m), month_label(year, m)) for m in months],
    )
