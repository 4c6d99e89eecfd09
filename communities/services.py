"""Writes to communities, units and memberships, each in one transaction."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from guardian.shortcuts import assign_perm, remove_perm

from . import access
from .models import (
    Community,
    CommunityUserObjectPermission,
    Membership,
    Unit,
    UnitUserObjectPermission,
)

COMMUNITY_PERMISSIONS = (f"communities.{access.FILE_REPORTS}",)
UNIT_PERMISSIONS = (f"communities.{access.FILE_REPORTS}", f"communities.{access.REVIEW_REPORTS}")


@transaction.atomic
def membership_add(
    *, user: User, community: Community | None = None, unit: Unit | None = None
) -> Membership:
    """Make ``user`` staff of a community (they file its reports) or of a unit (they file
    for the unit's assignments and review reports on the items it leads)."""
    if (community is None) == (unit is None):
        raise ValidationError("任职须且只能指定一个社区或一个单位。")
    membership, _ = Membership.objects.get_or_create(user=user, community=community, unit=unit)
    membership_grant_permissions(membership=membership)
    return membership


def _permissions(model: type[models.Model], perms: Sequence[str]) -> list[Permission]:
    """The ``Permission`` rows of ``app.codename`` names on ``model``."""
    return list(
        Permission.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            codename__in=[perm.split(".", 1)[1] for perm in perms],
        )
    )


@transaction.atomic
def memberships_add_in_bulk(
    *,
    places: Sequence[tuple[User, Community | None, Unit | None]],
    batch_size: int = 2000,
) -> list[Membership]:
    """``membership_add`` for many new people at once (synthetic data at scale): the same
    memberships and object permissions, written with a few bulk inserts. The users must
    be saved and have no membership yet."""
    if any((community is None) == (unit is None) for _user, community, unit in places):
        raise ValidationError("任职须且只能指定一个社区或一个单位。")
    memberships = Membership.objects.bulk_create(
        [Membership(user=user, community=community, unit=unit) for user, community, unit in places],
        batch_size=batch_size,
    )
    community_permissions = _permissions(Community, COMMUNITY_PERMISSIONS)
    unit_permissions = _permissions(Unit, UNIT_PERMISSIONS)
    CommunityUserObjectPermission.objects.bulk_create(
        [
            CommunityUserObjectPermission(user=user, permission=perm, content_object=community)
            for user, community, _unit in places
            if community is not None
            for perm in community_permissions
        ],
        batch_size=batch_size,
    )
    UnitUserObjectPermission.objects.bulk_create(
        [
            UnitUserObjectPermission(user=user, permission=perm, content_object=unit)
            for user, _community, unit in places
            if unit is not None
            for perm in unit_permissions
        ],
        batch_size=batch_size,
    )
    # Bulk inserts send no signal: what sessions remember of these users is read afresh.
    access.access_changed()
    return memberships


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
