"""Assignments follow each item's responsible scope (tasks.services.assignments_generate)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from communities.models import Community, Unit
from tasks.models import Assignment, Checklist, Item, ProgressReport
from tasks.services import assignment_set_communities, assignments_generate


def parties(item: Item) -> set[str]:
    return {str(assignment.party) for assignment in item.assignments.filter(is_street_level=False)}


def test_every_community_gets_an_item_for_all_communities(world: Checklist) -> None:
    assert parties(world.items.get(number=1)) == {"示例社区一", "示例社区二"}


def test_an_inactive_community_gets_no_new_assignments(checklist_2017: Checklist) -> None:
    Community.objects.create(name="示例社区一")
    Community.objects.create(name="已撤并社区", is_active=False)
    assignments_generate(checklist=checklist_2017)
    assert parties(checklist_2017.items.get(number=1)) == {"示例社区一"}


def test_named_units_are_assigned_item_15(world: Checklist) -> None:
    assert parties(world.items.get(number=15)) == {"房管所", "城管中队"}


def test_every_joint_meeting_member_is_assigned_item_30(world: Checklist) -> None:
    members = set(Unit.objects.joint_meeting_members().values_list("name", flat=True))
    assert parties(world.items.get(number=30)) == members
    assert len(members) == 18


def test_a_unit_leaving_the_joint_meeting_is_not_assigned(checklist_2017: Checklist) -> None:
    Unit.objects.filter(name="妇联").update(is_joint_meeting_member=False)
    assignments_generate(checklist=checklist_2017)
    assert "妇联" not in parties(checklist_2017.items.get(number=30))


def test_items_for_selected_communities_start_unassigned(world: Checklist) -> None:
    assert parties(world.items.get(number=31)) == set()


def test_the_street_admin_chooses_the_communities_concerned(world: Checklist) -> None:
    item = world.items.get(number=31)
    assignment_set_communities(item=item, communities=[Community.objects.get(name="示例社区二")])
    assert parties(item) == {"示例社区二"}


def test_a_community_that_has_filed_cannot_be_dropped(world: Checklist) -> None:
    item = world.items.get(number=32)
    one, two = Community.objects.order_by("order")
    assignment_set_communities(item=item, communities=[one, two])
    ProgressReport.objects.create(
        assignment=item.assignments.get(community=one), year=2017, month=7
    )

    with pytest.raises(ValidationError, match="已有填报记录"):
        assignment_set_communities(item=item, communities=[two])
    assert parties(item) == {"示例社区一", "示例社区二"}


def test_only_selected_scope_items_take_a_choice_of_communities(world: Checklist) -> None:
    with pytest.raises(ValidationError):
        assignment_set_communities(item=world.items.get(number=1), communities=[])


def test_street_level_targets_go_to_the_primary_lead_unit(world: Checklist) -> None:
    item = world.items.get(number=14)
    street = item.assignments.get(is_street_level=True)
    assert street.unit == Unit.objects.get(name="社区自治办")
    assert [t.title for t in street.targets()] == ["街道层面联席会议"]
    community = item.assignments.get(community__name="示例社区一")
    assert [t.period for t in community.targets()] == ["fortnight"]


def test_generating_again_creates_nothing_twice(world: Checklist) -> None:
    count = Assignment.objects.count()
    assert assignments_generate(checklist=world) == 0
    assert Assignment.objects.count() == count


def test_a_new_community_is_added_to_every_all_communities_item(world: Checklist) -> None:
    Community.objects.create(name="示例社区三", order=3)
    created = assignments_generate(checklist=world)
    all_communities_items = world.items.filter(responsible_scope=Item.Scope.ALL_COMMUNITIES)
    assert created == all_communities_items.count()
