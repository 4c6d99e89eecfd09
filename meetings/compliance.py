"""Whether each recurring duty was done: per party (a community, or the street) and month.

The rules (``docs/meetings.md``):

- Only **held** meetings count (scheduled and cancelled ones do not), on the day they were
  held in Shanghai time.
- **Monthly** (item 3's decision meeting, item 14's street-level joint meeting): at least
  one held in the calendar month.
- **Every two weeks / weekly** (item 14's community-level joint meeting, item 16's contact
  with 城管): at least ``Target.required_occurrences`` held in the month (2 and 4), *and*
  no day of the month on which the last meeting held before that day lies more than 14 (7)
  days back. Consecutive meetings may be 14 days apart (the 1st and the 15th), not 15; the
  last meeting of the month before counts, so a gap that runs into the month counts
  against the month too.
- Duties are owed from the first month after the checklist was issued
  (``duties.duties_start``); the count starts there as if a meeting had been held the day
  before, so the first meeting of a fortnightly duty is due within its first 14 days.
- A month still running is **in progress** (推进中) until it is certain: **met** (达标)
  once enough meetings were held and the last one keeps the duty covered to the month's
  end; **behind** (滞后) as soon as a gap has overrun, which no later meeting can undo.
  A month that has ended is met or behind.

Everything is computed from two queries on meetings (the months asked for, and the last
meeting before them), however many communities there are.
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from communities.models import Community
from core.dates import day_label
from tasks.models import Assignment, Checklist, Target
from tasks.registers import Figure, FigureKey

from .duties import STREET, Party, duties_start, duty_parties, recurring_duties
from .models import Meeting, month_bounds

Verdict = Target.Verdict
ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class DutyMonth:
    """One recurring duty of one party in one month, judged."""

    duty: Target
    community: Community | None  # None: the street
    year: int
    month: int
    held: int
    required: int
    last_held_on: datetime.date | None  # the last meeting held by the month's end
    overdue_on: datetime.date | None  # the first day of the month the duty was overdue
    verdict: Target.Verdict

    @property
    def is_met(self) -> bool:
        return self.verdict == Verdict.MET

    @property
    def measured(self) -> str:
        return f"{self.held}/{self.required}"

    @property
    def explanation(self) -> str:
        """Why, in a sentence (the badge's title)."""
        if self.overdue_on is not None:
            return gettext("%(day)s起距上次开展已超过 %(days)s 天") % {
                "day": day_label(self.overdue_on),
                "days": Target.PERIOD_DAYS[Target.Period(self.duty.period)],
            }
        if self.held < self.required:
            return gettext("本月已开展 %(held)s 次,要求至少 %(required)s 次") % {
                "held": self.held,
                "required": self.required,
            }
        if self.verdict == Verdict.ON_TRACK:
            return gettext("本月次数已够,还需按期开展到月底")
        return gettext("本月开展次数和间隔均达到要求")


def judge_duty_month(
    *,
    duty: Target,
    community: Community | None,
    year: int,
    month: int,
    held_on: Iterable[datetime.date],
    held_before: datetime.date | None,
    start: datetime.date,
    today: datetime.date,
) -> DutyMonth:
    """Judge one party's duty for ``year``-``month`` from the days its meetings were held
    in the month (one entry per meeting) and the day of the last one before the month.
    ``start`` is the first day the duty is owed; the month must not lie before it, nor
    after ``today``."""
    first = datetime.date(year, month, 1)
    last = datetime.date(year, month, calendar.monthrange(year, month)[1])
    days = sorted(day for day in held_on if first <= day <= last)
    required = duty.required_occurrences(year, month)
    ended = today > last
    overdue_on = None
    covered_to_month_end = True
    period = Target.PERIOD_DAYS.get(Target.Period(duty.period))
    if period is not None:
        anchor = max(held_before or start - ONE_DAY, start - ONE_DAY)
        points = [anchor, *sorted(set(days))]
        for index, since in enumerate(points):
            following = points[index + 1] if index + 1 < len(points) else None
            # From ``since`` on, the duty is overdue the day after it fell due, until (and
            # including) the day the next meeting is finally held.
            overdue = since + datetime.timedelta(days=period + 1)
            until = following if following is not None else min(last, today)
            if max(overdue, first) <= until:
                overdue_on = max(overdue, first)
                break
        covered_to_month_end = points[-1] + datetime.timedelta(days=period) >= last
    enough = len(days) >= required
    if overdue_on is not None:
        verdict = Verdict.BEHIND
    elif enough and (ended or covered_to_month_end):
        verdict = Verdict.MET
    else:
        verdict = Verdict.BEHIND if ended else Verdict.ON_TRACK
    return DutyMonth(
        duty=duty,
        community=community,
        year=year,
        month=month,
        held=len(days),
        required=required,
        last_held_on=days[-1] if days else held_before,
        overdue_on=overdue_on,
        verdict=verdict,
    )


# Up to this many communities, the meetings are read for those parties only (an index
# range per community); beyond, for the whole street (the office's table of every party).
PARTIES_READ_BY_KEY = 500


def _parties_q(parties: dict[int, list[Party]]) -> Q:
    """The meetings of the parties judged: their communities' and, when the street owes a
    duty, the street's; every meeting when the communities are too many to name."""
    communities = {party.pk for owed in parties.values() for party in owed if party is not None}
    if len(communities) > PARTIES_READ_BY_KEY:
        return Q()
    wanted = Q(community__in=sorted(communities))
    if any(STREET in owed for owed in parties.values()):
        wanted |= Q(community__isnull=True)
    return wanted


def _judge(
    duties: Sequence[Target],
    parties: dict[int, list[Party]],
    *,
    checklist: Checklist,
    months: Sequence[int],
    today: datetime.date,
    community: Community | None = None,
) -> dict[tuple[int, int | None, int], DutyMonth]:
    """Every (duty, party, month) judged, keyed by (target pk, community pk or None,
    month). Two queries: the held meetings of the months, the last held before them, of
    the parties in ``parties`` only (``_parties_q``)."""
    start = duties_start(checklist)
    months = sorted(
        month
        for month in months
        if start.replace(day=1) <= datetime.date(checklist.year, month, 1) <= today
    )
    if not months or not duties:
        return {}
    range_start, _ = month_bounds(checklist.year, min(months))
    _, range_end = month_bounds(checklist.year, max(months))
    held = Meeting.objects.held().filter(target__in=[duty.pk for duty in duties])
    if community is not None:
        held = held.filter(community=community)
    else:
        held = held.filter(_parties_q(parties))
    days: dict[tuple[int, int | None], list[datetime.date]] = defaultdict(list)
    for target_id, community_id, starts_at in held.filter(
        starts_at__gte=range_start, starts_at__lt=range_end
    ).values_list("target_id", "community_id", "starts_at"):
        days[target_id, community_id].append(timezone.localdate(starts_at))
    earlier: dict[tuple[int, int | None], datetime.date] = {}
    owed_from, _ = month_bounds(start.year, start.month)
    if range_start > owed_from:
        for row in (
            held.filter(starts_at__gte=owed_from, starts_at__lt=range_start)
            .values("target_id", "community_id")
            .annotate(last=Max("starts_at"))
            .order_by()
        ):
            earlier[row["target_id"], row["community_id"]] = timezone.localdate(row["last"])

    judged = {}
    for duty in duties:
        for party in parties.get(duty.pk, []):
            key = (duty.pk, party.pk if party is not None else None)
            party_days = days.get(key, [])
            for month in months:
                first = datetime.date(checklist.year, month, 1)
                earlier_in_range = [day for day in party_days if day < first]
                judged[(*key, month)] = judge_duty_month(
                    duty=duty,
                    community=party,
                    year=checklist.year,
                    month=month,
                    held_on=party_days,
                    held_before=max(earlier_in_range) if earlier_in_range else earlier.get(key),
                    start=start,
                    today=today,
                )
    return judged


@dataclass(frozen=True)
class ComplianceRow:
    """One party's duties in a month: a cell per duty column, None where the party does not
    owe that duty (the street owes no community duty, a community no street duty)."""

    community: Community | None
    cells: list[DutyMonth | None]

    @property
    def label(self) -> str:
        return self.community.name if self.community is not None else gettext("街道")

    @property
    def behind(self) -> int:
        return sum(1 for cell in self.cells if cell and cell.verdict == Verdict.BEHIND)


@dataclass(frozen=True)
class MonthCompliance:
    """The street's recurring duties in one month: rows = communities and the street,
    columns = duties; a page of the communities at a time (``rows``), the street's row on
    the last page."""

    checklist: Checklist
    year: int
    month: int
    duties: list[Target]
    rows: list[ComplianceRow]
    starts_on: datetime.date  # the duties are owed from this day
    judged: bool  # False for a month before the duties start or after today
    # The page of communities the rows show (``page.paginator.count``: all that owe a duty).
    page: Page[Community] | None = None
    named: str = ""  # the part of a name the rows were found by

    @property
    def behind(self) -> int:
        """The cells behind in the rows shown (every party's unless ``partial``)."""
        return sum(row.behind for row in self.rows)

    @property
    def partial(self) -> bool:
        """Whether the rows are some of the street's only (a page, or those named)."""
        return bool(self.named) or (self.page is not None and self.page.has_other_pages())


# The office's table shows this many communities a page (a district has hundreds).
COMPLIANCE_ROWS_PER_PAGE = 50


def owing_communities(duties: Sequence[Target]) -> QuerySet[Community]:
    """The active communities assigned the item of a party-level duty, in the street's
    order (as ``duty_parties`` lists them): the rows of the office's table."""
    items = {duty.item_id for duty in duties if duty.level == Target.Level.PARTY}
    if not items:
        return Community.objects.none()
    assigned = Assignment.objects.filter(item__in=sorted(items), community=OuterRef("pk"))
    return Community.objects.filter(Exists(assigned), is_active=True).order_by(
        "order", "name", "pk"
    )


def month_compliance(
    *,
    checklist: Checklist,
    year: int,
    month: int,
    today: datetime.date,
    page: int = 1,
    name: str = "",
    per_page: int = COMPLIANCE_ROWS_PER_PAGE,
) -> MonthCompliance:
    """How the parties did on every recurring duty of ``checklist`` in ``year``-``month``:
    the office's table, ``page`` of its communities (``per_page`` a page; those whose name
    holds ``name`` when given, the street then left out), the street's row on the last
    page. Six queries, whatever the number of communities: the duties, the communities
    (count, page), their assignments, the held meetings of the month and the last before
    it, of the page's parties only. ``EmptyPage`` for a page that does not exist."""
    duties = recurring_duties(checklist)
    owing = owing_communities(duties)
    if name:
        owing = owing.filter(name__icontains=name)
    shown = Paginator(owing, per_page).page(page)
    on_page = list(shown.object_list)
    parties = duty_parties(
        duties,
        communities=Community.objects.filter(pk__in=[c.pk for c in on_page]),
        include_street=not shown.has_next() and not name,
    )
    judged = (
        _judge(duties, parties, checklist=checklist, months=[month], today=today)
        if year == checklist.year
        else {}
    )
    ordered: list[Community | None] = [*on_page]
    if any(STREET in party_list for party_list in parties.values()):
        ordered.append(STREET)
    rows = [
        ComplianceRow(
            community=party,
            cells=[
                judged.get((duty.pk, party.pk if party is not None else None, month))
                for duty in duties
            ],
        )
        for party in ordered
    ]
    return MonthCompliance(
        checklist=checklist,
        year=year,
        month=month,
        duties=duties,
        rows=rows,
        starts_on=duties_start(checklist),
        judged=bool(judged),
        page=shown,
        named=name,
    )


@dataclass(frozen=True)
class CommunityMonth:
    """One month of a community's year: a cell per duty the community owes."""

    month: int
    cells: list[DutyMonth | None]


@dataclass(frozen=True)
class CommunityYear:
    """A community's recurring duties month by month, for the months of the year so far."""

    checklist: Checklist
    community: Community
    duties: list[Target]
    months: list[CommunityMonth]
    starts_on: datetime.date


def community_year_compliance(
    *, checklist: Checklist, community: Community, today: datetime.date
) -> CommunityYear:
    """How ``community`` did on each of its recurring duties in each month of the year so
    far (from the month the duties start). Four queries."""
    duties = recurring_duties(checklist)
    parties = duty_parties(
        duties, communities=Community.objects.filter(pk=community.pk), include_street=False
    )
    own = [duty for duty in duties if parties.get(duty.pk)]
    last_month = 12 if today.year > checklist.year else today.month
    months = range(1, last_month + 1) if today.year >= checklist.year else range(0)
    judged = _judge(
        own, parties, checklist=checklist, months=months, today=today, community=community
    )
    start = duties_start(checklist)
    rows = [
        CommunityMonth(
            month=month, cells=[judged.get((duty.pk, community.pk, month)) for duty in own]
        )
        for month in months
        if datetime.date(checklist.year, month, 1) >= start.replace(day=1)
    ]
    return CommunityYear(
        checklist=checklist, community=community, duties=own, months=rows, starts_on=start
    )


def year_compliance(
    *,
    checklist: Checklist,
    months: Sequence[int],
    today: datetime.date,
    community: Community | None = None,
) -> dict[tuple[int, int | None, int], DutyMonth]:
    """Every recurring duty of every party in ``months`` of the checklist's year, judged,
    keyed by (target pk, community pk or None for the street, month): the assessment's
    meeting compliance; with ``community``, that community's duties alone (its score
    sheet). Three queries, whatever the number of communities."""
    duties = recurring_duties(checklist)
    if community is None:
        parties = duty_parties(duties)
    else:
        own = Community.objects.filter(pk=community.pk)
        parties = duty_parties(duties, communities=own, include_street=False)
    return _judge(
        duties, parties, checklist=checklist, months=months, today=today, community=community
    )


def assignment_figures(
    *,
    checklist: Checklist,
    assignments: Sequence[Assignment],
    months: Sequence[int],
    today: datetime.date | None = None,
) -> dict[FigureKey, Figure]:
    """The figure source of frequency targets (``tasks.registers``, registered by
    ``MeetingsConfig.ready``): each frequency target of ``assignments`` (their item's
    targets prefetched) judged in ``months`` exactly as ``year_compliance`` judges it,
    keyed by (target pk, assignment pk, month). A street-level assignment stands for the
    street; a community's for the community while it is active (as ``duty_parties``).
    Months before the duties start or after ``today`` are not judged (no figure). Three
    queries at most, whatever the number of assignments and months."""
    today = timezone.localdate() if today is None else today
    wanted = {
        assignment.pk: [t for t in assignment.targets() if t.kind == Target.Kind.FREQUENCY]
        for assignment in assignments
    }
    community_field = Assignment._meta.get_field("community")
    communities: dict[int, Community] = {}
    missing: set[int] = set()
    for assignment in assignments:
        if assignment.community_id is None or assignment.is_street_level:
            continue
        if community_field.is_cached(assignment):
            community = assignment.community
            if community is not None and community.is_active:
                communities[community.pk] = community
        else:
            missing.add(assignment.community_id)
    if missing:  # one query for the communities not loaded with their assignments
        communities.update(Community.objects.filter(is_active=True).in_bulk(missing))
    duties: dict[int, Target] = {}
    parties: dict[int, list[Party]] = defaultdict(list)
    owed: set[tuple[int, int | None]] = set()
    owners: list[tuple[Assignment, Target, int | None]] = []
    for assignment in assignments:
        for duty in wanted[assignment.pk]:
            if duty.level == Target.Level.STREET:
                party: Party = STREET
            else:
                party = communities.get(assignment.community_id or 0)
                if party is None:  # a unit's, or an inactive community's: nobody owes it
                    continue
            party_pk = party.pk if party is not None else None
            duties[duty.pk] = duty
            if (duty.pk, party_pk) not in owed:
                owed.add((duty.pk, party_pk))
                parties[duty.pk].append(party)
            owners.append((assignment, duty, party_pk))
    judged = _judge(list(duties.values()), parties, checklist=checklist, months=months, today=today)
    figures = {}
    for assignment, duty, party_pk in owners:
        for month in months:
            cell = judged.get((duty.pk, party_pk, month))
            if cell is not None:
                figures[duty.pk, assignment.pk, month] = Figure(
                    verdict=cell.verdict,
                    measured=f"{cell.measured} 次",
                    explanation=cell.explanation,
                )
    return figures
