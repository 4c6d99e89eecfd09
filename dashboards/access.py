"""Who sees the dashboards and who may urge (催办). Which matrix cells open a report is
not decided here: the matrix asks ``ProgressReport.objects.visible_to`` within its query.

The street admin, leadership and lead-unit staff open the dashboards; community staff
file and have their own pages. Leadership only reads. The street admin urges any late
party; lead-unit staff urge the parties of the items their unit leads.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from django.contrib.auth.models import User

from communities import access
from core.typing import AnyUser
from tasks.models import ItemLeadUnit


@dataclass(frozen=True)
class Reach:
    """What one user may do from a dashboard, worked out once per page (at most two
    queries) and then asked per cell without touching the database."""

    may_view: bool
    sees_everything: bool
    urges_everywhere: bool
    led_items: frozenset[int] = field(default_factory=frozenset)

    def may_urge(self, item_id: int) -> bool:
        return self.urges_everywhere or item_id in self.led_items

    @property
    def urges_anything(self) -> bool:
        return self.urges_everywhere or bool(self.led_items)

    def cache_key(self) -> str:
        """What a page rendered for this reach depends on, as a short cache key part."""
        led = ",".join(str(pk) for pk in sorted(self.led_items))
        return f"{int(self.may_view)}{int(self.sees_everything)}{int(self.urges_everywhere)}:{led}"


def reach_of(user: AnyUser) -> Reach:
    """The user's reach, in at most two queries. The first, of the user's permissions, is
    remembered for the rest of the request (``access.global_permissions``)."""
    if not isinstance(user, User) or not user.is_active:
        return Reach(may_view=False, sees_everything=False, urges_everywhere=False)
    if user.is_superuser:
        return Reach(may_view=True, sees_everything=True, urges_everywhere=True)
    granted = access.global_permissions(user)
    reach = Reach(
        may_view=access.VIEW_DASHBOARD in granted,
        sees_everything=access.VIEW_ALL_REPORTS in granted,
        urges_everywhere=access.URGE_PARTIES in granted,
    )
    if not reach.may_view or reach.sees_everything:
        return reach
    led = ItemLeadUnit.objects.filter(access.unit_q(user, access.REVIEW_REPORTS, "unit"))
    return replace(reach, led_items=frozenset(led.values_list("item_id", flat=True)))
