"""The small world every test speaks of: the 2017 checklist, two communities with their
compounds, a lead unit, and one user per role."""

from __future__ import annotations

from pathlib import Path

import pytest

from communities.models import Community, Compound, Unit
from tasks.models import Checklist
from tasks.services import assignments_generate, checklist_load_file

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def checklist_2017(db: None) -> Checklist:
    """The 2017 checklist as the seed gives it, with no communities yet."""
    return checklist_load_file(path=FIXTURES / "checklist_2017.yaml")


@pytest.fixture
def community_one(db: None) -> Community:
    community = Community.objects.create(name="示例社区一", order=1)
    Compound.objects.create(
        community=community,
        name="一号小区",
        households=320,
        property_manager="甲物业",
        has_owners_committee=True,
    )
    Compound.objects.create(community=community, name="二号小区", households=180)
    return community


@pytest.fixture
def community_two(db: None) -> Community:
    community = Community.objects.create(name="示例社区二", order=2)
    Compound.objects.create(community=community, name="三号小区", households=450)
    return community


@pytest.fixture
def housing_office(checklist_2017: Checklist) -> Unit:
    """房管所, lead unit of items 7, 8, 18, 20–23 among others."""
    return Unit.objects.get(name="房管所")


@pytest.fixture
def world(
    checklist_2017: Checklist, community_one: Community, community_two: Community
) -> Checklist:
    """The 2017 checklist with its assignments generated for the two communities."""
    assignments_generate(checklist=checklist_2017)
    return checklist_2017
