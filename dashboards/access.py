"""Who sees the dashboards, which matrix cells open a report, who may urge (催办).

The street admin, leadership and lead-unit staff open the dashboards; community staff
file and have their own pages. Leadership only reads. The street admin urges any late
party; lead-unit staff urge the parties of the items their unit leads.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from django.contrib.auth.models import AbstractBaseUser, Permission
from django.db.models import Exists, OuterRef, Q, QuerySet

from communities import access
from communities.models import Unit
from core.typing import AnyUser

from .models import AssignmentMonth

ASKED = (access.VIEW_DASHBOARD, access.URGE_PARTIES, access.VIEW_ALL_REPORTS)


@dataclass(frozen=True)
class Reach:
    """What one user may do from a dashboard, worked out once per page (at most two
    queries) and then asked per cell without touching the database."""

    may_view: bool
    sees_everything: bool
    urges_everywhere: bool
    led_items: frozenset[int] = field(default_factory=frozenset)
    own_units: frozenset[int] = field(default_factory=frozenset)

    def may_open(self, cell: AssignmentMonth) -> bool:
        """Whether the cell's report page would open for the user (mirrors
        ``ProgressReport.objects.visible_to``)."""
        if cell.report_id is None:
            return False
        if self.sees_everything or cell.unit_id in self.own_units:
            return True
        return cell.item_id in self.led_items and cell.state != AssignmentMonth.State.DRAFT

    def may_urge(self, item_id: int) -> bool:
        return self.urges_everywhere or item_id in self.led_items

    @property
    def urges_anything(self) -> bool:
        return self.urges_everywhere or bool(self.led_items)


def _permissions(user: AbstractBaseUser) -> set[str]:
    """The user's global permissions among those the dashboards ask about, in one query
    (``has_perm`` would take two)."""
    codenames = [name.split(".")[1] for name in ASKED]
    granted = (
        Permission.objects.filter(Q(user=user) | Q(group__user=user), codename__in=codenames)
        .values_list("content_type__app_label", "codename")
        .distinct()
    )
    return {f"{app}.{codename}" for app, codename in granted} & set(ASKED)


def reach_of(user: AnyUser) -> Reach:
    """The user's reach, in at most two queries."""
    if not user.is_authenticated or not user.is_active:
        return Reach(may_view=False, sees_everything=False, urges_everywhere=False)
    if user.is_superuser:
        return Reach(may_view=True, sees_everything=True, urges_everywhere=True)
    granted = _permissions(user)
    reach = Reach(
        may_view=access.VIEW_DASHBOARD in granted,
        sees_everything=access.VIEW_ALL_REPORTS in granted,
        urges_everywhere=access.URGE_PARTIES in granted,
    )
    if not reach.may_view or reach.sees_everything:
        return reach
    units = Unit.objects.filter(
        access.unit_q(user, access.FILE_REPORTS, "pk")
        | access.unit_q(user, access.REVIEW_REPORTS, "pk")
    ).annotate(
        files=Exists(_unit_permission(user, access.FILE_REPORTS)),
        reviews=Exists(_unit_permission(user, access.REVIEW_REPORTS)),
    )
    own, led = set(), set()
    for unit_id, files, reviews, item_id in units.values_list(
        "pk", "files", "reviews", "lead_item_links__item_id"
    ):
        if files:
            own.add(unit_id)
        if reviews and item_id is not None:
            led.add(item_id)
    return replace(reach, led_items=frozenset(led), own_units=frozenset(own))


def _unit_permission(user: AbstractBaseUser, codename: str) -> QuerySet[Unit]:
    """The unit of the outer row, if the user holds ``codename`` on it."""
    return Unit.objects.filter(access.unit_q(user, codename, "pk"), pk=OuterRef("pk"))
