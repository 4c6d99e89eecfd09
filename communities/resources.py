"""Spreadsheet columns of the street's units, communities and compounds (xlsx/csv, Chinese
headers). Imports are all-or-nothing; see ``core.spreadsheets``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from core.spreadsheets import (
    ChoicesWidget,
    Column,
    NamedForeignKeyWidget,
    NonNegativeIntegerWidget,
    RequiredTextWidget,
    SpreadsheetResource,
    TextWidget,
    YesNoWidget,
)

from .models import Community, Compound, Unit


class UnitResource(SpreadsheetResource):
    name = Column(attribute="name", column_name="名称", widget=RequiredTextWidget())
    kind = Column(attribute="kind", column_name="类别", widget=ChoicesWidget(Unit.Kind))
    is_joint_meeting_member = Column(
        attribute="is_joint_meeting_member", column_name="联席会议成员单位", widget=YesNoWidget()
    )

    class Meta:
        model = Unit
        name = "单位"
        fields = ("name", "kind", "is_joint_meeting_member")
        import_id_fields = ("name",)


class CommunityResource(SpreadsheetResource):
    name = Column(attribute="name", column_name="名称", widget=RequiredTextWidget())
    code = Column(attribute="code", column_name="编号", widget=TextWidget())
    is_active = Column(attribute="is_active", column_name="在用", widget=YesNoWidget())

    class Meta:
        model = Community
        name = "社区"
        fields = ("name", "code", "is_active")
        import_id_fields = ("name",)


class CompoundResource(SpreadsheetResource):
    community = Column(
        attribute="community", column_name="所属社区", widget=NamedForeignKeyWidget(Community)
    )
    name = Column(attribute="name", column_name="小区名称", widget=RequiredTextWidget())
    address = Column(attribute="address", column_name="地址", widget=TextWidget())
    households = Column(
        attribute="households", column_name="户数", widget=NonNegativeIntegerWidget()
    )
    property_manager = Column(
        attribute="property_manager", column_name="物业服务企业", widget=TextWidget()
    )
    is_eligible_for_owners_committee = Column(
        attribute="is_eligible_for_owners_committee",
        column_name="符合业委会成立条件",
        widget=YesNoWidget(),
    )
    has_owners_committee = Column(
        attribute="has_owners_committee", column_name="已成立业委会", widget=YesNoWidget()
    )

    class Meta:
        model = Compound
        name = "住宅小区"
        fields = (
            "community",
            "name",
            "address",
            "households",
            "property_manager",
            "is_eligible_for_owners_committee",
            "has_owners_committee",
        )
        import_id_fields = ("community", "name")

    def filter_export(self, queryset: QuerySet[Compound], **kwargs: Any) -> QuerySet[Compound]:
        return queryset.select_related("community")
