"""Every write to the checklist goes through these functions, each in one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from communities.models import Community, Unit

from .models import Assignment, Checklist, Item, ItemLeadUnit, Pillar, Target

TARGET_FIELDS = (
    "title",
    "threshold",
    "numerator_label",
    "denominator_label",
    "unit_label",
    "period",
    "level",
    "due_date",
)


def checklist_load_file(*, path: Path) -> Checklist:
    with path.open(encoding="utf-8") as stream:
        return checklist_load(data=yaml.safe_load(stream))


@transaction.atomic
def checklist_load(*, data: Mapping[str, Any]) -> Checklist:
    """Create or update a year's checklist, its units, pillars, items and targets from the
    structure of ``fixtures/checklist_<year>.yaml``. Loading the same file twice changes
    nothing; reports already filed are kept."""
    for order, unit_data in enumerate(data.get("units", []), start=1):
        Unit.objects.update_or_create(
            name=unit_data["name"],
            defaults={
                "kind": unit_data["kind"],
                "is_joint_meeting_member": unit_data.get("joint_meeting_member", True),
                "order": order,
            },
        )
    units = {unit.name: unit for unit in Unit.objects.all()}

    checklist_data = data["checklist"]
    checklist, _ = Checklist.objects.update_or_create(
        year=checklist_data["year"],
        defaults={
            "title": checklist_data["title"],
            "document_number": checklist_data.get("document_number", ""),
            "issuing_bodies": "\n".join(checklist_data.get("issuing_bodies", [])),
            "issued_on": checklist_data.get("issued_on"),
            "status": checklist_data.get("status", Checklist.Status.ACTIVE),
            "filing_day": checklist_data.get("filing_day", 5),
        },
    )
    for pillar_data in data["pillars"]:
        pillar, _ = Pillar.objects.update_or_create(
            checklist=checklist,
            number=pillar_data["number"],
            defaults={"name": pillar_data["name"]},
        )
        for item_data in pillar_data["items"]:
            _item_load(checklist=checklist, pillar=pillar, data=item_data, units=units)
    return checklist


def _unit_named(units: Mapping[str, Unit], name: str) -> Unit:
    try:
        return units[name]
    except KeyError:
        raise ValidationError(f"未知单位“{name}”:请先在 units 中列出。") from None


def _item_load(
    *, checklist: Checklist, pillar: Pillar, data: Mapping[str, Any], units: Mapping[str, Unit]
) -> Item:
    item, _ = Item.objects.update_or_create(
        checklist=checklist,
        number=data["number"],
        defaults={
            "pillar": pillar,
            "text": data["text"],
            "responsible_scope": data["scope"],
            "due_date": data.get("due_date"),
            "legal_reference": data.get("legal_reference", ""),
        },
    )
    lead_units = [_unit_named(units, name) for name in data["lead_units"]]
    item.lead_unit_links.all().delete()
    ItemLeadUnit.objects.bulk_create(
        ItemLeadUnit(item=item, unit=unit, order=order)
        for order, unit in enumerate(lead_units, start=1)
    )
    item.responsible_units.set(
        [_unit_named(units, name) for name in data.get("responsible_units", [])]
    )
    for order, target_data in enumerate(data.get("targets", []), start=1):
        defaults = {field: target_data.get(field) for field in TARGET_FIELDS}
        defaults = {
            key: ("" if value is None and key not in ("threshold", "due_date") else value)
            for key, value in defaults.items()
        }
        defaults["level"] = defaults["level"] or Target.Level.PARTY
        defaults["kind"] = target_data["kind"]
        target, _ = Target.objects.update_or_create(item=item, order=order, defaults=defaults)
        target.full_clean()
    item.targets.filter(order__gt=len(data.get("targets", []))).delete()
    return item


def _assignment_parties(item: Item) -> tuple[list[Community], list[Unit]]:
    scope = Item.Scope
    if item.responsible_scope == scope.ALL_COMMUNITIES:
        return list(Community.objects.active()), []
    if item.responsible_scope == scope.JOINT_MEETING_MEMBERS:
        return [], list(Unit.objects.joint_meeting_members())
    if item.responsible_scope == scope.NAMED_UNITS:
        return [], list(item.responsible_units.all())
    return [], []  # 相关社区: the street admin picks the communities concerned


@transaction.atomic
def assignments_generate(*, checklist: Checklist) -> int:
    """Create the assignments each item's scope implies, and for an item with street-level
    targets the assignment of its primary lead unit. Existing assignments (and their
    reports) are kept, so running it again after adding a community only adds what is
    missing. Returns how many assignments were created."""
    created = 0
    for item in checklist.items.with_details():
        communities, units = _assignment_parties(item)
        for community in communities:
            _, was_created = Assignment.objects.get_or_create(item=item, community=community)
            created += was_created
        for unit in units:
            _, was_created = Assignment.objects.get_or_create(
                item=item, unit=unit, is_street_level=False
            )
            created += was_created
        if item.has_street_level_targets() and (lead := item.primary_lead_unit) is not None:
            _, was_created = Assignment.objects.get_or_create(
                item=item, unit=lead, is_street_level=True
            )
            created += was_created
    return created


@transaction.atomic
def assignment_set_communities(*, item: Item, communities: list[Community]) -> None:
    """Choose the communities concerned by a 相关社区 item. Communities dropped from the
    list lose their assignment only if they have filed nothing for it."""
    if item.responsible_scope != Item.Scope.SELECTED_COMMUNITIES:
        raise ValidationError("只有责任单位为“相关社区”的任务才能选择社区。")
    wanted = {community.pk for community in communities}
    current = item.assignments.filter(community__isnull=False)
    removable = current.exclude(community__in=wanted)
    if removable.filter(reports__isnull=False).exists():
        raise ValidationError("已有填报记录的社区不能移出本任务。")
    removable.delete()
    existing = set(current.values_list("community_id", flat=True))
    Assignment.objects.bulk_create(
        Assignment(item=item, community=community)
        for community in communities
        if community.pk not in existing
    )
