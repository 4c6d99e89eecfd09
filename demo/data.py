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
from meetings.duties import recurring_duties
from meetings.models import Meeting
from meetings.services import MeetingDetails, meeting_cancel, meeting_record
from tasks.models import Assignment, Checklist, ProgressReport, Target, TargetValue
from tasks.services import assignments_generate
from tasks.signals import progress_loaded

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
    _demo_meetings(checklist=checklist, communities=communities, rng=rng)
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
    values: list[TargetValue] = []
    for assignment in assignments:
        for month in DEMO_MONTHS:
            if month == DEMO_MONTHS[-1] and rng.random() < 0.25:
                continue  # not filed yet
            state = ProgressReport.WorkflowState.APPROVED
            if month == DEMO_MONTHS[-1]:
                state = rng.choice(list(ProgressReport.WorkflowState))
            filed = state != ProgressReport.WorkflowState.DRAFT
            submitted_at = _demo_submitted_at(checklist, month, rng) if filed else None
            reviewed = state in (
                ProgressReport.WorkflowState.APPROVED,
                ProgressReport.WorkflowState.RETURNED,
            )
            report = ProgressReport.objects.create(
                assignment=assignment,
                year=checklist.year,
                month=month,
                status=rng.choice(list(ProgressReport.Status)),
                narrative=f"{month}月按计划推进,相关台账已整理。",
                workflow_state=state,
                submitted_at=submitted_at,
                first_submitted_at=submitted_at,
                submitted_by=(filer if assignment.community_id else reviewer) if filed else None,
                reviewed_at=(
                    submitted_at + datetime.timedelta(days=1) if reviewed and submitted_at else None
                ),
                reviewed_by=reviewer if reviewed else None,
                review_comment="请补充佐证材料。"
                if state == ProgressReport.WorkflowState.RETURNED
                else "",
            )
            values.extend(_demo_value(target, report, rng) for target in assignment.targets())
    TargetValue.objects.bulk_create(values)
    progress_loaded.send(sender=ProgressReport, checklist_id=checklist.pk)


def _demo_submitted_at(checklist: Checklist, month: int, rng: random.Random) -> datetime.datetime:
    """When a demo report was first submitted: mostly in the days before the deadline, one
    in eight a few days after it."""
    deadline = checklist.filing_deadline(checklist.year, month)
    if rng.random() < 0.125:
        day = deadline + datetime.timedelta(days=rng.randint(1, 6))
    else:
        day = deadline - datetime.timedelta(days=rng.randint(0, 4))
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))


def _demo_meetings(
    *, checklist: Checklist, communities: list[Community], rng: random.Random
) -> None:
    """The recurring duties of July to October, recorded through the meetings services:
    the street's monthly joint meeting, and each community's decision meetings, fortnightly
    joint meetings and weekly contacts with 城管, with a few gaps so that some months are
    behind, and one cancelled meeting."""
    if Meeting.objects.filter(target__item__checklist=checklist).exists():
        return
    admin = User.objects.get(username="admin")
    unit_staff = User.objects.get(username="fangguansuo")
    staff = {login.place: User.objects.get(username=login.username) for login in DEMO_LOGINS}
    first = datetime.date(checklist.year, DEMO_MONTHS[0], 1)
    last = datetime.date(checklist.year, DEMO_MONTHS[-1] + 1, 1) - datetime.timedelta(days=1)
    step = {Target.Period.MONTH: 30, Target.Period.FORTNIGHT: 14, Target.Period.WEEK: 7}
    topics = {
        3: "住宅小区综合治理问题共同商议决策",
        14: "住宅小区综合管理问题协调",
        16: "城管执法进小区联系",
    }

    def record(target: Target, community: Community | None, day: datetime.date) -> Meeting:
        place = f"{community.name}居委会会议室" if community else "街道办事处会议室"
        people = [admin, unit_staff]
        if community is not None and community.name in staff:
            people.append(staff[community.name])
        when = datetime.datetime.combine(day, datetime.time(rng.choice((9, 10, 14, 15))))
        return meeting_record(
            details=MeetingDetails(
                target=target,
                community=community,
                starts_at=timezone.make_aware(when),
                place=place,
                topics=topics.get(target.item.number, target.title),
                attendees=people,
                minutes=f"{target.title}:通报上期事项落实情况,议定本期事项和责任人。",
            ),
            by=admin,
        )

    for target in recurring_duties(checklist):
        parties: list[Community | None] = [None]
        if target.level == Target.Level.PARTY:
            parties = list(communities)
        for community in parties:
            period = step[Target.Period(target.period)]
            day = first + datetime.timedelta(days=rng.randint(0, min(period, 14) - 1))
            while day <= last:
                if target.period == Target.Period.MONTH:
                    day = day.replace(day=rng.randint(8, 26))
                record(target, community, day)
                # now and then a meeting comes a few days late
                late = rng.random() < 0.1
                if target.period == Target.Period.MONTH:
                    month_after = day.replace(day=1) + datetime.timedelta(days=32)
                    day = month_after.replace(day=1)
                    if late:
                        day += datetime.timedelta(days=32)  # a month skipped
                else:
                    day += datetime.timedelta(days=period + (rng.randint(1, 4) if late else 0))
    mistaken = Meeting.objects.filter(target__item__checklist=checklist).order_by("pk").first()
    if mistaken is not None:
        meeting_cancel(meeting=mistaken, by=admin)
