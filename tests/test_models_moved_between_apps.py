"""Moving the summary tables and urging notices to ``dashboards`` and the reminders to
``reminders`` moved no row: a database holding rows in the schema of before the move is
migrated to the new one, and every row is found through the new models, with the
permissions of the moved models still granted to the same roles."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import StateApps
from django_celery_beat.models import PeriodicTask

from communities.models import Community
from communities.roles import Role
from dashboards.models import AssignmentMonth, PartyMonth, UrgeNotice
from notifications.models import OutboxMessage
from reminders.models import Reminder, ReminderSettings
from tasks.models import Assignment, Checklist
from tests.conftest import SHANGHAI

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# The last migrations of the apps the models left, before the move; the apps they went to
# not migrated at all.
BEFORE_THE_MOVE: list[tuple[str, str | None]] = [
    ("assessments", "0006_criterion_pillar"),
    ("notifications", "0003_urge_notices"),
    ("dashboards", None),
    ("reminders", None),
]


def _state_after(targets: list[tuple[str, str | None]]) -> StateApps:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(
        [(app, name) for app, name in targets if name is not None]
    ).apps


@pytest.fixture
def schema_before_the_move() -> Iterator[StateApps]:
    """The database migrated back to before the move; migrated forward again after the
    test whatever happens."""
    try:
        yield _state_after(BEFORE_THE_MOVE)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_every_row_is_found_after_the_move(
    world: Checklist, community_one: Community, schema_before_the_move: StateApps
) -> None:
    old = schema_before_the_move
    user_model = old.get_model("auth", "User")
    sender = user_model.objects.create(username="sender", password="!")
    assignment = Assignment.objects.filter(community=community_one).order_by("pk").first()
    assert assignment is not None
    deadline = datetime.date(2017, 8, 7)
    old_months = old.get_model("assessments", "AssignmentMonth").objects
    old_party_months = old.get_model("assessments", "PartyMonth").objects
    old_months.filter(assignment_id=assignment.pk, year=2017, month=7).delete()
    old_party_months.filter(community_id=community_one.pk, year=2017, month=7).delete()
    old_months.create(
        assignment_id=assignment.pk,
        item_id=assignment.item_id,
        pillar_id=assignment.item.pillar_id,
        community_id=community_one.pk,
        year=2017,
        month=7,
        deadline=deadline,
    )
    old_party_months.create(
        community_id=community_one.pk, year=2017, month=7, expected=38, received=12
    )
    old.get_model("notifications", "UrgeNotice").objects.create(
        assignment_id=assignment.pk,
        year=2017,
        month=7,
        text="请尽快填报。",
        sent_by=sender,
        sent_on=datetime.date(2017, 8, 10),
    )
    old.get_model("notifications", "ReminderSettings").objects.update_or_create(
        pk=1, defaults={"filing_days_before": 5}
    )
    old.get_model("notifications", "Reminder").objects.create(
        recipient_key=f"user:{sender.pk}",
        recipient=sender,
        kind="filing_overdue",
        subject=f"community:{community_one.pk}",
        period="2017-07@2017-08-07",
        text="7月进展已逾期",
        due_at=datetime.datetime(2017, 8, 8, 8, 30, tzinfo=SHANGHAI),
    )
    old.get_model("notifications", "OutboxMessage").objects.create(
        task="assessments.summaries_rebuild", kwargs={"checklist_id": world.pk}
    )
    interval = old.get_model("django_celery_beat", "IntervalSchedule").objects.create(
        every=900, period="seconds"
    )
    old.get_model("django_celery_beat", "PeriodicTask").objects.update_or_create(
        name="提醒:每 15 分钟检查到期事项",
        defaults={"task": "notifications.reminders_run", "interval": interval, "crontab": None},
    )

    counts = (old_months.count(), old_party_months.count())
    assert counts[0] > 1  # the world's summary rows, and the one written here

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert (AssignmentMonth.objects.count(), PartyMonth.objects.count()) == counts
    month = AssignmentMonth.objects.get(assignment=assignment, year=2017, month=7)
    assert month.deadline == deadline and month.community == community_one
    assert PartyMonth.objects.get(community=community_one, month=7).received == 12
    urge = UrgeNotice.objects.get()
    assert (urge.assignment, urge.text, urge.sent_by.username) == (
        assignment,
        "请尽快填报。",
        "sender",
    )
    assert ReminderSettings.load().filing_days_before == 5
    reminder = Reminder.objects.get()
    assert reminder.get_kind_display() == "填报逾期提醒"
    assert reminder.recipient == User.objects.get(username="sender")
    # A job asked for before the upgrade runs under its new name; so does the schedule.
    assert OutboxMessage.objects.get().task == "dashboards.summaries_rebuild"
    assert PeriodicTask.objects.filter(task="reminders.reminders_run").exists()
    assert not PeriodicTask.objects.filter(task="notifications.reminders_run").exists()


def test_the_moved_models_permissions_stay_granted(schema_before_the_move: StateApps) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    street_admin = Group.objects.get(name=Role.STREET_ADMIN)
    granted = {
        f"{permission.content_type.app_label}.{permission.codename}"
        for permission in street_admin.permissions.select_related("content_type")
    }
    assert {"dashboards.view_dashboard", "dashboards.urge_parties"} <= granted
    assert not any(name.startswith("assessments.view_dashboard") for name in granted)
