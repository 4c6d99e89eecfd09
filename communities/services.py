"""Writes to communities, units and memberships, each in one transaction."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from guardian.shortcuts import assign_perm, remove_perm

from . import access
from .models import Community, Membership, Unit

COMMUNITY_PERMISSIONS = (f"communities.{access.FILE_REPORTS}",)
UNIT_PERMISSIONS = (f"communities.{access.FILE_REPORTS}", f"communities.{access.REVIEW_REPORTS}")


@transaction.atomic
def membership_add(
    *, user: AbstractBaseUser, community: Community | None = None, unit: Unit | None = None
) -> Membership:
    """Make ``user`` staff of a community (they file its reports) or of a unit (they file
    for the unit's assignments and review reports on the items it leads)."""
    if (community is None) == (unit is None):
        raise ValidationError("任职须且只能指定一个社区或一个单位。")
    membership, _ = Membership.objects.get_or_create(user=user, community=community, unit=unit)
    membership_grant_permissions(membership=membership)
    return membership


def membership_grant_permissions(*, membership: Membership) -> None:
    """Give the object permissions a membership implies (idempotent)."""
    if membership.community is not None:
        for perm in COMMUNITY_PERMISSIONS:
            assign_perm(perm, membership.user, membership.community)
    if membership.unit is not None:
        for perm in UNIT_PERMISSIONS:
            assign_perm(perm, membership.user, membership.unit)


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    """End a membership and withdraw the object permissions it gave."""
    if membership.community is not None:
        for perm in COMMUNITY_PERMISSIONS:
            remove_perm(perm, membership.user, membership.community)
    if membership.unit is not None:
        for perm in UNIT_PERMISSIONS:
            remove_perm(perm, membership.user, membership.unit)
    membership.delete()


@transaction.atomic
def membership_move(
    *, membership: Membership, community: Community | None, unit: Unit | None
) -> Membership:
    """Move a member to another community or unit: the old permissions go, the new come."""
    user = membership.user
    membership_remove(membership=membership)
    return membership_add(user=user, community=community, unit=unit)
