"""The demo data set (示例数据): example communities, compounds, one user per role and a few
months of reports, for trying the portal out. Never needed, nor loaded, in production."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from communities.models import Community, Compound, Unit
from communities.roles import Role
from communities.services import membership_add

from .models import Assignment, Checklist, ProgressReport, Target, TargetValue
from .services import assignments_generate

DEMO_PASSWORD = "yijia-demo-2017"  # noqa: S105 (a published demo login, not a secret)
COMMUNITY_NUMERALS = "一二三四五六七八"
DEMO_MONTHS = (7, 8, 9, 10)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    place: str


DEMO_LOGINS = (
    DemoLogin("admin", Role.STREET_ADMIN, "街道联席办"),
    DemoLogin("fangguansuo", Role.LEAD_UNIT_STAFF, "房管所"),
    DemoLogin("shequ1", Role.COMMUNITY_STAFF, "示例社区一"),
    DemoLogin("shequ2", Role.COMMUNITY_STAFF, "示例社区二"),
    DemoLogin("lingdao", Role.LEADERSHIP, ""),
)


@transaction.atomic
def demo_load(*, checklist: Checklist, seed: int = 2017) -> list[DemoLogin]:
    """Create the demo world for ``checklist``. Running it again changes nothing."""
    rng = random.Random(seed)  # noqa: S311 (demo data, not security)
    communities = _demo_communities(rng)
    assignments_generate(checklist=checklist)
    for item in checklist.items.filter(responsible_scope="selected_communities"):
        for community in communities[:3]:
            Assignment.objects.get_or_create(item=item, community=community)
    _demo_users()
    _demo_reports(checklist=checklist, rng=rng)
    return list(DEMO_LOGINS)


def _demo_communities(rng: random.Random) -> list[Community]:
    communities = []
    for index, numeral in enumerate(COMMUNITY_NUMERALS, start=1):
        community, _ = Community.objects.get_or_create(
            name=f"示例社区{numeral}", defaults={"code": f"DEMO{index:02d}", "order": index}
        )
        communities.append(community)
        for number in range(1, rng.randint(3, 6) + 1):
            eligible = rng.random() < 0.85
            Compound.objects.get_or_create(
                community=community,
                name=f"示例{numeral}村{number}号小区",
                defaults={
                    "address": f"示例路{index * 100 + number}号",
                    "households": rng.randint(120, 900),
                    "property_manager": f"示例物业{rng.randint(1, 5)}"
                    if rng.random() < 0.9
                    else "",
                    "is_eligible_for_owners_committee": eligible,
                    "has_owners_committee": eligible and rng.random() < 0.8,
                },
            )
    return communities


def _demo_users() -> None:
    for login in DEMO_LOGINS:
        user, created = User.objects.get_or_create(
            username=login.username,
            defaults={"is_staff": login.role == Role.STREET_ADMIN},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.is_superuser = login.role == Role.STREET_ADMIN
            user.save()
        user.groups.add(Group.objects.get(name=login.role))
        if login.role == Role.COMMUNITY_STAFF:
            membership_add(user=user, community=Community.objects.get(name=login.place))
        elif login.place:
            membership_add(user=user, unit=Unit.objects.get(name=login.place))


def _demo_value(target: Target, report: ProgressReport, rng: random.Random) -> TargetValue:
    value = TargetValue(report=report, target=target)
    kind = Target.Kind
    if target.kind == kind.RATE:
        value.denominator = rng.randint(0, 12)
        floor = min(value.denominator, round(value.denominator * (0.4 + 0.1 * report.month / 2)))
        value.numerator = rng.randint(floor, value.denominator)
    elif target.kind == kind.COUNT:
        value.quantity = rng.randint(0, int(target.threshold or 1) + 2)
    elif target.kind == kind.FREQUENCY:
        value.quantity = rng.randint(0, 5)
    elif target.kind == kind.DEADLINE:
        value.achieved_on = (
            datetime.date(2017, 6, rng.randint(20, 30)) if rng.random() < 0.7 else None
        )
    elif target.kind == kind.ZERO_GROWTH:
        value.quantity = 0 if rng.random() < 0.8 else rng.randint(1, 3)
    else:
        value.is_done = rng.random() < 0.2 * (report.month - 5)
    return value


def _demo_reports(*, checklist: Checklist, rng: random.Random) -> None:
    if ProgressReport.objects.filter(assignment__item__checklist=checklist).exists():
        return
    reviewer = User.objects.get(username="fangguansuo")
    filer = User.objects.get(username="shequ1")
    assignments = (
        Assignment.objects.for_checklist(checklist)
        .select_related("item")
        .prefetch_related("item__targets")
    )
    now = timezone.now()
    values = []
    for assignment in assignments:
        for month in DEMO_MONTHS:
            if month == DEMO_MONTHS[-1] and rng.random() < 0.25:
                continue  # not filed yet
            state = ProgressReport.WorkflowState.APPROVED
            if month == DEMO_MONTHS[-1]:
                state = rng.choice(list(ProgressReport.WorkflowState))
            report = ProgressReport.objects.create(
                assignment=assignment,
                year=checklist.year,
                month=month,
                status=rng.choice(list(ProgressReport.Status)),
                narrative=f"{month}月按计划推进,相关台账已整理。",
                workflow_state=state,
                submitted_at=now if state != ProgressReport.WorkflowState.DRAFT else None,
                submitted_by=(filer if assignment.community_id else reviewer)
                if state != ProgressReport.WorkflowState.DRAFT
                else None,
                reviewed_at=now if state == ProgressReport.WorkflowState.APPROVED else None,
                reviewed_by=reviewer if state == ProgressReport.WorkflowState.APPROVED else None,
            )
            values.extend(_demo_value(target, report, rng) for target in assignment.targets())
    TargetValue.objects.bulk_create(values)
