"""The small world every test speaks of: the 2017 checklist, two communities with their
compounds, a lead unit, and one user per role."""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from pytest_django.fixtures import Settings

from communities.models import Community, Compound, Unit
from communities.roles import Role
from communities.services import membership_add
from tasks.models import Assignment, Checklist
from tasks.services import assignments_generate, checklist_load_file

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PASSWORD = "Yijia-test-2017!"


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


# People. Each has the role group and the membership their job gives; the street admin
# is a plain staff user with the role's permissions, not a superuser.


def _person(username: str, role: Role, **membership: Community | Unit) -> User:
    user = User.objects.create_user(username, password=PASSWORD, first_name=username)
    user.groups.add(Group.objects.get(name=role))
    if role == Role.STREET_ADMIN:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    if membership:
        membership_add(user=user, **membership)
    return user


@pytest.fixture
def street_admin(world: Checklist) -> User:
    """街道联席办 staff: owns the checklist, sees everything, reopens reports."""
    return _person("admin", Role.STREET_ADMIN, unit=Unit.objects.get(name="街道联席办"))


@pytest.fixture
def leader(world: Checklist) -> User:
    """Leadership: reads everything, changes nothing."""
    return _person("leader", Role.LEADERSHIP)


@pytest.fixture
def housing_staff(world: Checklist, housing_office: Unit) -> User:
    """房管所 staff: reviews reports on items 房管所 leads (7, 8, 18, 20–23 …) and files
    房管所's own assignment of item 15."""
    return _person("housing", Role.LEAD_UNIT_STAFF, unit=housing_office)


@pytest.fixture
def party_building_staff(world: Checklist) -> User:
    """社区党建办 staff: reviews items 1–5 among others."""
    return _person("partybuilding", Role.LEAD_UNIT_STAFF, unit=Unit.objects.get(name="社区党建办"))


@pytest.fixture
def community_one_staff(world: Checklist, community_one: Community) -> User:
    return _person("one", Role.COMMUNITY_STAFF, community=community_one)


@pytest.fixture
def community_two_staff(world: Checklist, community_two: Community) -> User:
    return _person("two", Role.COMMUNITY_STAFF, community=community_two)


def assignment_of(checklist: Checklist, item_number: int, party: Community | Unit) -> Assignment:
    """The assignment of ``item_number`` to ``party``."""
    field = "community" if isinstance(party, Community) else "unit"
    return Assignment.objects.get(
        item__checklist=checklist, item__number=item_number, is_street_level=False, **{field: party}
    )


SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def august_3rd_2017() -> Iterator[time_machine.Coordinates]:
    """Thursday 3 August 2017, 10:00 in Shanghai: the week communities file July."""
    with time_machine.travel(
        datetime.datetime(2017, 8, 3, 10, 0, tzinfo=SHANGHAI), tick=False
    ) as t:
        yield t


@pytest.fixture(autouse=True)
def _private_media(settings: Settings, tmp_path: Path) -> None:
    """No test writes evidence files under var/."""
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Settings) -> None:
    """Production's PBKDF2 costs ~0.3 s a password; the suite creates hundreds of users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def evidence_root(tmp_path: Path) -> Path:
    """Where this test's evidence files are stored (MEDIA_ROOT is ``tmp_path``)."""
    return tmp_path / "evidence"
