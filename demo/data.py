"""The demo data set (示例数据): example communities with their compounds, staff for every
community and every lead unit, the recurring meetings and four months of reports with their
history and evidence (``demo.reports``), for trying the portal out. Never needed, nor
loaded, in production."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from communities.models import Community, Compound, Unit
from communities.roles import Role
from communities.services import membership_add
from meetings.duties import recurring_duties
from meetings.models import Meeting
from meetings.services import MeetingDetails, meeting_cancel, meeting_record
from tasks.models import Checklist, Item, Target
from tasks.services import assignment_set_communities, assignments_generate
from tasks.signals import progress_deferred

from .reports import demo_staff, reports_tell

DEMO_PASSWORD = "yijia-demo-2017"  # noqa: S105 (a published demo login, not a secret)
COMMUNITY_NUMERALS = "一二三四五六七八"
DEMO_MONTHS = (7, 8, 9, 10)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    place: str
    name: str = ""


# admin, fangguansuo, shequ1, shequ2 and lingdao are the logins README.md has always
# documented; every other community and lead unit has its own staff too, so that each
# report is filed by its community and reviewed by its item's lead unit.
DEMO_LOGINS = (
    DemoLogin("admin", Role.STREET_ADMIN, "街道联席办", "吴晓燕"),
    DemoLogin("fangguansuo", Role.LEAD_UNIT_STAFF, "房管所", "金国庆"),
    DemoLogin("shequ1", Role.COMMUNITY_STAFF, "示例社区一", "王敏"),
    DemoLogin("shequ2", Role.COMMUNITY_STAFF, "示例社区二", "李静"),
    DemoLogin("lingdao", Role.LEADERSHIP, "", "许建国"),
    DemoLogin("shequ3", Role.COMMUNITY_STAFF, "示例社区三", "张丽华"),
    DemoLogin("shequ4", Role.COMMUNITY_STAFF, "示例社区四", "陈建国"),
    DemoLogin("shequ5", Role.COMMUNITY_STAFF, "示例社区五", "顾佩琴"),
    DemoLogin("shequ6", Role.COMMUNITY_STAFF, "示例社区六", "陆卫东"),
    DemoLogin("shequ7", Role.COMMUNITY_STAFF, "示例社区七", "沈雪芳"),
    DemoLogin("shequ8", Role.COMMUNITY_STAFF, "示例社区八", "周志强"),
    DemoLogin("dangjian", Role.LEAD_UNIT_STAFF, "社区党建办", "徐海燕"),
    DemoLogin("zizhi", Role.LEAD_UNIT_STAFF, "社区自治办", "朱文杰"),
    DemoLogin("guanli", Role.LEAD_UNIT_STAFF, "社区管理办", "孙刚"),
    DemoLogin("chengguan", Role.LEAD_UNIT_STAFF, "城管中队", "马军"),
    DemoLogin("wangge", Role.LEAD_UNIT_STAFF, "联勤网格化中心", "胡磊"),
    DemoLogin("wenti", Role.LEAD_UNIT_STAFF, "文体中心", "郭婷"),
    DemoLogin("wenming", Role.LEAD_UNIT_STAFF, "社区文明办", "何颖"),
    DemoLogin("fuwu", Role.LEAD_UNIT_STAFF, "社区服务办", "高玉兰"),
    DemoLogin("sifasuo", Role.LEAD_UNIT_STAFF, "新成路司法所", "林彬"),
    DemoLogin("tuangongwei", Role.LEAD_UNIT_STAFF, "团工委", "姚慧"),
    DemoLogin("fulian", Role.LEAD_UNIT_STAFF, "妇联", "潘凤英"),
    DemoLogin("guitusuo", Role.LEAD_UNIT_STAFF, "规土所", "施建华"),
    DemoLogin("paichusuo", Role.LEAD_UNIT_STAFF, "新成路派出所", "邹勇"),
    DemoLogin("anjian", Role.LEAD_UNIT_STAFF, "社区发展办(安监)", "曹强"),
    DemoLogin("pingan", Role.LEAD_UNIT_STAFF, "社区平安办", "蒋涛"),
    DemoLogin("shichang", Role.LEAD_UNIT_STAFF, "市场监管所", "唐洋"),
)


@transaction.atomic
def demo_load(*, checklist: Checklist, seed: int = 2017) -> list[DemoLogin]:
    """Create the demo world for ``checklist``. Running it again changes nothing."""
    rng = random.Random(seed)  # noqa: S311 (demo data, not security)
    communities = _demo_communities(rng)
    assignments_generate(checklist=checklist)
    for item in checklist.items.filter(responsible_scope=Item.Scope.SELECTED_COMMUNITIES):
        concerned = list(Community.objects.filter(assignments__item=item))
        missing = [community for community in communities[:3] if community not in concerned]
        if missing:
            assignment_set_communities(item=item, communities=concerned + missing)
    _demo_users()
    units = list(Unit.objects.filter(name__in=[login.place for login in DEMO_LOGINS]))
    staff = demo_staff(communities=communities, units=units)
    # The summary tables are computed once at the end, not after each meeting and report
    # (each meeting recorded would judge again every month of its duty).
    with progress_deferred(checklist_id=checklist.pk):
        # The meetings first: the reports' frequency targets count the meetings held.
        _demo_meetings(checklist=checklist, communities=communities, rng=rng)
        months = range(DEMO_MONTHS[0], DEMO_MONTHS[-1] + 1)
        reports_tell(checklist=checklist, months=months, staff=staff, seed=seed)
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
    password = make_password(DEMO_PASSWORD)  # once: hashing is deliberately slow
    for login in DEMO_LOGINS:
        user, created = User.objects.get_or_create(
            username=login.username,
            defaults={"is_staff": login.role == Role.STREET_ADMIN},
        )
        if created:
            user.password = password
            user.is_superuser = login.role == Role.STREET_ADMIN
        if created or not user.first_name:
            user.first_name = login.name
            user.save()
        user.groups.add(Group.objects.get(name=login.role))
        if login.role == Role.COMMUNITY_STAFF:
            membership_add(user=user, community=Community.objects.get(name=login.place))
        elif login.place:
            membership_add(user=user, unit=Unit.objects.get(name=login.place))


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
        # The community's staff (who record it) and the item's lead unit; the street's
        # meeting is recorded by the street admin.
        recorder = staff.get(community.name, admin) if community is not None else admin
        lead = target.item.primary_lead_unit
        people = list(dict.fromkeys([recorder, staff.get(lead.name if lead else "", admin)]))
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
            by=recorder,
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
