"""The completion dashboard's figures against a hand-worked July 2017.

On 20 August 2017 (July's reports were due on Monday 7 August: the 5th was a Saturday):

- A: 示例社区一, item 7 (rate ≥ 70%, filed 8/10): filed 3 August, approved → complete.
- B: 示例社区一, item 8 (rate ≥ 90%, filed 8/10): filed 3 August, returned.
- C: 示例社区二, item 7: filed 9 August, two days late.
- D: 示例社区二, item 8: not filed, 13 days overdue.
- E: 示例社区二, item 18: an extension to 15 August granted, filed 10 August → on time.
- F: 示例社区一, item 14 (meetings every fortnight): filed 3 August with none held →
  a target behind (滞后).

Every other assignment of July is unfiled, hence overdue too.
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from communities.models import Community, Unit
from dashboards.dashboard import Dashboard, Figures
from dashboards.models import AssignmentMonth
from dashboards.summaries import summaries_differences
from notifications.models import Message
from reminders.models import Reminder
from tasks.models import Assignment, Checklist, ProgressReport
from tasks.services import (
    extension_decide,
    extension_request,
    progress_report_approve,
    progress_report_return,
    progress_report_save,
    progress_report_submit,
)
from tests.filing import file_report, time_travel

from .conftest import assignment_of

DEADLINE = datetime.date(2017, 8, 7)
TODAY = datetime.date(2017, 8, 20)


@pytest.fixture
def july(
    world: Checklist,
    community_one: Community,
    community_two: Community,
    community_one_staff: User,
    community_two_staff: User,
    housing_staff: User,
) -> dict[str, Assignment]:
    cells = {
        "A": assignment_of(world, 7, community_one),
        "B": assignment_of(world, 8, community_one),
        "C": assignment_of(world, 7, community_two),
        "D": assignment_of(world, 8, community_two),
        "E": assignment_of(world, 18, community_two),
        "F": assignment_of(world, 14, community_one),
    }
    with time_travel(2017, 8, 3):
        a = file_report(cells["A"], community_one_staff, submit=True)
        b = file_report(cells["B"], community_one_staff, submit=True)
        f = progress_report_save(
            assignment=cells["F"],
            year=2017,
            month=7,
            by=community_one_staff,
            status=ProgressReport.Status.IN_PROGRESS,
            narrative="7月尚未召开联席会议。",
            values={},  # its meetings are read from the register: none held in July
            version=None,
        )
        progress_report_submit(report=f, by=community_one_staff)
        extension = extension_request(
            assignment=cells["E"],
            year=2017,
            month=7,
            requested_deadline=datetime.date(2017, 8, 15),
            reason="数据核对中",
            by=community_two_staff,
        )
    with time_travel(2017, 8, 4):
        progress_report_approve(report=a, by=housing_staff)
        progress_report_return(report=b, by=housing_staff, comment="请补充名单")
        extension_decide(extension=extension, by=housing_staff, grant=True)
    with time_travel(2017, 8, 9):
        file_report(cells["C"], community_two_staff, submit=True)
    with time_travel(2017, 8, 10):
        file_report(cells["E"], community_two_staff, submit=True)
    return cells


def _board(client: Client, user: User, month: int = 7) -> Dashboard:
    client.force_login(user)
    with time_travel(TODAY.year, TODAY.month, TODAY.day):
        response = client.get(f"/dashboard/?year=2017&month={month}")
    assert response.status_code == 200
    return response.context["board"]


def _july_assignments(world: Checklist, **where: object) -> int:
    return Assignment.objects.filter(item__checklist=world, **where).count()


def test_overall_figures_count_the_returned_late_extended_and_missing_reports(
    client: Client, world: Checklist, july: dict[str, Assignment], street_admin: User
) -> None:
    board = _board(client, street_admin)
    expected = _july_assignments(world)

    assert board.figures == Figures(
        expected=expected,
        received=5,  # A B C E F; D and the rest are missing
        on_time=4,  # A B F, and E thanks to its extension; C was two days late
        approved=1,
        returned=1,
        complete=1,
        # F, whose meetings the register says were not held; and the months nobody filed
        # whose meetings were not held either (items 3 and 16 of both communities, item
        # 14 of 示例社区二 and of the street): the assessment counts them too.
        behind=7,
        overdue=expected - 5,
        late_filed=1,  # C
    )
    assert board.figures.reporting_rate == round(5 * 100 / expected, 1)
    assert board.figures.on_time_rate == round(4 * 100 / expected, 1)
    assert board.figures.completion_rate == round(100 / expected, 1)
    # July is the checklist's first month (issued 28 June): the year so far is July.
    assert board.months[0] == 7
    assert board.year_to_date == board.figures


def test_pillars_lead_units_and_communities_add_up_their_own_items(
    client: Client,
    world: Checklist,
    july: dict[str, Assignment],
    street_admin: User,
    community_one: Community,
    community_two: Community,
) -> None:
    board = _board(client, street_admin)
    pillars = {row.label: row.figures for row in board.pillars}
    units = {row.label: row.figures for row in board.lead_units}
    parties = {row.label: row.figures for row in board.parties}

    build = pillars["宜居·共建"]  # items 7 and 8: A B C
    assert (build.expected, build.received, build.on_time, build.complete, build.returned) == (
        _july_assignments(world, item__number__lte=12),
        3,
        2,
        1,
        1,
    )
    govern = pillars["宜居·共治"]  # items 14 and 18: E F; item 16's meetings behind too
    assert (govern.received, govern.on_time, govern.behind, govern.complete) == (2, 2, 5, 0)
    assert pillars["宜居·共享"].received == 0

    housing = units["房管所"]  # leads 7, 8 and 18: A B C E
    housing_items = Unit.objects.get(name="房管所").lead_item_links.values("item")
    assert housing.expected == _july_assignments(world, item__in=housing_items)
    assert (housing.received, housing.on_time, housing.approved, housing.returned) == (4, 3, 1, 1)
    autonomy = units["社区自治办"]  # leads 7, 8 and 14: A B C F
    assert (autonomy.received, autonomy.on_time, autonomy.behind) == (4, 3, 3)

    one, two = parties["示例社区一"], parties["示例社区二"]
    assert (one.expected, one.received, one.on_time, one.complete) == (
        _july_assignments(world, community=community_one),
        3,
        3,
        1,
    )
    assert one.overdue == one.expected - 3
    assert (two.received, two.on_time, two.complete) == (2, 1, 0)
    assert [row.label for row in board.off_track] == ["第 14 项", "第 3 项", "第 16 项"]


def test_late_filers_show_days_late_and_the_reminders_already_sent(
    client: Client,
    world: Checklist,
    july: dict[str, Assignment],
    street_admin: User,
    community_one: Community,
    community_two: Community,
    community_one_staff: User,
    community_two_staff: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("dashboards.dashboard.LATE_LIMIT", 1000)  # list every late cell
    period = f"2017-07@{DEADLINE.isoformat()}"
    for kind in (Reminder.Kind.FILING_DUE, Reminder.Kind.FILING_OVERDUE):
        _sent_reminder(community_two_staff, kind, f"community:{community_two.pk}", period)
    # Planned for community one but not gone out in a digest yet: not counted.
    Reminder.objects.create(
        recipient_key=f"user:{community_one_staff.pk}",
        recipient=community_one_staff,
        kind=Reminder.Kind.FILING_OVERDUE,
        subject=f"community:{community_one.pk}",
        period=period,
        text="…",
        due_at=datetime.datetime(2017, 8, 8, 9, tzinfo=datetime.UTC),
    )
    board = _board(client, street_admin)
    late = {(row.cell.assignment_id): row for row in board.late}

    overdue = late[july["D"].pk]
    assert (overdue.is_filed, overdue.days_late, overdue.reminders) == (False, 13, 2)
    assert board.late_count == len(board.late) == (_july_assignments(world) - 5) + 1
    filed_late = late[july["C"].pk]
    assert (filed_late.is_filed, filed_late.days_late) == (True, 2)
    assert board.late[-1] == filed_late  # the unfiled come first
    assert july["E"].pk not in late  # filed within its extension
    assert all(
        row.reminders == 0 for row in board.late if row.cell.community_id == community_one.pk
    )

    with time_travel(TODAY.year, TODAY.month, TODAY.day):
        page = client.get("/dashboard/?year=2017&month=7").content.decode()
    assert "逾期未报" in page and "13</td>" in page


def _sent_reminder(user: User, kind: str, subject: str, period: str) -> None:
    message = Message.objects.create(
        recipient=user, kind=Message.Kind.DIGEST, title="提醒", body="", url=""
    )
    Reminder.objects.create(
        recipient_key=f"user:{user.pk}",
        recipient=user,
        kind=kind,
        subject=subject,
        period=period,
        text="请尽快填报",
        due_at=datetime.datetime(2017, 8, 7, 9, tzinfo=datetime.UTC),
        message=message,
    )


def test_filed_late_shows_its_days_late_in_the_matrix(
    client: Client, world: Checklist, july: dict[str, Assignment], street_admin: User
) -> None:
    client.force_login(street_admin)
    with time_travel(2017, 8, 20):
        page = client.get("/dashboard/matrix/?year=2017&month=7").content.decode()
    assert "逾期 2 天报送" in page  # C
    assert "已完成" in page  # A


def test_the_trend_keeps_each_month_apart(
    client: Client,
    world: Checklist,
    july: dict[str, Assignment],
    community_one_staff: User,
    street_admin: User,
) -> None:
    with time_travel(2017, 9, 1):
        file_report(july["A"], community_one_staff, month=8, submit=True)
    client.force_login(street_admin)
    with time_travel(2017, 9, 20):
        board = client.get("/dashboard/?year=2017&month=8").context["board"]
    months = dict(board.trend)
    assert months[7].received == 5
    assert months[8].received == 1
    assert board.year_to_date.received == 6
    assert board.year_to_date.expected == 2 * _july_assignments(world)


def test_the_summary_agrees_with_the_raw_reports_after_every_kind_of_change(
    world: Checklist, july: dict[str, Assignment], street_admin: User, community_one_staff: User
) -> None:
    assert summaries_differences(checklist=world) == []
    # Reopen the approved one, correct the returned one and submit it again.
    from tasks.services import progress_report_reopen

    a = ProgressReport.objects.get(assignment=july["A"], month=7)
    with time_travel(2017, 8, 21):
        progress_report_reopen(report=a, by=street_admin, reason="数据有误")
        b = ProgressReport.objects.get(assignment=july["B"], month=7)
        file_report(july["B"], community_one_staff, submit=False)
        b.refresh_from_db()
        progress_report_submit(report=b, by=community_one_staff)
    assert summaries_differences(checklist=world) == []
    cell = AssignmentMonth.objects.get(assignment=july["A"], month=7)
    assert (cell.state, cell.is_complete) == ("returned", False)
    # A first submission decides lateness: B stays on time after its correction.
    assert AssignmentMonth.objects.get(assignment=july["B"], month=7).first_submitted_on == (
        datetime.date(2017, 8, 3)
    )


def test_a_changed_target_rule_rebuilds_the_summaries_after_commit(
    world: Checklist, july: dict[str, Assignment]
) -> None:
    """Lowering item 8's target to 80% makes B's 8/10 a met target; the rebuild is asked
    for through the outbox, once, and the job brings the summary in line."""
    from dashboards.jobs import summaries_rebuild_job
    from notifications.models import OutboxMessage

    target = july["B"].item.targets.get()
    target.threshold = 80
    target.save()
    target.save()  # a second save while the first job waits asks for nothing more
    assert OutboxMessage.objects.filter(task="dashboards.summaries_rebuild").count() == 1
    assert summaries_differences(checklist=world) != []  # stale until the job runs

    [job] = OutboxMessage.objects.filter(task="dashboards.summaries_rebuild")
    assert job.kwargs == {"checklist_id": world.pk, "item_id": target.item_id}  # only item 8
    summaries_rebuild_job(**job.kwargs)

    assert summaries_differences(checklist=world) == []
    cell = AssignmentMonth.objects.get(assignment=july["B"], month=7)
    assert (cell.targets_met, cell.targets_total) == (1, 1)


def _items_from_scratch(world: Checklist, month: int, today: datetime.date) -> dict[int, Figures]:
    """Each item's figures for the month counted from the raw assignments and reports,
    without any summary table: what the dashboard's per-item rows (``ItemMonth``) must say."""
    from django.utils import timezone

    reports = {
        report.assignment_id: report
        for report in ProgressReport.objects.filter(
            assignment__item__checklist=world, year=world.year, month=month
        )
    }
    counted: dict[int, Figures] = {}
    assignments = Assignment.objects.filter(item__checklist=world).prefetch_related("extensions")
    for assignment in assignments.select_related("item__checklist"):
        report = reports.get(assignment.pk)
        deadline = assignment.filing_deadline(world.year, month)
        submitted = report.first_submitted_at if report else None
        on = timezone.localdate(submitted) if submitted else None
        state = report.workflow_state if report else None
        counted[assignment.item_id] = counted.get(assignment.item_id, Figures()) + Figures(
            expected=1,
            received=on is not None,
            on_time=on is not None and on <= deadline,
            late_filed=on is not None and on > deadline,
            overdue=on is None and deadline < today,
            approved=state == ProgressReport.WorkflowState.APPROVED,
            returned=state == ProgressReport.WorkflowState.RETURNED,
        )
    return counted


def _items_on_the_dashboard(month: int, today: datetime.date) -> dict[int, Figures]:
    from dashboards.dashboard import _by_item

    # What the scratch count counts: the other figures follow from the targets' verdicts.
    compared = ("expected", "received", "on_time", "late_filed", "overdue", "approved", "returned")
    return {
        item: Figures(**{name: getattr(figures, name) for name in compared})
        for item, figures in _by_item(Checklist.objects.get(year=2017), month, today).items()
    }


def test_the_items_months_equal_a_count_from_scratch_after_each_kind_of_change(
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    community_two_staff: User,
    housing_staff: User,
) -> None:
    """The dashboard reads a month's figures per item from ``ItemMonth`` (about 40 rows):
    after a submission, an approval, a return, a granted extension and a rebuild, they are
    what the raw reports say, and ``summaries_differences`` finds nothing."""
    from dashboards.models import ItemMonth
    from dashboards.summaries import summaries_rebuild

    def agree(today: datetime.date) -> None:
        assert _items_on_the_dashboard(7, today) == _items_from_scratch(world, 7, today)
        assert summaries_differences(checklist=world) == []

    seven, eight = assignment_of(world, 7, community_one), assignment_of(world, 8, community_one)
    agree(TODAY)  # nothing filed: every cell overdue on 20 August, none before the deadline
    assert _items_on_the_dashboard(7, datetime.date(2017, 8, 1))[seven.item_id].overdue == 0
    with time_travel(2017, 8, 3):
        a = file_report(seven, community_one_staff, submit=True)
        b = file_report(eight, community_one_staff, submit=True)
    agree(TODAY)
    with time_travel(2017, 8, 4):
        progress_report_approve(report=a, by=housing_staff)
        progress_report_return(report=b, by=housing_staff, comment="请补充名单")
    agree(TODAY)
    late = assignment_of(world, 18, Community.objects.get(name="示例社区二"))
    with time_travel(2017, 8, 3):
        extension = extension_request(
            assignment=late,
            year=2017,
            month=7,
            requested_deadline=datetime.date(2017, 8, 15),
            reason="数据核对中",
            by=community_two_staff,
        )
    with time_travel(2017, 8, 4):
        extension_decide(extension=extension, by=housing_staff, grant=True)
    # The extended cell has a row of its own deadline: not overdue on the 10th, the rest are.
    agree(datetime.date(2017, 8, 10))
    agree(TODAY)
    assert ItemMonth.objects.filter(
        item_id=late.item_id, month=7, deadline=datetime.date(2017, 8, 15), unfiled=1
    ).exists()
    with time_travel(2017, 8, 9):
        file_report(late, community_two_staff, submit=True)
    agree(TODAY)
    fields_ = ("item_id", "year", "month", "deadline", "expected", "received", "on_time")
    before = sorted(ItemMonth.objects.values_list(*fields_))
    ItemMonth.objects.update(expected=0)  # damaged: the rebuild puts it right
    summaries_rebuild(checklist=world)
    agree(TODAY)
    assert sorted(ItemMonth.objects.values_list(*fields_)) == before


def _dashboard_page(client: Client, user: User) -> str:
    client.force_login(user)
    with time_travel(TODAY.year, TODAY.month, TODAY.day):
        response = client.get("/dashboard/?year=2017&month=7")
    assert response.status_code == 200
    return response.content.decode()


def test_a_renamed_item_unit_or_community_or_a_changed_target_shows_at_the_next_request(
    client: Client,
    world: Checklist,
    july: dict[str, Assignment],
    street_admin: User,
    community_one: Community,
) -> None:
    """The dashboard's figures are cached until a summary row changes; the names they
    carry change the version too, so the next request shows the new name."""
    from dashboards.jobs import summaries_rebuild_job

    page = _dashboard_page(client, street_admin)
    item = july["F"].item  # item 14, behind: listed under 目标滞后的任务 with its text
    assert item.text[:10] in page and "示例社区一" in page and "房管所" in page
    with CaptureQueriesContext(connection) as again:
        _dashboard_page(client, street_admin)
    assert not [q for q in again.captured_queries if "itemmonth" in q["sql"]]  # cached

    item.text = "改名后的第十四项任务内容"
    item.save()
    community_one.name = "改名后的社区"
    community_one.save()
    unit = Unit.objects.get(name="房管所")
    unit.name = "改名后的房管所"
    unit.save()
    page = _dashboard_page(client, street_admin)
    assert "改名后的第十四项任务内容" in page
    assert "改名后的社区" in page and "示例社区一" not in page
    assert "改名后的房管所" in page

    # Item 7's target raised to 90%: A's approved 8/10 no longer meets it. Once the
    # rebuild it asks for has run, the next request no longer counts A complete.
    before = _board(client, street_admin).figures
    target = july["A"].item.targets.get()
    target.threshold = 90
    target.save()
    from notifications.models import OutboxMessage

    [job] = OutboxMessage.objects.filter(task="dashboards.summaries_rebuild")
    summaries_rebuild_job(**job.kwargs)
    after = _board(client, street_admin).figures
    assert (after.complete, after.received) == (before.complete - 1, before.received)
