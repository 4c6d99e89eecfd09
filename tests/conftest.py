"""The small world every test speaks of: the 2017 checklist, two communities with their
compounds, a lead unit, and one user per role."""

from __future__ import annotations

import datetime
import importlib
import zoneinfo
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, User
from django.db.migrations import RunPython
from django.utils import translation
from django_celery_beat.models import PeriodicTask
from pytest_django.fixtures import Settings

from communities.models import Community, Compound, Unit
from communities.roles import Role
from communities.services import membership_add
from dashboards.summaries import summaries_rebuild
from meetings.models import Meeting
from meetings.services import MeetingDetails, meeting_record
from reminders.models import ReminderSettings
from tasks.models import Assignment, Checklist, Target
from tasks.services import assignments_generate, checklist_load_file
from tests.demo_street import _demo_street_copy, demo_street  # noqa: F401 (fixtures)
from tests.smtp import SMTPServer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PASSWORD = "Yijia-test-2017!"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """The test database, with the 2017 checklist loaded once per session (and worker):
    loading it takes some 1,300 queries, which each test would otherwise repeat. A test
    rolls back what it changes; ``serialized_rollback`` brings it back after a committing
    test."""
    from django.db import connection

    with django_db_blocker.unblock():
        checklist_load_file(path=FIXTURES / "checklist_2017.yaml")
        connection._test_serialized_contents = connection.creation.serialize_db_to_string()  # type: ignore[attr-defined]  # as create_test_db(serialize=True) does


@pytest.fixture
def checklist_2017(db: None) -> Checklist:
    """The 2017 checklist as the seed gives it, with no communities yet."""
    loaded = Checklist.objects.filter(year=2017).first()
    return loaded or checklist_load_file(path=FIXTURES / "checklist_2017.yaml")


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


def _person(
    username: str, role: Role, *, community: Community | None = None, unit: Unit | None = None
) -> User:
    user = User.objects.create_user(username, password=PASSWORD, first_name=username)
    user.groups.add(Group.objects.get(name=role))
    if role == Role.STREET_ADMIN:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    if community is not None or unit is not None:
        membership_add(user=user, community=community, unit=unit)
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
def august_3rd_2017() -> Iterator[time_machine.Traveller]:
    """Thursday 3 August 2017, 10:00 in Shanghai: the week communities file July."""
    with time_machine.travel(
        datetime.datetime(2017, 8, 3, 10, 0, tzinfo=SHANGHAI), tick=False
    ) as t:
        yield t


@pytest.fixture(autouse=True)
def _chinese_first() -> Iterator[None]:
    """Every test starts in the portal's first language: a request made in English by an
    earlier test on the same worker leaves English active in the thread otherwise."""
    with translation.override(django_settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def _private_media(settings: Settings, tmp_path: Path) -> None:
    """No test writes evidence files under var/."""
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def _own_cache(settings: Settings, request: pytest.FixtureRequest) -> None:
    """Each test has a cache of its own (in memory): a figure or a header cached by an
    earlier test, whose rows were rolled back, is never served to the next."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": request.node.nodeid,
        }
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Settings) -> None:
    """Production's PBKDF2 costs ~0.3 s a password; the suite creates hundreds of users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def evidence_root(tmp_path: Path) -> Path:
    """Where this test's evidence files are stored (MEDIA_ROOT is ``tmp_path``)."""
    return tmp_path / "evidence"


@pytest.fixture
def smtp_server(settings: Settings) -> Iterator[SMTPServer]:
    """A real SMTP server on loopback; the portal sends its mail there."""
    server = SMTPServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    yield server
    server.stop()


@pytest.fixture
def june_owed(world: Checklist) -> Checklist:
    """The 2017 checklist taking effect on 1 June rather than on its issue date (28 June),
    so that June is owed too: for tests that need a month filed before July. Nothing of a
    month before the checklist takes effect is filed (``Checklist.months_owed``)."""
    world.takes_effect_on = datetime.date(2017, 6, 1)
    world.save(update_fields=["takes_effect_on"])
    # As the rebuild job the save asks for (through the outbox) would.
    summaries_rebuild(checklist=world)
    return world


@pytest.fixture
def quiet_before_july(world: Checklist) -> None:
    """A street where June is long settled and joint meetings were held on 28 July, so
    that a test sees only the reminders it is about. The street admin keeps a catch-up
    limit of 7 days (June's overdue reminders are older), and every community and the
    street held their joint meeting on 28 July (no gap alert before 12 August)."""
    reminder_settings = ReminderSettings.load()
    reminder_settings.catch_up_days = 7
    reminder_settings.save()
    held_on = datetime.datetime(2017, 7, 28, 14, tzinfo=SHANGHAI)
    for target in Target.objects.filter(item__checklist=world, item__number=14):
        if target.level == Target.Level.STREET:
            Meeting.objects.create(target=target, state=Meeting.State.HELD, starts_at=held_on)
            continue
        for community in Community.objects.all():
            Meeting.objects.create(
                target=target, community=community, state=Meeting.State.HELD, starts_at=held_on
            )


# Meetings (会议与例行工作): item 14's joint meetings are led by 社区自治办.


@pytest.fixture
def autonomy_staff(world: Checklist) -> User:
    """社区自治办 staff: lead unit of item 14 (the joint meetings), not of items 3 or 16."""
    return _person("autonomy", Role.LEAD_UNIT_STAFF, unit=Unit.objects.get(name="社区自治办"))


def frequency_duty(checklist: Checklist, item_number: int, *, street: bool = False) -> Target:
    """The recurring duty (frequency target) of an item: item 14 has a street-level one."""
    return Target.objects.get(
        item__checklist=checklist,
        item__number=item_number,
        kind=Target.Kind.FREQUENCY,
        level=Target.Level.STREET if street else Target.Level.PARTY,
    )


def held_meeting(
    target: Target,
    community: Community | None,
    month: int,
    day: int,
    by: User,
    *,
    hour: int = 14,
) -> Meeting:
    """A meeting recorded as held at ``hour``:00 Shanghai time on that day of 2017."""
    return meeting_record(
        details=MeetingDetails(
            target=target,
            community=community,
            starts_at=datetime.datetime(2017, month, day, hour, 0, tzinfo=SHANGHAI),
            place="居委会会议室",
            minutes="议定事项见附件。",
        ),
        by=by,
    )


# Rows the migrations create besides the role groups (which ``post_migrate`` makes from
# ``communities.roles.ROLE_PERMISSIONS``): the jobs' schedules, made by these migrations'
# RunPython operations.
MIGRATION_DATA_STEPS = [
    "notifications.migrations.0002_default_schedules",
    "dashboards.migrations.0002_daily_register_refresh",
    "assessments.migrations.0009_hourly_scores_prepare",
    "audit.migrations.0001_retention_schedule",
]


_DB_FIXTURES = {"db", "transactional_db", "live_server"}


@pytest.fixture(autouse=True)
def _database_use_declared(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that reaches the database only through ``request.getfixturevalue`` is
    ordered by pytest-django among the tests without a database, after the committing
    ones, which leave the database empty: it then finds no role groups, depending on how
    pytest-xdist shared out the tests. Such a test must say ``django_db`` (or take ``db``)."""
    yield
    declared = request.node.get_closest_marker("django_db") is not None or bool(
        _DB_FIXTURES & set(request.node.fixturenames)
    )
    if not declared and _DB_FIXTURES & set(request.fixturenames):
        pytest.fail(
            "this test reaches the database through getfixturevalue without a django_db "
            "mark: mark it @pytest.mark.django_db so that it runs before committing tests"
        )
    # A committing test without ``serialized_rollback`` ends with a flush that sends
    # ``post_migrate`` again (new role groups), and the next committing test's restore
    # then collides with them (``auth_group_name_key``); one that starts after another
    # finds no groups at all.
    marker = request.node.get_closest_marker("django_db")
    committing = bool({"transactional_db", "live_server"} & set(request.fixturenames)) or (
        marker is not None and bool(marker.kwargs.get("transaction"))
    )
    if committing and not (marker is not None and marker.kwargs.get("serialized_rollback")):
        pytest.fail(
            "a test that commits must say "
            "@pytest.mark.django_db(transaction=True, serialized_rollback=True)"
        )


@pytest.fixture(autouse=True)
def _migration_rows_in_committing_tests(request: pytest.FixtureRequest) -> None:
    """A test that commits (``transaction=True``) empties the database when it ends. Its
    ``serialized_rollback`` should bring the migrations' rows back for the next one, but
    under pytest-xdist it does not always (seen: the role groups missing in the first
    committing test after another on the same worker). So a committing test that starts
    on an emptied database sends ``post_migrate`` (the role groups and their permissions)
    and runs the migrations' other data steps again."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    migration_rows_ensure()


def migration_rows_ensure() -> None:
    """The migrations' rows (role groups and their permissions, reminder schedules), made
    again if the database was emptied."""
    if Group.objects.exists() and PeriodicTask.objects.exists():
        return
    from django.core.management.sql import emit_post_migrate_signal
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
    state_apps = MigrationLoader(connection).project_state().apps
    for module in MIGRATION_DATA_STEPS:
        for operation in importlib.import_module(module).Migration.operations:
            if isinstance(operation, RunPython):
                step: Callable[[Any, Any], None] = operation.code  # uses no schema editor
                step(state_apps, None)
