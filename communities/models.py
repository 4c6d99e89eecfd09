"""Communities (居委会), their residential compounds, and the street's units."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords


class UnitQuerySet(models.QuerySet["Unit"]):
    def joint_meeting_members(self) -> UnitQuerySet:
        return self.filter(is_joint_meeting_member=True)


class Unit(models.Model):
    """A unit of the street: a lead unit (牵头单位) of items, or a responsible party."""

    class Kind(models.TextChoices):
        STREET_OFFICE = "street_office", _("街道内设机构")
        SERVICE_CENTRE = "service_centre", _("街道事业单位")
        DISTRICT_AGENCY = "district_agency", _("区级派驻机构")
        MASS_ORGANISATION = "mass_organisation", _("群团组织")

    # Every change, with who made it: the 修改记录 (docs/audit.md).
    history = HistoricalRecords()

    name = models.CharField(_("名称"), max_length=50, unique=True)
    kind = models.CharField(_("类别"), max_length=20, choices=Kind.choices)
    is_joint_meeting_member = models.BooleanField(
        _("联席会议成员单位"),
        default=True,
        help_text=_(
            "街道住宅小区综合治理联席会议的成员单位;责任单位为“街道联席会议各成员单位”的任务分派给它们。"
        ),
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["order", "name"]
        permissions = [
            ("file_reports", _("填报本单位负责的月报")),
            ("review_reports", _("审核本单位牵头任务的月报")),
        ]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.name,)


class CommunityQuerySet(models.QuerySet["Community"]):
    def active(self) -> CommunityQuerySet:
        return self.filter(is_active=True)


class Community(models.Model):
    """A residents' committee (居委会) of the street; it files monthly progress."""

    # Every change, with who made it: the 修改记录 (docs/audit.md).
    history = HistoricalRecords()

    name = models.CharField(_("名称"), max_length=50, unique=True)
    code = models.CharField(_("编号"), max_length=20, blank=True)
    is_active = models.BooleanField(
        _("在用"), default=True, help_text=_("撤并的社区停用而不删除,以保留历年的填报记录。")
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    objects = CommunityQuerySet.as_manager()

    class Meta:
        verbose_name = _("社区")
        verbose_name_plural = _("社区")
        ordering = ["order", "name"]
        # Lists of a city's communities read in their order from this index, a page at a
        # time (the review queue walks an item's communities by it).
        indexes = [models.Index(fields=["order", "id"], name="community_order_idx")]
        permissions = [("file_reports", _("填报本社区的月报"))]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.name,)

    def registered_count(self, register: CompoundRegister | str) -> int:
        """How many of the community's registered compounds ``register`` counts. Reads
        ``compounds.all()``, so a prefetched list costs no query."""
        register = CompoundRegister(register)
        return sum(1 for compound in self.compounds.all() if compound.is_in(register))


class CompoundRegister(models.TextChoices):
    """The counts the compound register (住宅小区登记) gives: what a rate target's
    denominator may be prefilled from (``tasks.models.Target.denominator_source``)."""

    COMPOUNDS = "compounds", _("住宅小区数")
    UNDER_PROPERTY_MANAGEMENT = "under_property_management", _("实施物业管理的住宅小区数")
    WITH_OWNERS_COMMITTEE = "with_owners_committee", _("已成立业委会的住宅小区数")
    ELIGIBLE_FOR_OWNERS_COMMITTEE = (
        "eligible_for_owners_committee",
        _("符合业委会成立条件的住宅小区数"),
    )


class CompoundQuerySet(models.QuerySet["Compound"]):
    def with_owners_committee(self) -> CompoundQuerySet:
        return self.filter(has_owners_committee=True)

    def eligible_for_owners_committee(self) -> CompoundQuerySet:
        return self.filter(is_eligible_for_owners_committee=True)

    def under_property_management(self) -> CompoundQuerySet:
        return self.exclude(property_manager="")


class Compound(models.Model):
    """A residential compound (住宅小区); many targets are rates counted over compounds."""

    community = models.ForeignKey(
        Community, verbose_name=_("所属社区"), on_delete=models.PROTECT, related_name="compounds"
    )
    name = models.CharField(_("小区名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    households = models.PositiveIntegerField(_("户数"), default=0)
    property_manager = models.CharField(_("物业服务企业"), max_length=100, blank=True)
    is_eligible_for_owners_committee = models.BooleanField(_("符合业委会成立条件"), default=True)
    has_owners_committee = models.BooleanField(_("已成立业委会"), default=False)

    objects = CompoundQuerySet.as_manager()

    class Meta:
        verbose_name = _("住宅小区")
        verbose_name_plural = _("住宅小区")
        ordering = ["community__order", "community__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "name"], name="compound_unique_name_per_community"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_property_manager(self) -> bool:
        return bool(self.property_manager)

    def is_in(self, register: CompoundRegister) -> bool:
        """Whether ``register`` counts this compound (the same rules as the queryset's
        ``under_property_management``, ``with_owners_committee`` and
        ``eligible_for_owners_committee``)."""
        if register == CompoundRegister.UNDER_PROPERTY_MANAGEMENT:
            return self.has_property_manager
        if register == CompoundRegister.WITH_OWNERS_COMMITTEE:
            return self.has_owners_committee
        if register == CompoundRegister.ELIGIBLE_FOR_OWNERS_COMMITTEE:
            return self.is_eligible_for_owners_committee
        return True


class Membership(models.Model):
    """A user's place in the street: staff of one community or of one unit. Roles
    (street admin, lead-unit staff, community staff, leadership) are Django groups."""

    # Every change, with who made it: the 修改记录 (docs/audit.md).
    history = HistoricalRecords()

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    community = models.ForeignKey(
        Community,
        verbose_name=_("社区"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("单位"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
    )

    class Meta:
        verbose_name = _("任职")
        verbose_name_plural = _("任职")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(community__isnull=False) & models.Q(unit__isnull=True))
                | (models.Q(community__isnull=True) & models.Q(unit__isnull=False)),
                name="membership_has_exactly_one_place",
            ),
            models.UniqueConstraint(
                fields=["user", "community"],
                condition=models.Q(community__isnull=False),
                name="membership_unique_community",
            ),
            models.UniqueConstraint(
                fields=["user", "unit"],
                condition=models.Q(unit__isnull=False),
                name="membership_unique_unit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.community or self.unit}"


# Object permissions are attached to communities and units only — never to single reports —
# through direct foreign keys (guardian's performance guide): report querysets are filtered
# with one subquery on these tables, whatever the number of reports.


class CommunityUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Community, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("社区用户权限")
        verbose_name_plural = _("社区用户权限")


class CommunityGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Community, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("社区用户组权限")
        verbose_name_plural = _("社区用户组权限")


class UnitUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Unit, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("单位用户权限")
        verbose_name_plural = _("单位用户权限")


class UnitGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Unit, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("单位用户组权限")
        verbose_name_plural = _("单位用户组权限")


class PasswordHistory(models.Model):
    """A password a user has had, as its hash (``communities.accounts``): the last
    ``PasswordHistoryValidator.count`` are kept, and a new password may not be one of them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="password_history",
    )
    password = models.CharField(_("密码(哈希)"), max_length=128)
    created_at = models.DateTimeField(_("设置时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")
        indexes = [models.Index(fields=["user", "-created_at"], name="password_history_recent")]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.created_at:%Y-%m-%d %H:%M}"
