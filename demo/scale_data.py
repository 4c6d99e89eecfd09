"""Synthetic data at a district's or a city's scale, for benchmarks (``manage.py
generate_scale_data``): communities with their compounds and staff, their assignments, and
a year of monthly progress reports with their figures.

The data set is plausible rather than uniform: each community has habits of its own (some
file late or not at all, some fall behind on a few items), a month's reports stand as they
would when the data set is taken (last month's still waiting for review or being written,
older ones approved), and each target's figures move through the year towards its
threshold, so that most are met by December and a minority fall behind. The recurring
duties (items 3, 14 and 16: decision meetings, joint meetings, contacts with 城管) are
recorded in the meeting register as the meetings held, most parties keeping the rhythm and
a few lapsing now and then; the frequency targets are judged from them, as the register
judges them everywhere. A report's 进展状态 follows from how ``Target.evaluate`` judges its
figures.

Everything is drawn from ``random.Random`` seeded with the seed and the community's code,
so a seed gives the same data every time, and the first 30 communities of a 300-community
set are the 30-community set.

Generated communities carry codes starting with ``SYN-`` and generated accounts usernames
starting with ``syn-``; ``scale_data_remove`` deletes them with everything attached (the
street's generated meetings are the ones a generated account recorded). There are no
evidence files, workflow histories (``ReportTransition``), extensions, scheduled or
cancelled meetings, meeting attachments or reminders.
"""

from __future__ import annotations

import calendar
import datetime
import math
import random
import time
import zoneinfo
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractUser, Group, User
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from communities.models import (
    Community,
    CommunityUserObjectPermission,
    Compound,
    CompoundRegister,
    Membership,
    Unit,
    UnitUserObjectPermission,
)
from communities.roles import Role
from communities.services import memberships_add_in_bulk
from meetings.compliance import judge_duty_month
from meetings.duties import duties_start, recurring_duties
from meetings.models import Meeting
from tasks.models import (
    Assignment,
    Checklist,
    Item,
    ProgressReport,
    Target,
    TargetValue,
    judge_status,
)
from tasks.registers import Figure
from tasks.services import assignment_set_communities, assignments_generate

CODE_PREFIX = "SYN-"
USERNAME_PREFIX = "syn-"
DEFAULT_PASSWORD = "Yijia-scale-2017!"  # noqa: S105 (synthetic accounts for benchmarks)
STAFF_PER_COMMUNITY = 2
STAFF_PER_UNIT = 2
# The share of communities concerned by each 相关社区 item (old housing renovation,
# secondary water supply): with the 36 items of 各社区, 37–38 assignments a community.
SELECTED_SHARE = 0.7
# Communities whose reports are built in memory and written in one transaction: about
# 45,000 reports and 50,000 figures for twelve months, some tens of MB of rows.
COMMUNITIES_PER_CHUNK = 100
BATCH_SIZE = 5000

State = ProgressReport.WorkflowState
Status = ProgressReport.Status
Kind = Target.Kind

# Where a month's reports stand when the data set is taken, by how long ago the month
# was: the latest month has many reports still waiting for review or being written.
STATE_MIX: dict[int, tuple[tuple[str, float], ...]] = {
    0: (
        (State.DRAFT, 0.10),
        (State.SUBMITTED, 0.30),
        (State.RETURNED, 0.05),
        (State.APPROVED, 0.55),
    ),
    1: (
        (State.DRAFT, 0.03),
        (State.SUBMITTED, 0.08),
        (State.RETURNED, 0.03),
        (State.APPROVED, 0.86),
    ),
}
OLDER_STATE_MIX = (
    (State.DRAFT, 0.01),
    (State.SUBMITTED, 0.01),
    (State.RETURNED, 0.02),
    (State.APPROVED, 0.96),
)
RETURNED_ONCE_SHARE = 0.06  # approved reports that were returned once and corrected

# The words names are made of.
PLACES = """
    新成 迎园 金沙 桃园 清河 塔城 汇龙 丰庄 李园 梅园 沁园 菊园 樱花 银杏 白银 福海 桃李 陆家
    秋霞 胜辛 叶城 洪德 嘉宝 德富 天恩 金鹤 银翔 希望 金地 城中 西门 东门 南门 北门 环城 双丁
    温宿 博乐 和静 墅沟 唐行 迎春 安亭 方泰 黄渡 徐行 华亭 外冈 马陆 南翔 江桥 封浜 真新 戬浜
    曹王 娄塘 朱桥 望新 钱门 石冈 泾河 澄桥 高石 练祁 新源 绿苑 瑞林 仓场 静华 舜浦 胜利 和平
    幸福 团结 红旗 曙光 朝阳 光明 永乐 长春 民主 友谊 建设 振华 兴华 新华 中华 宝华 育才 春晖
    秀水 云翔 星华 白鹤 槎溪 古猗 紫荆 丁香 香花 新丰 金桥 云谷 聚源 众仁 佳园 怡华 凤池 荷花
    龙潭 柳湖 桂林 康城 惠民 文化 体育 工农 兰花 泰宸 盘古 新郁
""".split()
ORDINALS = ["", *"一 二 三 四 五 六 七 八 九 十".split()]
COMMUNITY_KINDS = "村 新村 苑 社区 花园 坊 里 公寓".split()
COMPOUND_WORDS = """
    阳光 金色 紫藤 丽景 锦绣 桂花 樱花 明珠 翠湖 绿洲 春晓 秋月 枫丹 白鹭 香樟 银杏 海棠 玉兰
    梧桐 嘉和 嘉乐 嘉城 嘉怡 嘉泰 新城 新宇 怡景 怡心 悦城 名都 东方 南湖 北斗 西林 东林 华城
    宝翔 祥和 安居 康乐 龙庭 凤鸣 荷塘 柳岸 蓝天 白云 青松 翠竹
""".split()
COMPOUND_KINDS = "苑 花园 公寓 小区 家园 新村 华庭 名邸 佳苑 一村 二村 三村".split()
ROADS = """
    新成路 城中路 沪宜公路 塔城路 博乐路 清河路 温宿路 阿克苏路 和政路 叶城路 迎园路 仓场路
    东大街 西大街 嘉罗公路 墅沟路 沙霞路 金沙路 胜辛路 洪德路 天祝路 裕民路 福海路 梅园路
    汇源路 伊宁路 永盛路
""".split()
PROPERTY_MANAGERS = [
    f"上海{word}物业管理有限公司"
    for word in """
        嘉宁 新成 汇龙 金鹤 安居 佳福 永业 明华 嘉城 东明 联洋 锦华 德胜 恒丰 和顺 裕华 嘉亿
        瑞祥 诚信 百合 绿地 阳光
    """.split()
]
SURNAMES = """
    王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 朱 马 胡 郭 何 高 林 沈 顾 陆 钱 蒋 唐 许 金 姚 潘 施 邹 曹
""".split()
GIVEN_NAMES = """
    伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 霞 平 刚 桂英 建华 玉兰 红 英 华
    建国 海燕 晓燕 志强 丽华 国庆 卫东 佩琴 雪芳 文杰 慧 婷 琳 彬 颖 俊 凤英
""".split()
NARRATIVES = {
    Status.NOT_STARTED: (
        "尚未启动,已列入下月工作计划。",
        "前期摸底调查中,计划下月启动。",
        "已明确责任人,待牵头部门布置后启动。",
    ),
    Status.IN_PROGRESS: (
        "本月按计划推进,相关台账已整理。",
        "已召开居民代表会议研究部署,按节点推进。",
        "已落实专人负责,本月完成阶段性工作,数据见指标。",
        "会同物业、业委会推进,本月进展正常。",
        "按牵头部门要求推进,台账资料同步归档。",
    ),
    Status.COMPLETED: (
        "已完成,相关台账资料已归档。",
        "本项工作已全部完成,佐证材料已留存。",
        "已按要求完成,并报牵头部门备案。",
    ),
    Status.LAGGING: (
        "受小区居民意见不统一影响,进度滞后;已召开协调会,下月加快推进。",
        "因施工单位进场推迟,进度滞后,已与牵头部门沟通并制定补救措施。",
        "业委会换届尚未完成,相关工作暂缓,已报街道协调。",
        "人员调整交接中,本月工作滞后,下月补齐。",
        "经费尚未落实,进度滞后,已向街道申请。",
    ),
}
RETURN_REASONS = (
    "佐证材料不全,请补充会议记录和照片后重新提交。",
    "分子分母与上月数据不一致,请核实后重新填报。",
    "进展情况过于简略,请写明具体措施和完成时间。",
    "滞后原因说明不充分,请补充整改措施。",
)

Log = Callable[[str], None]


def office_moment(
    rng: random.Random, zone: datetime.tzinfo, day: datetime.date
) -> datetime.datetime:
    """A time in office hours (08:30–17:30) on ``day``."""
    minutes = rng.randint(8 * 60 + 30, 17 * 60 + 30)
    return datetime.datetime.combine(day, datetime.time(minutes // 60, minutes % 60), tzinfo=zone)


def office_later(
    rng: random.Random, zone: datetime.tzinfo, moment: datetime.datetime, days: tuple[int, int]
) -> datetime.datetime:
    """A time in office hours ``days`` (a range) after ``moment``."""
    return office_moment(rng, zone, moment.date() + datetime.timedelta(days=rng.randint(*days)))


class GeneratedDataExists(Exception):
    """Generated communities or accounts are already in the database."""


def generated_communities() -> models.QuerySet[Community]:
    return Community.objects.filter(code__startswith=CODE_PREFIX)


def generated_users() -> models.QuerySet[AbstractUser]:
    return get_user_model().objects.filter(username__startswith=USERNAME_PREFIX)


@dataclass
class Totals:
    """What a run wrote, for the command's summary and the tests."""

    communities: int = 0
    compounds: int = 0
    users: int = 0
    assignments: int = 0
    reports: dict[str, int] = field(default_factory=lambda: {state: 0 for state in State})
    missing: int = 0
    values: int = 0
    meetings: int = 0


# ---------------------------------------------------------------------------------------
# Writing rows


def _insert_rows(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> list[int]:
    """Write new rows, given as tuples of the values of ``columns`` (attribute names; the
    other fields take their defaults), and return their primary keys in order.

    On PostgreSQL with COPY, several times faster than INSERT for millions of rows, the
    keys taken from the table's sequence first so that rows pointing at these can follow.
    Elsewhere (SQLite, the tests) with ``bulk_create``, which sets ``auto_now`` timestamps
    to now where COPY keeps the ones given."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objects = [model(**dict(zip(columns, row, strict=True))) for row in rows]
        model._default_manager.bulk_create(objects, batch_size=BATCH_SIZE)
        return [obj.pk for obj in objects]
    from psycopg import sql

    meta = model._meta
    given: list[models.Field[Any, Any]] = []
    for column in columns:
        field = meta.get_field(column)
        assert isinstance(field, models.Field)  # noqa: S101 (columns name concrete fields)
        given.append(field)
    defaults = [f for f in meta.concrete_fields if f not in given and not f.primary_key]
    default_values = tuple(f.get_default() for f in defaults)
    fields = [meta.pk, *given, *defaults]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(meta.db_table), sql.SQL(", ").join(sql.Identifier(f.column) for f in fields)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(rows)],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        with cursor.cursor.copy(statement) as copy:
            for pk, row in zip(ids, rows, strict=True):
                copy.write_row((pk, *row, *default_values))
    return ids


def _chunks(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class _Clock:
    """Prints each step with its own time and the time since the start."""

    def __init__(self, log: Log) -> None:
        self.log = log
        self.started = self.last = time.perf_counter()

    def step(self, message: str) -> None:
        now = time.perf_counter()
        self.log(f"{message}  [{now - self.last:.1f} s, 累计 {now - self.started:.1f} s]")
        self.last = now


def _rng(seed: int, *parts: object) -> random.Random:
    """A generator of its own for one community (or unit) and stage, so that a community's
    data does not depend on how many others are generated."""
    return random.Random(":".join(str(part) for part in (seed, *parts)))  # noqa: S311


# ---------------------------------------------------------------------------------------
# Removing


def scale_data_remove(*, log: Log) -> None:
    """Delete the generated communities with their compounds, assignments, reports and
    meetings, then the generated accounts with the reports they filed or reviewed (the
    units' reports) and the street's meetings they recorded."""
    clock = _Clock(log)
    community_ids = list(generated_communities().order_by("pk").values_list("pk", flat=True))
    for chunk in _chunks(community_ids, COMMUNITIES_PER_CHUNK):
        with transaction.atomic():
            reports = ProgressReport.objects.filter(assignment__community__in=chunk)
            # The figures first, in one statement, so that deleting the reports does not
            # collect them row by row.
            TargetValue.objects.filter(report__in=reports).delete()
            reports.delete()
            Meeting.objects.filter(community__in=chunk).delete()
            Assignment.objects.filter(community__in=chunk).delete()
            Compound.objects.filter(community__in=chunk).delete()
            Community.objects.filter(pk__in=chunk).delete()
    users = generated_users()
    with transaction.atomic():
        reports = ProgressReport.objects.filter(
            Q(submitted_by__in=users) | Q(reviewed_by__in=users)
        )
        TargetValue.objects.filter(report__in=reports).delete()
        reports.delete()
        Meeting.objects.filter(recorded_by__in=users).delete()
        users.delete()
    clock.step(f"已删除之前生成的 {len(community_ids):,} 个社区及其数据和生成的账号")


# ---------------------------------------------------------------------------------------
# Communities, compounds, people


@dataclass(frozen=True)
class CommunityFacts:
    """What a community's figures are counted over."""

    compounds: int
    eligible: int  # compounds eligible for an owners' committee
    with_committee: int
    managed: int  # compounds with a property manager


@dataclass
class _World:
    """The generated parties, in memory for the reports stage."""

    communities: list[Community] = field(default_factory=list)
    facts: dict[int, CommunityFacts] = field(default_factory=dict)
    community_staff: dict[int, list[int]] = field(default_factory=dict)
    unit_staff: dict[int, list[int]] = field(default_factory=dict)
    street_admin: int | None = None


def _community_names(seed: int, count: int) -> list[str]:
    """``count`` unique names like 新成一村居委会, none already taken."""
    taken = set(Community.objects.values_list("name", flat=True))
    pool = [
        f"{place}{ordinal}{kind}居委会"
        for place in PLACES
        for ordinal in ORDINALS
        for kind in COMMUNITY_KINDS
    ]
    random.Random(seed).shuffle(pool)  # noqa: S311
    names = [name for name in pool if name not in taken][:count]
    round_ = 2
    while len(names) < count:  # beyond 10,000 communities: 新成一村第2居委会 …
        extra = [f"{name.removesuffix('居委会')}第{round_}居委会" for name in pool]
        names += [name for name in extra if name not in taken][: count - len(names)]
        round_ += 1
    return names


def _person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)


def _compounds(community: Community, rng: random.Random) -> list[Compound]:
    count = round(rng.triangular(3, 15, 6))
    names: set[str] = set()
    while len(names) < count:
        name = rng.choice(COMPOUND_WORDS) + rng.choice(COMPOUND_KINDS)
        names.add(name if name not in names else f"{name}二期")
    compounds = []
    for name in sorted(names):
        eligible = rng.random() < 0.88
        compounds.append(
            Compound(
                community=community,
                name=name,
                address=f"{rng.choice(ROADS)}{rng.randint(1, 1200)}弄",
                households=max(60, min(2500, round(rng.lognormvariate(math.log(450), 0.5)))),
                property_manager=rng.choice(PROPERTY_MANAGERS) if rng.random() < 0.9 else "",
                is_eligible_for_owners_committee=eligible,
                has_owners_committee=eligible and rng.random() < 0.82,
            )
        )
    return compounds


def _communities_create(*, count: int, seed: int, world: _World) -> Totals:
    totals = Totals()
    first_order = (Community.objects.aggregate(top=models.Max("order"))["top"] or 0) + 1
    for index, name in enumerate(_community_names(seed, count), start=1):
        world.communities.append(
            Community(name=name, code=f"{CODE_PREFIX}{index:05d}", order=first_order + index - 1)
        )
    Community.objects.bulk_create(world.communities, batch_size=BATCH_SIZE)
    compounds: list[Compound] = []
    for community in world.communities:
        own = _compounds(community, _rng(seed, community.code, "compounds"))
        world.facts[community.pk] = CommunityFacts(
            compounds=len(own),
            eligible=sum(c.is_eligible_for_owners_committee for c in own),
            with_committee=sum(c.has_owners_committee for c in own),
            managed=sum(bool(c.property_manager) for c in own),
        )
        compounds += own
    Compound.objects.bulk_create(compounds, batch_size=BATCH_SIZE)
    totals.communities, totals.compounds = len(world.communities), len(compounds)
    return totals


def _people_create(*, password: str, seed: int, world: _World) -> int:
    """Two staff for each community and each unit, a street admin and a leader. One
    password hash for all (hashing is deliberately slow); memberships and object
    permissions through ``communities.services.memberships_add_in_bulk``."""
    user_model = get_user_model()
    password_hash = make_password(password)
    groups = {group.name: group for group in Group.objects.filter(name__in=list(Role))}
    users: list[tuple[User, Role, Community | None, Unit | None]] = []

    def person(username: str, role: Role, rng: random.Random, **place: Any) -> None:
        user = user_model(
            username=f"{USERNAME_PREFIX}{username}",
            first_name=_person_name(rng),
            password=password_hash,
            is_staff=role == Role.STREET_ADMIN,
        )
        users.append((user, role, place.get("community"), place.get("unit")))

    for community in world.communities:
        rng = _rng(seed, community.code, "staff")
        for seat in range(1, STAFF_PER_COMMUNITY + 1):
            number = community.code.removeprefix(CODE_PREFIX)
            person(f"c{number}-{seat}", Role.COMMUNITY_STAFF, rng, community=community)
    for index, unit in enumerate(Unit.objects.order_by("order", "pk"), start=1):
        rng = _rng(seed, "unit", unit.name, "staff")
        for seat in range(1, STAFF_PER_UNIT + 1):
            person(f"u{index:02d}-{seat}", Role.LEAD_UNIT_STAFF, rng, unit=unit)
    rng = _rng(seed, "street")
    person("admin", Role.STREET_ADMIN, rng)
    person("leader", Role.LEADERSHIP, rng)

    user_model.objects.bulk_create([user for user, *_ in users], batch_size=BATCH_SIZE)
    through = user_model.groups.through
    through.objects.bulk_create(
        [through(user_id=u.pk, group_id=groups[role].pk) for u, role, *_ in users],
        batch_size=BATCH_SIZE,
    )
    memberships_add_in_bulk(
        places=[
            (user, community, unit) for user, _role, community, unit in users if community or unit
        ],
        batch_size=BATCH_SIZE,
    )
    for user, role, staff_community, staff_unit in users:
        if staff_community is not None:
            world.community_staff.setdefault(staff_community.pk, []).append(user.pk)
        if staff_unit is not None:
            world.unit_staff.setdefault(staff_unit.pk, []).append(user.pk)
        if role == Role.STREET_ADMIN:
            world.street_admin = user.pk
    return len(users)


def _assignments_create(*, checklist: Checklist, seed: int, world: _World) -> int:
    """Every 各社区 item through ``assignments_generate``; each 相关社区 item for a share of
    the generated communities (the communities already concerned stay)."""
    before = Assignment.objects.for_checklist(checklist).count()
    assignments_generate(checklist=checklist)
    for item in checklist.items.filter(responsible_scope=Item.Scope.SELECTED_COMMUNITIES):
        rng = _rng(seed, "selected", item.number)
        concerned = list(Community.objects.filter(assignments__item=item))
        concerned += [c for c in world.communities if rng.random() < SELECTED_SHARE]
        assignment_set_communities(item=item, communities=concerned)
    return Assignment.objects.for_checklist(checklist).count() - before


# ---------------------------------------------------------------------------------------
# Meetings: the recurring duties as the meeting register records them

# What each duty's meetings are about, by item number (the 2017 checklist's duties); any
# other duty is about its title.
MEETING_TOPICS: dict[int, tuple[str, ...]] = {
    3: (
        "住宅小区综合治理问题共同商议决策",
        "区域化党建项目清单商议",
        "党员议事会议定小区停车管理事项",
    ),
    14: (
        "住宅小区综合管理问题协调",
        "小区综合治理联席会议:群租整治和违建处置",
        "物业服务和业委会运作情况通报",
    ),
    16: ("城管执法进小区联系", "城管联系:小区违建和乱设摊情况", "城管联系:建筑垃圾清运"),
}
MEETING_HOURS = (9, 10, 14, 15)
# The days between two meetings of a duty kept in rhythm (never more than its period).
RHYTHM = {7: (7, 7, 7, 7, 6, 5), 14: (14, 14, 14, 13, 12, 10, 7)}
MEETING_COLUMNS = (
    "target_id",
    "community_id",
    "state",
    "starts_at",
    "place",
    "topics",
    "minutes",
    "recorded_by_id",
    "created_at",
    "updated_at",
)
ATTENDEE_COLUMNS = ("meeting_id", "user_id")
ONE_DAY = datetime.timedelta(days=1)


def meeting_lapse_rate(laxness: float) -> float:
    """How often a party lets a meeting slip (a monthly meeting skipped, a weekly or
    fortnightly one held days too late): never for the 70% least lax, up to 15%."""
    return max(0.0, laxness - 0.7) / 2


def meeting_days(
    duty: Target,
    *,
    start: datetime.date,
    end: datetime.date,
    lapse_rate: float,
    rng: random.Random,
) -> list[datetime.date]:
    """The days a party holds ``duty``'s meetings from ``start`` (the first day the duty
    is owed) to ``end``, on working days of the week. A monthly meeting falls between
    the 8th and the 26th; a weekly or fortnightly one follows the last within its period
    (the register's rule: ``meetings.compliance``), unless it lapses: then it comes days
    after the period ran out, and the month it runs out in is behind."""
    days: list[datetime.date] = []
    if duty.period == Target.Period.MONTH:
        for month in range(start.month, 13):
            day = _weekday(datetime.date(start.year, month, rng.randint(8, 26)))
            if day > end:
                break
            if rng.random() >= lapse_rate:
                days.append(day)
        return days
    period = Target.PERIOD_DAYS[Target.Period(duty.period)]
    last = start - ONE_DAY  # as the register counts: a meeting the day before the start
    while True:
        if rng.random() < lapse_rate:
            step = period + rng.randint(3, 9)  # still late once moved off a weekend
        else:
            step = rng.choice(RHYTHM[period])
        day = _weekday(last + datetime.timedelta(days=step))
        if day > end:
            return days
        days.append(day)
        last = day


def _weekday(day: datetime.date) -> datetime.date:
    """A Saturday's or Sunday's meeting held on the Friday before."""
    return day - datetime.timedelta(days=max(0, day.weekday() - 4))


class _MeetingMaker:
    """Builds the meetings held (已召开) as rows, remembers each party's days for the
    reports' verdicts (``days``: by duty pk and community pk, None for the street), and
    writes them with ``flush``."""

    def __init__(self, *, checklist: Checklist, through_month: int, totals: Totals) -> None:
        self.start = duties_start(checklist)
        yesterday = timezone.localdate() - ONE_DAY  # nothing is held in the future
        self.end = min(_month_end(checklist.year, through_month), yesterday)
        self.duties = recurring_duties(checklist)
        self.totals = totals
        self.zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        self.days: dict[tuple[int, int | None], list[datetime.date]] = {}
        self.rows: list[tuple[Any, ...]] = []
        # An attendee's row starts with its meeting's position in ``rows``.
        self.attendees: list[tuple[int, int]] = []

    def duties_of(self, level: str, items: set[int] | None = None) -> list[Target]:
        """The duties of the street (``Target.Level.STREET``) or of a party assigned
        ``items``."""
        return [
            duty
            for duty in self.duties
            if duty.level == level and (items is None or duty.item_id in items)
        ]

    def add(
        self,
        duty: Target,
        community: Community | None,
        *,
        recorders: list[int],
        lead_staff: list[int],
        laxness: float,
        rng: random.Random,
    ) -> None:
        """A party's meetings of ``duty`` through the year so far, recorded by one of
        ``recorders`` and attended by them and by a staff member of the item's lead
        unit."""
        days = meeting_days(
            duty,
            start=self.start,
            end=self.end,
            lapse_rate=meeting_lapse_rate(laxness),
            rng=rng,
        )
        self.days[duty.pk, community.pk if community is not None else None] = days
        place = f"{community.name}会议室" if community is not None else "街道办事处会议室"
        topics = MEETING_TOPICS.get(duty.item.number, (duty.title,))
        for day in days:
            held = datetime.datetime.combine(
                day, datetime.time(rng.choice(MEETING_HOURS)), tzinfo=self.zone
            )
            recorder = rng.choice(recorders)
            recorded = held + datetime.timedelta(hours=rng.randint(2, 30))
            topic = rng.choice(topics)
            position = len(self.rows)
            self.rows.append(
                (
                    duty.pk,
                    community.pk if community is not None else None,
                    Meeting.State.HELD,
                    held,
                    place,
                    topic,
                    f"{duty.title}:{topic}。通报上期事项落实情况,议定本期事项和责任人。",
                    recorder,
                    recorded,
                    recorded,
                )
            )
            people = {recorder, *([rng.choice(lead_staff)] if lead_staff else [])}
            self.attendees += [(position, user) for user in sorted(people)]

    def known(self, duty: Target, days: list[datetime.date]) -> None:
        """The street's meetings of ``duty`` already in the register (the demo's): the
        generator records none of its own then."""
        self.days[duty.pk, None] = sorted(days)

    def flush(self) -> None:
        """Write the meetings, then their attendees, and start afresh (the days are kept)."""
        ids = _insert_rows(Meeting, MEETING_COLUMNS, self.rows)
        through = Meeting.attendees.through
        _insert_rows(through, ATTENDEE_COLUMNS, [(ids[row], user) for row, user in self.attendees])
        self.totals.meetings += len(self.rows)
        self.rows, self.attendees = [], []

    def forget(self, communities: Sequence[Community]) -> None:
        """Drop the days of communities done with, so that memory stays flat."""
        gone = {community.pk for community in communities}
        self.days = {key: days for key, days in self.days.items() if key[1] not in gone}


# ---------------------------------------------------------------------------------------
# Reports


@dataclass(frozen=True)
class Habits:
    """How a party files: ``laxness`` (0 diligent … 1 lax) makes reports late or missing,
    ``capability`` (0 … 1) how many of its items reach their targets."""

    laxness: float
    capability: float

    @classmethod
    def draw(cls, rng: random.Random) -> Habits:
        return cls(laxness=rng.random(), capability=rng.random())

    @property
    def missing_rate(self) -> float:
        return 0.01 + 0.12 * self.laxness**2  # 5% on average

    @property
    def late_rate(self) -> float:
        return 0.02 + 0.3 * self.laxness**2  # 12% on average

    @property
    def behind_rate(self) -> float:
        return 0.03 + 0.3 * (1 - self.capability) ** 2  # 13% of items on average


STREET_FACTS = CommunityFacts(compounds=60, eligible=52, with_committee=45, managed=55)
Columns = tuple[int | None, int | None, int | None, datetime.date | None, bool | None]


def _month_end(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def _registered(target: Target, facts: CommunityFacts) -> int | None:
    """The compound register's count a rate's denominator is taken from
    (``Target.denominator_source``), None where it is not a registered count."""
    if not target.denominator_source:
        return None
    return {
        CompoundRegister.COMPOUNDS: facts.compounds,
        CompoundRegister.UNDER_PROPERTY_MANAGEMENT: facts.managed,
        CompoundRegister.WITH_OWNERS_COMMITTEE: facts.with_committee,
        CompoundRegister.ELIGIBLE_FOR_OWNERS_COMMITTEE: facts.eligible,
    }[CompoundRegister(target.denominator_source)]


def _denominator(target: Target, facts: CommunityFacts, rng: random.Random) -> int:
    """What a rate is counted over: the compound register's count where the target takes
    its denominator from the register (``Target.denominator_source``, as the filing form
    prefills it), else read from the checklist's wording of its denominator, a plausible
    number where it names nothing registered."""
    registered = _registered(target, facts)
    if registered is not None:
        return registered
    label = target.denominator_label
    if "小区" in label:
        if "物业" in label:
            return facts.managed
        if "已成立业委会" in label:
            return facts.with_committee
        if "符合" in label:
            return facts.eligible
        return facts.compounds
    if "业委会成员" in label:
        return facts.with_committee * rng.randint(5, 9)
    if "业委会" in label:
        return facts.with_committee
    if "党员" in label:
        return rng.randint(40, 400)
    if "党组织" in label or "平台" in label:
        return rng.randint(1, 4)
    if "器材" in label:
        return rng.randint(20, 150)
    if "新增" in label:
        return rng.randint(0, 6)
    return rng.randint(1, 12)


def target_course(
    target: Target,
    *,
    year: int,
    months: Sequence[int],
    behind: bool,
    facts: CommunityFacts,
    rng: random.Random,
) -> tuple[list[Columns], int]:
    """A target's figures for each month (numerator, denominator, quantity, achieved_on,
    is_done), moving from where the party starts towards the threshold, which it reaches
    by its deadline unless it falls ``behind``. Also the month work starts."""
    stated = target.stated_deadline
    last = stated.month if stated.year == year else 12
    start = 1 if rng.random() < 0.7 else rng.randint(2, 4)
    reach = rng.randint(min(max(start, 3), last), last)
    start = min(start, reach)

    def progress(month: int) -> float:
        if month < start:
            return 0.0
        return min(1.0, (month - start + 1) / (reach - start + 1))

    columns: list[Columns] = []
    if target.kind == Kind.RATE:
        denominator = _denominator(target, facts, rng)
        need = math.ceil((target.threshold or Decimal(100)) * denominator / 100)
        first = int(need * rng.uniform(0, 0.6))
        if behind and need > 0:
            final = rng.randint(first, need - 1)
        else:
            final = rng.randint(need, max(need, denominator))
        for month in months:
            numerator = first + math.floor((final - first) * progress(month))
            columns.append((numerator, denominator, None, None, None))
    elif target.kind == Kind.COUNT:
        need = int(target.threshold or 1)
        first = rng.randint(0, need - 1)
        final = rng.randint(first, need - 1) if behind else need + rng.choice((0, 0, 0, 1, 2))
        for month in months:
            quantity = first + math.floor((final - first) * progress(month))
            columns.append((None, None, quantity, None, None))
    elif target.kind == Kind.FREQUENCY:
        # Not typed: the meeting register gives the figure (``tasks.registers``).
        columns += [(None, None, None, None, None) for _month in months]
    elif target.kind == Kind.DEADLINE:
        due = target.deadline
        achieved: datetime.date | None = due - datetime.timedelta(days=rng.randint(0, 50))
        if behind:
            late = due + datetime.timedelta(days=rng.randint(5, 120))
            achieved = late if rng.random() < 0.6 else None
        for month in months:
            done = achieved if achieved and achieved <= _month_end(year, month) else None
            columns.append((None, None, None, done, None))
    elif target.kind == Kind.ZERO_GROWTH:
        for _month in months:
            new = rng.randint(1, 3) if rng.random() < (0.1 if behind else 0.01) else 0
            columns.append((None, None, new, None, None))
    else:  # milestone
        for month in months:
            columns.append((None, None, None, None, not behind and month >= reach))
    return columns, start


def report_status(evaluations: Sequence[Target.Verdict], *, ongoing: bool, started: bool) -> str:
    """The 进展状态 a party gives a report, from how its figures are judged: 滞后 when a
    target is behind, 已完成 when all are met (推进中 for a recurring duty, never done for
    the year), 未启动 before work starts."""
    verdict = Target.Verdict
    if any(v == verdict.BEHIND for v in evaluations):
        return Status.LAGGING
    if evaluations and all(v == verdict.MET for v in evaluations):
        return Status.IN_PROGRESS if ongoing else Status.COMPLETED
    return Status.IN_PROGRESS if started else Status.NOT_STARTED


REPORT_COLUMNS = (
    "assignment_id",
    "year",
    "month",
    "status",
    "declared_status",
    "narrative",
    "workflow_state",
    "submitted_at",
    "first_submitted_at",
    "submitted_by_id",
    "reviewed_at",
    "reviewed_by_id",
    "review_comment",
    "version",
    "created_at",
    "updated_at",
)
VALUE_COLUMNS = (
    "report_id",
    "target_id",
    "numerator",
    "denominator",
    "quantity",
    "achieved_on",
    "is_done",
    "denominator_registered",
)
FIGURE_COLUMNS = VALUE_COLUMNS[2:7]  # what a party reports, as ``Columns``


class _ReportMaker:
    """Builds reports and their figures as rows (a city's year is millions of them), and
    writes them with ``flush``."""

    def __init__(
        self,
        *,
        checklist: Checklist,
        through_month: int,
        reviewers: dict[int, list[int]],
        targets: dict[tuple[int, bool], list[Target]],
        totals: Totals,
        meetings: _MeetingMaker,
    ) -> None:
        self.year = checklist.year
        self.duties_start = duties_start(checklist)
        # The months owed up to ``through_month``: none before the checklist takes effect.
        self.months = [month for month in checklist.months_owed() if month <= through_month]
        self.deadlines = {m: checklist.filing_deadline(self.year, m) for m in self.months}
        self.reviewers = reviewers  # staff of each item's primary lead unit, by item id
        self.targets = targets  # by (item id, is street level)
        self.totals = totals
        self.zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        self.meetings = meetings  # the days each party held its duties
        self.verdicts: dict[tuple[int, int, Columns, str | None], Target.Verdict] = {}
        self.figures: dict[tuple[int, int | None, int], Figure | None] = {}
        self.reports: list[tuple[Any, ...]] = []
        # A figure's row starts with its report's position in ``reports``, replaced by the
        # report's key once the reports are written.
        self.values: list[tuple[Any, ...]] = []

    def _verdict(
        self, target: Target, month: int, columns: Columns, community_id: int | None
    ) -> Target.Verdict:
        """How ``Target.evaluate`` judges these figures (and the register's figure, for
        a target judged from it), remembered: the same figures come back thousands of
        times."""
        figure = self._register_figure(target, month, community_id)
        key = (target.pk, month, columns, figure.verdict if figure is not None else None)
        if key not in self.verdicts:
            value = TargetValue(target=target, **dict(zip(FIGURE_COLUMNS, columns, strict=True)))
            self.verdicts[key] = target.evaluate(
                value, year=self.year, month=month, figure=figure
            ).verdict
        return self.verdicts[key]

    def _register_figure(
        self, target: Target, month: int, community_id: int | None
    ) -> Figure | None:
        """The meeting register's judgement of a frequency target for the party (the
        community, or the street for a street-level duty; a unit owes none) from the
        meetings generated (``_MeetingMaker.days``), made by ``judge_duty_month`` from
        the same days as ``meetings.compliance`` reads from the register, so that the
        pages, the summary tables and ``manage.py consistency`` find the same verdict."""
        if not target.is_judged_from_register:
            return None
        party = None if target.level == Target.Level.STREET else community_id
        if target.level != Target.Level.STREET and community_id is None:
            return None
        key = (target.pk, party, month)
        if key in self.figures:
            return self.figures[key]
        today = timezone.localdate()
        first = datetime.date(self.year, month, 1)
        figure = None
        if self.duties_start.replace(day=1) <= first <= today:
            days = self.meetings.days.get((target.pk, party), [])
            before = [day for day in days if day < first]
            cell = judge_duty_month(
                duty=target,
                community=None,
                year=self.year,
                month=month,
                held_on=days,
                held_before=max(before) if before else None,
                start=self.duties_start,
                today=today,
            )
            figure = Figure(
                verdict=cell.verdict, measured=f"{cell.measured} 次", explanation=cell.explanation
            )
        self.figures[key] = figure
        return figure

    def _state(self, rng: random.Random, month: int, *, drafts: bool) -> str:
        mix = STATE_MIX.get(self.months[-1] - month, OLDER_STATE_MIX)
        if not drafts:  # a unit's unsent report counts as submitted (see ``add``)
            mix = tuple((State.SUBMITTED if s == State.DRAFT else s, w) for s, w in mix)
        states, weights = zip(*mix, strict=True)
        return rng.choices(states, weights)[0]

    def add(
        self,
        assignment_id: int,
        item: Item,
        *,
        community_id: int | None,
        is_street_level: bool,
        habits: Habits,
        facts: CommunityFacts,
        filers: list[int],
        rng: random.Random,
        drafts: bool = True,
        skip_months: frozenset[int] = frozenset(),
    ) -> None:
        """The year of one assignment (``community_id`` None for a unit's).
        ``drafts=False`` for units: every report a unit has is one its (generated) staff
        submitted, which is how ``scale_data_remove`` finds them."""
        targets = self.targets[(item.pk, is_street_level)]
        behind = rng.random() < habits.behind_rate
        courses, starts = [], []
        for target in targets:
            course, start = target_course(
                target, year=self.year, months=self.months, behind=behind, facts=facts, rng=rng
            )
            courses.append(course)
            starts.append(start)
        ongoing = any(t.kind in (Kind.FREQUENCY, Kind.ZERO_GROWTH) for t in targets)
        reviewers = self.reviewers.get(item.pk) or filers
        for index, month in enumerate(self.months):
            missing = rng.random() < habits.missing_rate + (0.03 if month == self.months[-1] else 0)
            if month in skip_months:  # filed already, not by the generator
                continue
            if missing:
                self.totals.missing += 1
                continue
            figures = [course[index] for course in courses]
            verdicts = [
                self._verdict(target, month, columns, community_id)
                for target, columns in zip(targets, figures, strict=True)
            ]
            status = report_status(
                verdicts, ongoing=ongoing, started=month >= min(starts, default=1)
            )
            position = len(self.reports)
            self.reports.append(
                self._report(
                    assignment_id,
                    month,
                    status=status,
                    judged=judge_status(verdicts),
                    filers=filers,
                    reviewers=reviewers,
                    habits=habits,
                    drafts=drafts,
                    rng=rng,
                )
            )
            self.values += [
                (position, target.pk, *columns, _registered(target, facts))
                for target, columns in zip(targets, figures, strict=True)
            ]

    def _report(
        self,
        assignment_id: int,
        month: int,
        *,
        status: str,
        judged: str | None,
        filers: list[int],
        reviewers: list[int],
        habits: Habits,
        drafts: bool,
        rng: random.Random,
    ) -> tuple[Any, ...]:
        """A report's row (``REPORT_COLUMNS``): where it stands in the workflow, who filed
        and reviewed it and when."""
        state = self._state(rng, month, drafts=drafts)
        self.totals.reports[state] += 1
        row: dict[str, Any] = {
            "assignment_id": assignment_id,
            "year": self.year,
            "month": month,
            # What counts is the targets' judgement; the party's own word is kept beside it.
            "status": judged or status,
            "declared_status": status,
            "narrative": rng.choice(NARRATIVES[Status(status)]),
            "workflow_state": state,
            "submitted_at": None,
            "first_submitted_at": None,
            "submitted_by_id": None,
            "reviewed_at": None,
            "reviewed_by_id": None,
            "review_comment": "",
            "version": 2,
        }
        if state == State.DRAFT:
            month_end = _month_end(self.year, month)
            opened = office_moment(
                rng, self.zone, month_end + datetime.timedelta(days=rng.randint(1, 8))
            )
            row.update(version=rng.randint(1, 2), created_at=opened, updated_at=opened)
            return tuple(row[column] for column in REPORT_COLUMNS)

        deadline = self.deadlines[month]
        if rng.random() < habits.late_rate:
            day = deadline + datetime.timedelta(days=math.ceil(rng.expovariate(1 / 4)))
        else:  # from the last days of the month to the deadline
            window = (deadline - _month_end(self.year, month)).days + 2
            day = deadline - datetime.timedelta(days=rng.randint(0, window))
        first_submitted = submitted = office_moment(rng, self.zone, day)
        row.update(
            first_submitted_at=first_submitted,
            submitted_by_id=rng.choice(filers),
            created_at=first_submitted - datetime.timedelta(days=rng.randint(0, 2), hours=1),
        )
        if state == State.RETURNED:
            row.update(
                reviewed_at=office_later(rng, self.zone, submitted, (1, 4)),
                reviewed_by_id=rng.choice(reviewers),
                review_comment=rng.choice(RETURN_REASONS),
                version=3,
            )
        elif state == State.APPROVED:
            if rng.random() < RETURNED_ONCE_SHARE:  # returned, corrected, submitted again
                submitted = office_later(
                    rng, self.zone, office_later(rng, self.zone, submitted, (1, 4)), (1, 5)
                )
                row["version"] = 4
            row.update(
                reviewed_at=office_later(rng, self.zone, submitted, (1, 6)),
                reviewed_by_id=rng.choice(reviewers),
                version=row["version"] + 1,
            )
        row.update(submitted_at=submitted, updated_at=row["reviewed_at"] or submitted)
        return tuple(row[column] for column in REPORT_COLUMNS)

    def flush(self) -> None:
        """Write the reports, then their figures, and start afresh."""
        ids = _insert_rows(ProgressReport, REPORT_COLUMNS, self.reports)
        _insert_rows(TargetValue, VALUE_COLUMNS, [(ids[row[0]], *row[1:]) for row in self.values])
        self.totals.values += len(self.values)
        self.reports, self.values = [], []


def _reports_create(
    *,
    checklist: Checklist,
    through_month: int,
    seed: int,
    world: _World,
    totals: Totals,
    clock: _Clock,
) -> None:
    items = {item.pk: item for item in checklist.items.with_details()}
    targets = {
        (item.pk, street): Assignment(item=item, is_street_level=street).targets()
        for item in items.values()
        for street in (False, True)
    }
    reviewers = {
        item.pk: world.unit_staff.get(lead.pk, [])
        for item in items.values()
        if (lead := item.primary_lead_unit) is not None
    }
    meetings = _MeetingMaker(checklist=checklist, through_month=through_month, totals=totals)
    _street_meetings(meetings, seed=seed, world=world, reviewers=reviewers)
    clock.step(f"会议记录:街道 {totals.meetings:,} 条")

    def maker() -> _ReportMaker:
        return _ReportMaker(
            checklist=checklist,
            through_month=through_month,
            reviewers=reviewers,
            targets=targets,
            totals=totals,
            meetings=meetings,
        )

    communities = world.communities
    for number, chunk in enumerate(_chunks(communities, COMMUNITIES_PER_CHUNK), start=1):
        reports = maker()
        by_community: dict[int, list[tuple[int, int, bool]]] = {}
        for pk, item_id, community_id, street in (
            Assignment.objects.filter(
                community__in=[c.pk for c in chunk], item__checklist=checklist
            )
            .order_by("item__number", "pk")
            .values_list("pk", "item_id", "community_id", "is_street_level")
        ):
            by_community.setdefault(community_id, []).append((pk, item_id, street))
        for community in chunk:
            rng = _rng(seed, community.code, "reports")
            habits = Habits.draw(rng)
            # The meetings first: the frequency targets are judged from them. Drawn from
            # a generator of their own, so that the reports' draws do not depend on them.
            meeting_rng = _rng(seed, community.code, "meetings")
            assigned = {item_id for _pk, item_id, _street in by_community.get(community.pk, [])}
            for duty in meetings.duties_of(Target.Level.PARTY, assigned):
                meetings.add(
                    duty,
                    community,
                    recorders=world.community_staff[community.pk],
                    lead_staff=reviewers.get(duty.item_id, []),
                    laxness=habits.laxness,
                    rng=meeting_rng,
                )
            for pk, item_id, street in by_community.get(community.pk, []):
                reports.add(
                    pk,
                    items[item_id],
                    community_id=community.pk,
                    is_street_level=street,
                    habits=habits,
                    facts=world.facts[community.pk],
                    filers=world.community_staff[community.pk],
                    rng=rng,
                )
        with transaction.atomic():
            meetings.flush()
            reports.flush()
        meetings.forget(chunk)
        done = min(number * COMMUNITIES_PER_CHUNK, len(communities))
        clock.step(f"会议记录和月报:社区 {done:,}/{len(communities):,}")

    # The units' own assignments (item 30 for every joint meeting member, item 15 for
    # 房管所 and 城管中队, the street-level targets of items 3 and 14), where no report
    # exists yet for the month.
    reports = maker()
    assignments = (
        Assignment.objects.for_checklist(checklist)
        .filter(unit__isnull=False)
        .select_related("unit")
        .order_by("unit__order", "item__number", "is_street_level")
    )
    existing: dict[int, set[int]] = {}
    for assignment_id, month in ProgressReport.objects.filter(
        assignment__in=assignments, year=checklist.year
    ).values_list("assignment_id", "month"):
        existing.setdefault(assignment_id, set()).add(month)
    for assignment in assignments:
        unit = assignment.unit
        assert unit is not None  # noqa: S101 (narrowing: filtered on unit)
        item = items[assignment.item_id]
        rng = _rng(seed, "unit", unit.name, item.number, assignment.is_street_level, "reports")
        reports.add(
            assignment.pk,
            item,
            community_id=None,
            is_street_level=assignment.is_street_level,
            habits=Habits.draw(rng),
            facts=STREET_FACTS,
            filers=world.unit_staff[unit.pk],
            rng=rng,
            drafts=False,
            skip_months=frozenset(existing.get(assignment.pk, ())),
        )
    with transaction.atomic():
        reports.flush()
    clock.step("月报:各单位")


def _street_meetings(
    meetings: _MeetingMaker, *, seed: int, world: _World, reviewers: dict[int, list[int]]
) -> None:
    """The street's own duties (item 14's monthly joint meeting), recorded by the
    generated street admin, unless the street held them already (the demo's meetings):
    those are the street's record then, and the units' street-level reports are judged
    from them."""
    recorders = [world.street_admin] if world.street_admin is not None else []
    for duty in meetings.duties_of(Target.Level.STREET):
        held = Meeting.objects.held().filter(
            target=duty, community__isnull=True, starts_at__year=duty.item.checklist.year
        )
        existing = [
            timezone.localdate(moment) for moment in held.values_list("starts_at", flat=True)
        ]
        if existing or not recorders:
            meetings.known(duty, existing)
            continue
        rng = _rng(seed, "street", duty.item.number, duty.order, "meetings")
        meetings.add(
            duty,
            None,
            recorders=recorders,
            lead_staff=reviewers.get(duty.item_id, []),
            laxness=Habits.draw(rng).laxness,
            rng=rng,
        )
    with transaction.atomic():
        meetings.flush()


# ---------------------------------------------------------------------------------------
# The whole


def scale_data_generate(
    *,
    checklist: Checklist,
    communities: int,
    through_month: int,
    seed: int,
    password: str = DEFAULT_PASSWORD,
    log: Log = print,
) -> Totals:
    """Generate ``communities`` communities with their compounds, staff, assignments and
    the reports of the months owed (``Checklist.months_owed``) up to ``through_month``
    of the checklist's year. Raises
    ``GeneratedDataExists`` if generated data is already there (remove it first with
    ``scale_data_remove``)."""
    existing = generated_communities().count()
    if existing or generated_users().exists():
        raise GeneratedDataExists(
            f"数据库里已有生成的数据(编号以 {CODE_PREFIX} 开头的社区 {existing:,} 个,"
            f"或用户名以 {USERNAME_PREFIX} 开头的账号)。"
        )
    clock = _Clock(log)
    world = _World()
    with transaction.atomic():
        totals = _communities_create(count=communities, seed=seed, world=world)
        clock.step(f"社区 {totals.communities:,} 个,住宅小区 {totals.compounds:,} 个")
        totals.users = _people_create(password=password, seed=seed, world=world)
        clock.step(f"账号 {totals.users:,} 个(含任职和对象权限)")
        totals.assignments = _assignments_create(checklist=checklist, seed=seed, world=world)
        clock.step(f"任务分派 {totals.assignments:,} 条")
    _reports_create(
        checklist=checklist,
        through_month=through_month,
        seed=seed,
        world=world,
        totals=totals,
        clock=clock,
    )
    if connection.vendor == "postgresql":
        # Statistics for the planner, as autovacuum would gather them some time later.
        written = (
            Community,
            Compound,
            get_user_model(),
            get_user_model().groups.through,
            Membership,
            CommunityUserObjectPermission,
            UnitUserObjectPermission,
            Assignment,
            Meeting,
            Meeting.attendees.through,
            ProgressReport,
            TargetValue,
        )
        with connection.cursor() as cursor:
            for model in written:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        clock.step("ANALYZE")
    return totals
