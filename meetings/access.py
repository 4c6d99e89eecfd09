"""Who may see and record meetings, written once. Views, forms and querysets ask these.

Recording (scheduling, recording, editing, cancelling, attaching files):

- the **street admin** (the role's global ``meetings.change_meeting`` permission, granted
  by ``meetings/migrations/0002``): every duty, for every party;
- **lead-unit staff** (``review_reports`` on a unit): the duties of the items their unit
  leads, for the street (street-level duties) and for any community assigned the item
  (社区自治办 item 14, 社区党建办 item 3, 城管中队 item 16);
- **community staff** (``file_reports`` on a community): the party-level duties of their
  community, for their community only;
- **leadership** records nothing.

Seeing: the street admin, leadership and unit staff see every community's meetings and
compliance; community staff see the street's meetings and their own community's, never
another community's.

Like ``communities.access``, the rules are ``Q`` objects over subqueries of guardian's
permission tables, so a filtered list stays one query however many meetings exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet

from communities import access
from communities.access import own_community_q
from communities.models import Community
from core.typing import AnyUser
from tasks.models import Item, Target

from .duties import Party, duties_owed, duty_parties, recurring_duties


def manages_all_meetings(user: AnyUser) -> bool:
    """The street admin: records and changes every meeting."""
    return isinstance(user, User) and user.has_perm("meetings.change_meeting")


def led_items(user: AnyUser) -> QuerySet[Item]:
    """Items led by a unit the user is staff of."""
    return Item.objects.filter(access.unit_q(user, access.REVIEW_REPORTS, "lead_unit_links__unit"))


def editable_q(user: AnyUser) -> Q:
    """Meetings the user may change: all for the street admin; those on items their unit
    leads; their own community's party-level meetings."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    if manages_all_meetings(user):
        return Q()
    return Q(target__item__in=led_items(user)) | (
        Q(target__level=Target.Level.PARTY) & own_community_q(user, "community")
    )


@dataclass(frozen=True)
class RecordingScope:
    """The duties a user may record meetings for, and for whom (``None``: the street)."""

    duties: list[Target]
    parties: dict[int, list[Party]]

    def __bool__(self) -> bool:
        return any(self.parties.values())

    @property
    def recordable_duties(self) -> list[Target]:
        return [duty for duty in self.duties if self.parties.get(duty.pk)]

    def allows(self, target: Target, community: Community | None) -> bool:
        wanted = community.pk if community is not None else None
        return any(
            (party.pk if party is not None else None) == wanted
            for party in self.parties.get(target.pk, [])
        )

    def communities(self) -> list[Community]:
        """Every community the user may record some duty for, in the street's order."""
        seen: dict[int, Community] = {}
        for parties in self.parties.values():
            for party in parties:
                if party is not None:
                    seen.setdefault(party.pk, party)
        return sorted(seen.values(), key=lambda c: (c.order, c.name))

    def includes_street(self) -> bool:
        return any(None in parties for parties in self.parties.values())


def recording_scope(
    user: AnyUser,
    duties: list[Target] | None = None,
    communities: QuerySet[Community] | None = None,
) -> RecordingScope:
    """What ``user`` may record, over the recurring duties of the active checklists (or
    the ``duties`` given), in a fixed number of queries; with ``communities``, for those
    communities (and the street) only, which a page about one community asks."""
    if not user.is_authenticated:
        return RecordingScope([], {})
    if duties is None:
        duties = recurring_duties()
    if not duties:
        return RecordingScope([], {})
    if manages_all_meetings(user):
        return RecordingScope(duties, duty_parties(duties, communities=communities))
    led_duties, own_duties = _led_and_own(user, duties)
    parties = duty_parties(led_duties, communities=communities) if led_duties else {}
    if own_duties:
        own = Community.objects.filter(own_community_q(user, "pk"))
        if communities is not None:
            own = own.filter(pk__in=communities)
        parties |= duty_parties(own_duties, communities=own)
    return RecordingScope(duties, parties)


def _led_and_own(user: AnyUser, duties: list[Target]) -> tuple[list[Target], list[Target]]:
    """The duties of items the user's unit leads, and the party-level others (which the
    user records for their own community). One query."""
    duty_items = {duty.item_id for duty in duties}
    led = set(led_items(user).filter(pk__in=duty_items).values_list("pk", flat=True))
    led_duties = [duty for duty in duties if duty.item_id in led]
    own_duties = [
        duty for duty in duties if duty.item_id not in led and duty.level == Target.Level.PARTY
    ]
    return led_duties, own_duties


def may_record(user: AnyUser, duties: list[Target]) -> bool:
    """Whether ``recording_scope(user, duties)`` allows anything, without listing every
    party (a street of thousands of communities): two queries at most."""
    if not user.is_authenticated or not duties:
        return False
    if manages_all_meetings(user):
        return duties_owed(duties)
    led_duties, own_duties = _led_and_own(user, duties)
    if led_duties and duties_owed(led_duties):
        return True
    own = Community.objects.filter(own_community_q(user, "pk"))
    return bool(own_duties) and duties_owed(own_duties, communities=own, include_street=False)
