"""The recurring duties of a checklist and who owes them.

A recurring duty is a frequency target (``Target.Kind.FREQUENCY``): item 14's street-level
monthly and community-level fortnightly joint meetings, item 3's monthly 党员议事会 decision
meeting, item 16's weekly contact between each 居委会 and 城管. A street-level duty is owed
by the street (``None`` below); a party-level one by each active community assigned its
item. Meetings record no unit, so a frequency target of an item assigned to units would
have no party here (the 2017 checklist has none).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.db.models import QuerySet

from communities.models import Community
from tasks.models import Assignment, Checklist, Target

# The party of a street-level duty.
STREET = None

Party = Community | None


def recurring_duties(checklist: Checklist | None = None) -> list[Target]:
    """The frequency targets of ``checklist``, or of every active checklist when None, in
    the checklist's order, with their items and checklists (one query)."""
    duties = Target.objects.filter(kind=Target.Kind.FREQUENCY).select_related("item__checklist")
    if checklist is None:
        duties = duties.filter(item__checklist__status=Checklist.Status.ACTIVE)
    else:
        duties = duties.filter(item__checklist=checklist)
    return list(duties.order_by("-item__checklist__year", "item__number", "order"))


def duty_parties(
    duties: Sequence[Target],
    *,
    communities: QuerySet[Community] | None = None,
    include_street: bool = True,
) -> dict[int, list[Party]]:
    """Who owes each duty, by target pk: ``[STREET]`` for a street-level duty, the active
    communities assigned its item (in the street's order) for a party-level one. With
    ``communities``, only those; without ``include_street``, street-level duties are owed
    by nobody. One query (none when there are no party-level duties)."""
    party_level = [duty for duty in duties if duty.level == Target.Level.PARTY]
    by_item: dict[int, list[Community]] = {}
    if party_level:
        assignments = Assignment.objects.filter(
            item__in={duty.item_id for duty in party_level},
            community__isnull=False,
            community__is_active=True,
        ).select_related("community")
        if communities is not None:
            assignments = assignments.filter(community__in=communities)
        for assignment in assignments.order_by("community__order", "community__name"):
            assert assignment.community is not None  # noqa: S101 (filtered above)
            by_item.setdefault(assignment.item_id, []).append(assignment.community)
    parties: dict[int, list[Party]] = {}
    for duty in duties:
        if duty.level == Target.Level.STREET:
            parties[duty.pk] = [STREET] if include_street else []
        else:
            parties[duty.pk] = list(by_item.get(duty.item_id, []))
    return parties


def duties_owed(
    duties: Sequence[Target],
    *,
    communities: QuerySet[Community] | None = None,
    include_street: bool = True,
) -> bool:
    """Whether anybody owes one of ``duties`` (as ``duty_parties`` would list a party),
    without listing the parties: at most one query (``EXISTS``)."""
    if include_street and any(duty.level == Target.Level.STREET for duty in duties):
        return True
    items = {duty.item_id for duty in duties if duty.level == Target.Level.PARTY}
    if not items:
        return False
    assignments = Assignment.objects.filter(
        item__in=sorted(items), community__isnull=False, community__is_active=True
    )
    if communities is not None:
        assignments = assignments.filter(community__in=communities)
    return assignments.exists()


def duties_start(checklist: Checklist) -> datetime.date:
    """The first day a checklist's recurring duties are owed: the first of its first month
    owed (``Checklist.first_month_owed``; the 2017 checklist, in force from 28 June, from
    1 July). Months before are not judged."""
    return checklist.first_month_owed()
