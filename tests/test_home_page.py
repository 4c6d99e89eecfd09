"""The home page is each role's to-do list for the month being filed: the community's items
by state with the one next thing to do, what waits for a lead unit's review, the street's
month and the health of its background jobs, the leaders' headline figures."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db.models import Count
from django.test import Client
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from pytest_django import DjangoAssertNumQueries

from communities.models import Community
from communities.roles import Role
from dashboards.models import AssignmentMonth, UrgeNotice
from dashboards.services import urge_acknowledge, urge_send
from home.panels import OVERDUE_SHOWN
from notifications.models import OutboxMessage
from tasks.models import Assignment, Checklist, DeadlineExtension, ProgressReport
from tasks.services import (
    assignments_generate,
    extension_decide,
    extension_request,
    progress_report_approve,
    progress_report_return,
)
from tests.conftest import SHANGHAI, _person, assignment_of
from tests.filing import file_item_report, time_travel

pytestmark = pytest.mark.django_db

ROLES = ("community_one_staff", "housing_staff", "street_admin", "leader")


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_of(user: User) -> str:
    response = client_for(user).get("/")
    assert response.status_code == 200
    return response.content.decode()


def section(page: str, panel: str) -> str:
    """The HTML of one panel (``<article id="filing">`` …)."""
    match = re.search(rf'<article class="home-panel" id="{panel}">(.*?)</article>', page, re.S)
    assert match, f"no {panel} panel"
    return match.group(1)


def state_count(page: str, state: str) -> tuple[int, str]:
    """The count and the link of a state on the filing panel."""
    match = re.search(
        rf'home-state-{state}[^"]*"><a href="([^"]+)"><span class="home-count">(\d+)</span>',
        page,
    )
    assert match, state
    return int(match.group(2)), match.group(1).replace("&amp;", "&")


def primary_button(page: str) -> tuple[str, str, str]:
    """(href, classes, text) of the filing panel's one button."""
    buttons = re.findall(r'<a href="([^"]+)" role="button" class="([^"]*)">([^<]+)</a>', page)
    assert len(buttons) == 1, buttons
    href, css, text = buttons[0]
    return href.replace("&amp;", "&"), css, text.strip()


@pytest.fixture
def august_10th_2017() -> Iterator[time_machine.Traveller]:
    """Thursday 10 August 2017: July's deadline (Monday 7 August) has passed."""
    with time_travel(2017, 8, 10) as traveller:
        yield traveller


# Who sees what


def test_an_anonymous_visitor_is_sent_to_the_login_page(client: Client, world: Checklist) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


@pytest.mark.parametrize(
    ("who", "panels"),
    [
        ("community_one_staff", {"filing"}),
        # 房管所 reviews the items it leads, and files its own (items 15 and 30).
        ("housing_staff", {"review", "filing"}),
        # 街道联席办 runs the street, leads items and files its own assignments.
        ("street_admin", {"street", "review", "filing"}),
        ("leader", {"leadership"}),
    ],
)
def test_each_role_sees_its_own_panels(
    request: pytest.FixtureRequest, august_3rd_2017: object, who: str, panels: set[str]
) -> None:
    page = page_of(request.getfixturevalue(who))
    shown = set(re.findall(r'<article class="home-panel" id="(\w+)">', page))
    assert shown == panels
    assert "2017年7月进展" in page  # the month being filed on 3 August
    assert 'href="/checklist/?year=2017"' in page  # the checklist moved, linked from here


def test_a_user_with_no_place_is_told_whom_to_ask(
    world: Checklist, django_user_model: type[User]
) -> None:
    page = page_of(django_user_model.objects.create_user("newcomer"))
    assert "您的账号还没有分配社区或单位" in page
    assert 'class="home-panel"' not in page


def test_a_user_with_several_roles_sees_each_panel(
    world: Checklist, community_one: Community, leader: User, august_3rd_2017: object
) -> None:
    from communities.services import membership_add

    membership_add(user=leader, community=community_one)
    page = page_of(leader)
    assert 'id="filing"' in page and 'id="leadership"' in page


# The community's panel


@pytest.fixture
def july_filed(
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    housing_staff: User,
    party_building_staff: User,
) -> dict[str, ProgressReport]:
    """Community one's July on 3 August: item 1 a draft, item 8 submitted, item 7
    approved, item 18 returned; the rest not started."""
    with time_travel(2017, 8, 1):
        draft = file_item_report(world, 1, community_one, community_one_staff, submit=False)
        submitted = file_item_report(world, 8, community_one, community_one_staff)
        approved = file_item_report(world, 7, community_one, community_one_staff)
        returned = file_item_report(world, 18, community_one, community_one_staff)
    with time_travel(2017, 8, 2):
        progress_report_approve(report=approved, by=housing_staff)
        progress_report_return(report=returned, by=housing_staff, comment="请补充照片")
    return {"draft": draft, "submitted": submitted, "approved": approved, "returned": returned}


def test_the_community_sees_the_month_s_items_by_state_as_in_the_database(
    july_filed: dict[str, ProgressReport],
    community_one: Community,
    community_one_staff: User,
    august_3rd_2017: object,
) -> None:
    page = section(page_of(community_one_staff), "filing")

    owed = Assignment.objects.filter(community=community_one).count()
    reports = dict(
        ProgressReport.objects.filter(assignment__community=community_one, year=2017, month=7)
        .values_list("workflow_state")
        .annotate(n=Count("pk"))
    )
    state = ProgressReport.WorkflowState
    expected = {
        "missing": (owed - sum(reports.values()), "todo"),
        "draft": (reports[state.DRAFT], "draft"),
        "returned": (reports[state.RETURNED], "returned"),
        "submitted": (reports[state.SUBMITTED], "submitted"),
        "approved": (reports[state.APPROVED], "approved"),
    }
    assert expected["draft"][0] == expected["returned"][0] == 1
    for name, (count, show) in expected.items():
        assert state_count(page, name) == (
            count,
            f"/workspace/?year=2017&month=7&show={show}",
        )
    for label in ("待填报", "草稿", "被退回", "已提交", "已通过"):
        assert label in page
    # July is due on Monday 7 August (the 5th is a Saturday): four days from the 3rd.
    assert "截止 2017年8月7日" in page
    assert "还有 4 天" in page


def test_the_next_thing_is_the_returned_report_first(
    july_filed: dict[str, ProgressReport], community_one_staff: User, august_3rd_2017: object
) -> None:
    href, css, text = primary_button(page_of(community_one_staff))
    assert href == "/workspace/?year=2017&month=7&show=returned"
    assert text == "修改被退回的 1 项"
    assert "outline" not in css


def test_the_next_thing_is_what_is_not_submitted_when_nothing_is_returned(
    world: Checklist, community_one: Community, community_one_staff: User, august_3rd_2017: object
) -> None:
    owed = Assignment.objects.filter(community=community_one).count()
    href, _css, text = primary_button(page_of(community_one_staff))
    assert href == "/workspace/?year=2017&month=7&show=todo"
    assert text == f"填报本月 {owed} 项"


def test_with_only_drafts_left_the_button_opens_the_drafts_and_counts_them(
    world: Checklist, community_one: Community, community_one_staff: User, august_3rd_2017: object
) -> None:
    rows = AssignmentMonth.objects.filter(community=community_one, year=2017, month=7)
    rows.update(state=AssignmentMonth.State.SUBMITTED, first_submitted_on=datetime.date(2017, 8, 2))
    drafted = list(rows.order_by("pk").values_list("pk", flat=True)[:2])
    AssignmentMonth.objects.filter(pk__in=drafted).update(
        state=AssignmentMonth.State.DRAFT, first_submitted_on=None
    )
    href, _css, text = primary_button(page_of(community_one_staff))
    assert href == "/workspace/?year=2017&month=7&show=draft"
    assert text == "提交 2 项草稿"


def test_when_everything_is_submitted_the_button_says_so_quietly(
    world: Checklist, community_one: Community, community_one_staff: User, august_3rd_2017: object
) -> None:
    # Every row of the community's July submitted (the summary table is what the page reads).
    AssignmentMonth.objects.filter(community=community_one, year=2017, month=7).update(
        state=AssignmentMonth.State.SUBMITTED, first_submitted_on=datetime.date(2017, 8, 2)
    )
    href, css, text = primary_button(page_of(community_one_staff))
    assert href == "/workspace/?year=2017&month=7&show=all"
    assert "本月已全部提交" in text
    assert "outline" in css
    # Nothing is left to be late: no countdown, even with the deadline behind.
    with time_travel(2017, 8, 10):
        deadline = section(page_of(community_one_staff), "filing")
    assert "截止 2017年8月7日 · 每项都已报送" in re.sub(r"\s+", " ", deadline)
    assert "已过截止日" not in deadline


def test_a_passed_deadline_reads_as_days_past(
    world: Checklist, community_one_staff: User, august_10th_2017: object
) -> None:
    assert "已过截止日 3 天" in section(page_of(community_one_staff), "filing")


def _grant(world: Checklist, number: int, party: Community, until: datetime.date, by: User) -> None:
    """The party asks on 4 August for a later deadline for July of item ``number``, and
    its lead unit grants it the next day."""
    requester = party.memberships.select_related("user").first()
    assert requester is not None
    with time_travel(2017, 8, 4):
        extension = extension_request(
            assignment=assignment_of(world, number, party),
            year=2017,
            month=7,
            requested_deadline=until,
            reason="小区数据核对中",
            by=requester.user,
        )
    with time_travel(2017, 8, 5):
        extension_decide(extension=extension, by=by, grant=True)


def test_a_granted_extension_is_said_beside_the_deadline_it_does_not_move_for_the_rest(
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    housing_staff: User,
    august_10th_2017: object,
) -> None:
    # Item 8 (led by 房管所) may be filed until 15 August; the 35 others were due on the 7th.
    _grant(world, 8, community_one, datetime.date(2017, 8, 15), housing_staff)
    page = section(page_of(community_one_staff), "filing")
    assert "截止 2017年8月7日 ·" in page
    assert "已过截止日 3 天" in page
    assert "其中 1 项已获延期,最晚至 8月15日" in page


def test_when_every_item_left_has_an_extension_its_date_is_the_deadline_and_days_left(
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    housing_staff: User,
    august_10th_2017: object,
) -> None:
    _grant(world, 8, community_one, datetime.date(2017, 8, 15), housing_staff)
    _grant(world, 7, community_one, datetime.date(2017, 8, 11), housing_staff)
    # Everything else submitted (the summary table is what the page reads).
    AssignmentMonth.objects.filter(community=community_one, year=2017, month=7).exclude(
        item__number__in=[7, 8]
    ).update(state=AssignmentMonth.State.SUBMITTED, first_submitted_on=datetime.date(2017, 8, 2))
    assert list(
        AssignmentMonth.objects.filter(community=community_one, year=2017, month=7)
        .filter(first_submitted_on__isnull=True)
        .order_by("deadline")
        .values_list("deadline", flat=True)
    ) == [datetime.date(2017, 8, 11), datetime.date(2017, 8, 15)]
    page = section(page_of(community_one_staff), "filing")
    # The earliest of the two: Friday 11 August, tomorrow.
    assert "截止 2017年8月11日(已获延期)" in page
    assert "还有 1 天" in page
    assert "已过截止日" not in page
    assert "其中 2 项已获延期,最晚至 8月15日" in page


def test_an_unacknowledged_urge_is_listed_with_its_acknowledge_link_until_acknowledged(
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    street_admin: User,
    august_10th_2017: object,
) -> None:
    urge = urge_send(
        assignment=assignment_of(world, 2, community_one), year=2017, month=7, by=street_admin
    )
    page = section(page_of(community_one_staff), "filing")
    assert "催办未确认(1 条)" in page
    assert f'href="/notifications/urges/{urge.pk}/"' in page

    urge_acknowledge(urge=urge, by=community_one_staff)
    assert "催办未确认" not in page_of(community_one_staff)


def test_nothing_from_2026_shows_as_an_empty_year(
    world: Checklist, community_one_staff: User, leader: User
) -> None:
    with time_machine.travel(datetime.datetime(2026, 12, 1, 10, tzinfo=SHANGHAI), tick=False):
        for user in (community_one_staff, leader):
            page = page_of(user)
            assert "2017年12月进展" in page
            assert "2026年" not in page.replace("今天是 2026年12月1日", "")
        filing = section(page_of(community_one_staff), "filing")
    assert "年度已结束" in filing
    assert "截止 2018年1月5日" in filing


def test_in_a_closed_year_the_panel_offers_late_filing_as_the_workspace_takes_it(
    world: Checklist, community_one_staff: User
) -> None:
    """Once 2017 is over (not archived), 本月填报 still takes December's reports, filed
    late: the panel says so beside the deadline, and its button offers the same."""
    with time_machine.travel(datetime.datetime(2026, 12, 1, 10, tzinfo=SHANGHAI), tick=False):
        page = page_of(community_one_staff)
        href, _css, text = primary_button(page)
        workspace = client_for(community_one_staff).get(href)
    filing = section(page, "filing")
    missing, _link = state_count(page, "missing")
    assert missing > 0
    assert "年度已结束,未报送的仍可补报(计为逾期报送)" in filing
    assert text == f"补报 {missing} 项"
    assert "填报本月" not in filing
    assert href == "/workspace/?year=2017&month=12&show=todo"
    # The workspace shows those items, each still open to filing.
    assert workspace.status_code == 200
    filters = {key: count for key, _label, count in workspace.context["filters"]}
    assert filters["todo"] == missing
    assert workspace.context["editable_count"] >= missing
    assert "全部提交" in workspace.content.decode()


# The lead unit's panel


def test_the_lead_unit_sees_what_waits_for_its_review_as_in_the_database(
    july_filed: dict[str, ProgressReport],
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    community_two: Community,
    community_two_staff: User,
    housing_staff: User,
    august_3rd_2017: object,
) -> None:
    with time_travel(2017, 8, 2):
        file_item_report(world, 8, community_two, community_two_staff)
        file_item_report(world, 20, community_two, community_two_staff)
        extension_request(
            assignment=assignment_of(world, 21, community_two),
            year=2017,
            month=7,
            requested_deadline=datetime.date(2017, 8, 15),
            reason="台风影响",
            by=community_two_staff,
        )
    page = section(page_of(housing_staff), "review")

    waiting = dict(
        ProgressReport.objects.reviewable_by(housing_staff)
        .submitted()
        .values_list("assignment__item_id")
        .annotate(n=Count("pk"))
    )
    assert len(waiting) == 2  # item 8 from both communities, item 20 from community two
    for item_id, count in waiting.items():
        link = f'href="/review/?state=submitted&amp;item={item_id}">'
        assert f'{link}<strong class="home-count-inline">{count}</strong>' in page
    pending = DeadlineExtension.objects.pending().count()
    assert pending == 1
    assert 'href="/review/#extensions"' in page
    assert f"待审批的延期申请 {pending} 份" in page
    # Before July's deadline nobody is overdue.
    assert "本月没有逾期未报的责任单位" in page


def test_each_waiting_count_opens_the_queue_of_exactly_those_reports(
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    community_two: Community,
    community_two_staff: User,
    street_admin: User,
    august_3rd_2017: object,
) -> None:
    """The street admin's unit leads some items and the admin sees every party's reports:
    the links say 只看本单位 (``mine``), so that each count is what its queue lists."""
    led = sorted(
        Assignment.objects.reviewable_by(street_admin)
        .filter(community=community_one)
        .values_list("item__number", flat=True)
    )[:2]
    assert len(led) == 2
    others = Assignment.objects.filter(community=community_one).exclude(
        item__number__in=Assignment.objects.reviewable_by(street_admin).values("item__number")
    )
    other = others.order_by("item__number").values_list("item__number", flat=True).first()
    assert other is not None
    with time_travel(2017, 8, 2):
        for number in led:
            file_item_report(world, number, community_one, community_one_staff)
        file_item_report(world, led[0], community_two, community_two_staff)
        file_item_report(world, other, community_one, community_one_staff)  # not its review
    page = section(page_of(street_admin), "review")
    links = [
        (href.replace("&amp;", "&"), int(count))
        for href, count in re.findall(
            r'<a href="([^"]+)"><strong class="home-count-inline">(\d+)</strong>', page
        )
    ]
    all_link = re.search(r'<a href="([^"]+)" class="home-waiting-all">全部 (\d+) 份待审核', page)
    assert all_link
    links.append((all_link.group(1).replace("&amp;", "&"), int(all_link.group(2))))
    assert [count for _href, count in links] == [2, 1, 3]
    client = client_for(street_admin)
    for href, count in links:
        assert "mine=on" in href
        response = client.get(href)
        assert response.status_code == 200
        listed = [row.report for row in response.context["rows"]]
        assert len(listed) == count, href
        assert {r.workflow_state for r in listed} == {ProgressReport.WorkflowState.SUBMITTED}
        assert all(r.assignment.item.number in led for r in listed)


def test_the_lead_unit_sees_the_parties_overdue_on_its_items(
    july_filed: dict[str, ProgressReport],
    world: Checklist,
    housing_staff: User,
    august_10th_2017: object,
) -> None:
    page = section(page_of(housing_staff), "review")
    overdue = AssignmentMonth.objects.filter(
        assignment__in=Assignment.objects.reviewable_by(housing_staff),
        year=2017,
        month=7,
        first_submitted_on__isnull=True,
    )
    parties = overdue.values("community", "unit").distinct().count()
    assert f"{parties} 个责任单位,共 {overdue.count()} 份" in page
    assert 'href="/dashboard/matrix/?year=2017&amp;month=7"' in page
    assert page.count('class="urge-link"') == min(overdue.count(), OVERDUE_SHOWN)
    assert "/dashboard/urge/?assignment=" in page


# The street admin's panel


def test_the_street_admin_sees_the_month_s_figures_from_the_summary_tables(
    july_filed: dict[str, ProgressReport], street_admin: User, august_3rd_2017: object
) -> None:
    page = section(page_of(street_admin), "street")
    rows = AssignmentMonth.objects.filter(year=2017, month=7)
    expected, received = rows.count(), rows.filter(first_submitted_on__isnull=False).count()
    assert received == 3  # submitted, approved, returned
    # Said of the month the figures are of (July here, as the heading says).
    assert f"7月应报 {expected} 份,已报 {received} 份" in page
    assert "街道概况 · 2017年7月" in page
    rate = round(received * 100 / expected, 1)
    reporting = re.search(r'data-figure="reporting">\s*<small>报送率</small>(.*?)</p>', page, re.S)
    assert reporting
    assert f'<a href="/dashboard/?year=2017&amp;month=7">{rate}%</a>' in reporting.group(1)


def test_each_block_names_the_month_it_is_about_when_the_figures_are_of_an_earlier_one(
    july_filed: dict[str, ProgressReport], street_admin: User, leader: User
) -> None:
    """On 4 September August is being filed and has no report yet: the figures are July's
    (the month the dashboard opens on), and each block says so."""
    with time_travel(2017, 9, 4):
        page = page_of(street_admin)
        leadership = section(page_of(leader), "leadership")
    assert "正在填报 2017年8月进展" in page
    street = section(page, "street")
    assert "街道概况 · 2017年7月" in street
    assert "8月还没有已提交的月报,这里是最近有月报的7月的数据。" in street
    assert "7月应报" in street
    # The overdue count is of the month being filed, and so is the dashboard it opens.
    assert re.search(
        r'href="/dashboard/\?year=2017&amp;month=8#late" class="home-street-overdue">8月逾期未报',
        street,
    )
    assert "本月填报 · 2017年8月" in section(page, "filing")
    assert "全街道完成情况 · 2017年7月" in leadership
    assert '<a href="/dashboard/briefing/?year=2017&amp;month=7">7月简报</a>' in leadership


def test_the_street_admin_sees_the_parties_without_staff(
    world: Checklist, street_admin: User, community_one_staff: User, august_3rd_2017: object
) -> None:
    page = section(page_of(street_admin), "street")
    unstaffed = re.search(r'<section class="home-unstaffed">(.*?)</section>', page, re.S)
    assert unstaffed
    assert "示例社区二" in unstaffed.group(1)  # nobody of community two has an account
    assert "示例社区一" not in unstaffed.group(1)
    assert 'href="/admin/communities/membership/add/"' in unstaffed.group(1)


def _job(page: str, name: str) -> str:
    match = re.search(rf'<li class="(home-\w+)" data-job="{name}">(.*?)</li>', page, re.S)
    assert match
    return f"{match.group(1)} {' '.join(match.group(2).split())}"


def test_the_street_admin_sees_the_reminder_run_flagged_when_it_stopped(
    world: Checklist, street_admin: User, august_3rd_2017: object
) -> None:
    run = PeriodicTask.objects.get(task="reminders.reminders_run")
    assert "home-stale" in _job(page_of(street_admin), "reminders")  # never run
    assert "从未运行" in _job(page_of(street_admin), "reminders")

    run.last_run_at = timezone.now() - datetime.timedelta(minutes=10)
    run.save()
    job = _job(page_of(street_admin), "reminders")
    assert job.startswith("home-ok") and "最近一次运行 8月3日 09:50" in job

    PeriodicTask.objects.filter(pk=run.pk).update(
        last_run_at=timezone.now() - datetime.timedelta(hours=3)
    )
    job = _job(page_of(street_admin), "reminders")
    assert job.startswith("home-stale") and "已超过 1 小时没有运行" in job

    PeriodicTask.objects.filter(pk=run.pk).update(enabled=False)
    assert "没有启用的定时任务" in _job(page_of(street_admin), "reminders")


def test_the_street_admin_sees_the_outbox_backlog_flagged_when_old(
    world: Checklist, street_admin: User, august_3rd_2017: object
) -> None:
    assert _job(page_of(street_admin), "outbox").startswith("home-ok")
    now = timezone.now()
    OutboxMessage.objects.create(task="notifications.send", created_at=now)
    job = _job(page_of(street_admin), "outbox")
    assert job.startswith("home-ok") and "1 条" in job
    OutboxMessage.objects.create(
        task="notifications.send", created_at=now - datetime.timedelta(minutes=20)
    )
    OutboxMessage.objects.create(
        task="notifications.send", created_at=now - datetime.timedelta(hours=2), published_at=now
    )
    job = _job(page_of(street_admin), "outbox")
    assert job.startswith("home-stale") and "2 条,最早的已等待 20" in job


# Leadership's panel


def test_leadership_sees_the_month_and_the_year_to_date_with_the_briefing(
    july_filed: dict[str, ProgressReport], leader: User, august_3rd_2017: object
) -> None:
    page = section(page_of(leader), "leadership")
    for label in ("完成率", "报送率", "按时报送率"):
        assert label in page
    assert "7–7月累计" in page  # the year to date: July is the first month owed
    assert 'href="/dashboard/briefing/?year=2017&amp;month=7"' in page
    assert 'href="/dashboard/?year=2017&amp;month=7"' in page


# Queries


def _more_communities(world: Checklist, count: int) -> None:
    for number in range(count):
        Community.objects.create(name=f"增补社区{number}", order=10 + number)
    assignments_generate(checklist=world)


@pytest.mark.parametrize(
    ("who", "most"),
    [
        # Every page: session, user, header (places, roles, unread), session renewal
        # (savepoint, update, release); the home page: the checklist being filed (2), the
        # user's permissions, then per panel:
        # filing: counts by state, urges (and their count when more than are shown);
        # review: whether the unit leads items, submitted per item, extensions, overdue
        # totals, overdue rows; street: month's figures (PartyMonth), overdue count,
        # parties without staff, reminder run, outbox; leadership: month's figures.
        ("community_one_staff", 14),  # 11 + filing 2 + review's check 1
        ("housing_staff", 18),  # 11 + filing 2 + review 5
        ("street_admin", 24),  # 11 + filing 2 + review 5 + street 5 + the figures' month 1
        ("leader", 15),  # 11 + filing's check 1 + review's check 1 + figures 1 + their month 1
    ],
)
def test_the_home_page_needs_the_same_queries_for_any_number_of_communities(
    request: pytest.FixtureRequest,
    july_filed: dict[str, ProgressReport],
    world: Checklist,
    community_one: Community,
    street_admin: User,
    august_10th_2017: object,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    who: str,
    most: int,
) -> None:
    user = request.getfixturevalue(who)
    urge_send(
        assignment=assignment_of(world, 2, community_one), year=2017, month=7, by=street_admin
    )
    client = client_for(user)
    with django_assert_max_num_queries(most) as before:
        small = client.get("/")
    _more_communities(world, 6)
    for community in Community.objects.filter(name__startswith="增补社区"):
        _person(f"staff{community.pk}", Role.COMMUNITY_STAFF, community=community)
    # New people and memberships: the next request reads the user's row, permissions and
    # header again (yijia/sessions.py); the one after is measured.
    client.get("/")
    with django_assert_max_num_queries(most) as after:
        large = client.get("/")
    assert small.status_code == large.status_code == 200
    assert len(after) == len(before)
    assert UrgeNotice.objects.count() == 1
