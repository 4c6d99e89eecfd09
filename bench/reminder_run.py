"""Benchmark: one month's filing reminders for a city (6,000 communities by default).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yijia python bench/reminder_run.py
    python bench/reminder_run.py --communities 300

Builds a throw-away database (``test_<name>``, dropped at the end), loads the 2017
checklist, N communities with 3 staff each (each with an email address), their
assignments, and July 2017 reports submitted by half of the communities. Then it times
the reminder run three days before the deadline (planning, composing one digest per
person, delivering in-app and by email through Django's in-memory mail backend), the same
run again (nothing new: the idempotency keys), and the escalation run three days after
the deadline. Prints one line per step: seconds, reminders, messages, queries.

``bench/reminders.py`` (issue 14) times the same runs delivered to a real SMTP server on
loopback over several worker processes, with a worker killed mid-batch.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The development settings for Django (DEBUG is off unless asked for: docs/deployment.md).
os.environ.setdefault("DEBUG", "True")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yijia.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.db import connection  # noqa: E402

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
STAFF_PER_COMMUNITY = 3


def build(communities: int) -> None:
    from communities.models import Community, Membership, Unit
    from communities.roles import Role
    from tasks.models import Assignment, Checklist, ProgressReport
    from tasks.services import assignments_generate, checklist_load_file

    checklist = checklist_load_file(path=ROOT / "fixtures" / "checklist_2017.yaml")
    Community.objects.bulk_create(
        [
            Community(name=f"社区{number:05d}", order=number % 30000)
            for number in range(communities)
        ],
        batch_size=2000,
    )
    assignments_generate(checklist=checklist)
    people = [
        User(
            username=f"c{number}-{seat}",
            email=f"c{number}-{seat}@example.cn",
            password="!",  # noqa: S106 — unusable
        )
        for number in range(communities)
        for seat in range(STAFF_PER_COMMUNITY)
    ]
    User.objects.bulk_create(people, batch_size=2000)
    users = dict(User.objects.values_list("username", "pk"))
    community_ids = dict(Community.objects.values_list("name", "pk"))
    Membership.objects.bulk_create(
        [
            Membership(
                user_id=users[f"c{number}-{seat}"], community_id=community_ids[f"社区{number:05d}"]
            )
            for number in range(communities)
            for seat in range(STAFF_PER_COMMUNITY)
        ],
        batch_size=2000,
    )
    group = Group.objects.get(name=Role.COMMUNITY_STAFF)
    group.user_set.add(*users.values())
    # A few lead-unit staff and two street admins, who get the escalations.
    for unit in Unit.objects.all():
        lead = User.objects.create(username=f"unit-{unit.pk}", email=f"u{unit.pk}@example.cn")
        Membership.objects.create(user=lead, unit=unit)
    for number in range(2):
        admin = User.objects.create(username=f"admin{number}", email=f"a{number}@example.cn")
        admin.groups.add(Group.objects.get(name=Role.STREET_ADMIN))
    # Every party filed January to June on the 3rd of the next month; half of the
    # communities (and every unit) filed July on 3 August.
    everyone = list(
        Assignment.objects.filter(item__checklist=checklist).values_list("pk", flat=True)
    )
    july = list(
        Assignment.objects.filter(item__checklist=checklist)
        .exclude(community__order__in=range(1, 30000, 2))
        .values_list("pk", flat=True)
    )
    for month, filed in [*[(month, everyone) for month in range(1, 7)], (7, july)]:
        submitted_at = datetime.datetime(2017, month + 1, 3, 10, tzinfo=SHANGHAI)
        ProgressReport.objects.bulk_create(
            (
                ProgressReport(
                    assignment_id=pk,
                    year=2017,
                    month=month,
                    status=ProgressReport.Status.IN_PROGRESS,
                    workflow_state=ProgressReport.WorkflowState.APPROVED
                    if month < 7
                    else ProgressReport.WorkflowState.SUBMITTED,
                    submitted_at=submitted_at,
                    first_submitted_at=submitted_at,
                )
                for pk in filed
            ),
            batch_size=5000,
        )
    # Every community held its joint meeting on 28 July, the street on 3 July: no gap alerts,
    # the run measures the filing reminders.
    from meetings.models import Meeting
    from tasks.models import Target

    community_target = Target.objects.get(item__number=14, level=Target.Level.PARTY)
    street_target = Target.objects.get(item__number=14, level=Target.Level.STREET)
    held_on = datetime.datetime(2017, 7, 28, 14, tzinfo=SHANGHAI)
    Meeting.objects.bulk_create(
        [
            Meeting(
                target=community_target,
                community_id=pk,
                state=Meeting.State.HELD,
                starts_at=held_on,
            )
            for pk in community_ids.values()
        ]
        + [Meeting(target=street_target, state=Meeting.State.HELD, starts_at=held_on)],
        batch_size=2000,
    )
    assert Checklist.objects.count() == 1
    if connection.vendor == "postgresql":
        # Statistics for the planner, as autovacuum would have gathered them by now.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def step(name: str, moment: datetime.datetime) -> None:
    from django.core import mail

    from notifications.models import Message
    from notifications.services import messages_deliver
    from reminders.models import Reminder
    from reminders.services import digests_compose, reminders_plan

    mail.outbox = []
    reminders_before = Reminder.objects.count()
    messages_before = Message.objects.count()
    queries = []

    def count(
        execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
    ) -> Any:
        queries.append(1)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        reminders_plan(now=moment)
        planned = time.perf_counter()
        digests_compose(now=moment)
        composed = time.perf_counter()
        messages_deliver(now=moment)
        delivered = time.perf_counter()
    print(
        f"{name:<28} plan {planned - started:6.1f} s  compose {composed - planned:6.1f} s  "
        f"deliver {delivered - composed:6.1f} s  total {delivered - started:6.1f} s  "
        f"reminders +{Reminder.objects.count() - reminders_before:<7} "
        f"messages +{Message.objects.count() - messages_before:<6} "
        f"emails {len(mail.outbox):<6} queries {len(queries)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--communities", type=int, default=6000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    arguments = parser.parse_args()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEBUG = False
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        started = time.perf_counter()
        build(arguments.communities)
        from bench.machine import machine_line
        from tasks.models import Assignment, ProgressReport

        print(machine_line())
        print(
            f"data: {arguments.communities} communities, "
            f"{arguments.communities * STAFF_PER_COMMUNITY} community staff, "
            f"{Assignment.objects.count()} assignments, "
            f"{ProgressReport.objects.count()} reports (January–June filed, July by half) "
            f"(built in {time.perf_counter() - started:.0f} s)"
        )
        step("3 days before (Fri 4 Aug)", datetime.datetime(2017, 8, 4, 9, tzinfo=SHANGHAI))
        step("same run again", datetime.datetime(2017, 8, 4, 9, 15, tzinfo=SHANGHAI))
        step("escalation (Thu 10 Aug)", datetime.datetime(2017, 8, 10, 9, tzinfo=SHANGHAI))
    finally:
        if not arguments.keep:
            connection.creation.destroy_test_db(name, verbosity=0)


if __name__ == "__main__":
    main()
