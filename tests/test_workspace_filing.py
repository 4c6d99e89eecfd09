"""本月填报: a community files the month's progress of every item assigned to it, on one
page whose buttons save the items changed or submit the items filled, each on its own: an
item with a mistake is refused at the field, the others are saved (``docs/filing.md``;
one item at a time: ``tests/test_workspace_item.py``)."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from communities.models import Community
from dashboards import summaries
from dashboards.models import AssignmentMonth
from dashboards.summaries import summaries_differences
from tasks.models import (
    Assignment,
    Checklist,
    EvidenceRequirement,
    Item,
    ProgressReport,
    ReportTransition,
    Target,
    TargetValue,
)
from tasks.services import (
    ValueInput,
    assignments_generate,
    extension_request,
    progress_report_approve,
    progress_report_return,
    progress_report_save,
    progress_report_submit,
)
from tests.conftest import assignment_of
from tests.filing import (
    JULY,
    MINIMAL_PDF,
    field,
    file_report,
    fill_every_target,
    form_data,
    has_inputs_for,
    input_tag,
    page_forms,
    stored_files,
    time_travel,
)

# ---------------------------------------------------------------------------------------


def test_the_page_lists_every_assignment_with_the_right_inputs_and_the_deadline(
    client: Client, world: Checklist, community_one_staff: User, august_3rd_2017: Any
) -> None:
    client.force_login(community_one_staff)
    response = client.get(JULY)
    page = response.content.decode()

    assert response.status_code == 200
    expected = Assignment.objects.fileable_by(community_one_staff).filter(item__checklist=world)
    rows = [row for rows in response.context["groups"].values() for row in rows]
    assert [row["assignment"] for row in rows] == list(
        expected.order_by("item__number", "is_street_level")
    )
    assert len(rows) == 36  # 40 items less 15 (named units), 30 (members), 31–32 (selected)
    assert list(response.context["groups"]) == ["示例社区一"]
    assert page.count('class="item-number"') == 36
    assert "示例社区二" not in page

    # Each target gets the inputs its kind needs.
    community = Community.objects.get(name="示例社区一")
    rate = assignment_of(world, 1, community)
    [rate_target] = rate.targets()
    for column in ("numerator", "denominator"):
        assert 'type="number"' in input_tag(page, field(rate, rate_target, column))
    assert "在符合条件的业委会中党的工作小组组建率" in page
    assert "≥ 100%" in page
    count = assignment_of(world, 11, community)
    assert 'type="number"' in input_tag(page, field(count, count.targets()[0], "quantity"))
    # A frequency target is not typed: the meeting register's figure is shown, with the
    # link to record a missing meeting (issue 12, point 2).
    frequency = assignment_of(world, 16, community)
    [weekly] = [t for t in frequency.targets() if t.kind == Target.Kind.FREQUENCY]
    assert field(frequency, weekly, "quantity") not in page
    assert "会议登记" in page and "按会议登记自动统计,无需填写" in page
    assert f"/meetings/new/?duty={weekly.pk}&amp;community={community.pk}" in page
    milestone = assignment_of(world, 5, community)
    done = input_tag(page, field(milestone, milestone.targets()[0], "is_done"))
    assert done.startswith("<select")
    assert '<option value="yes">已完成</option>' in page
    zero_growth, *rates = assignment_of(world, 37, community).targets()
    assert zero_growth.kind == Target.Kind.ZERO_GROWTH and len(rates) == 2
    assert 'type="number"' in input_tag(
        page, field(assignment_of(world, 37, community), zero_growth, "quantity")
    )

    # July is due on the checklist's filing day, 5 August: a Saturday, so Monday 7 August.
    deadline = world.filing_deadline(2017, 7)
    assert deadline == datetime.date(2017, 8, 7)
    assert {row["deadline"] for row in rows} == {deadline}
    assert page.count("截止 8月7日") == 36


def test_the_page_opens_on_last_month_which_is_the_one_being_filed(
    client: Client, world: Checklist, community_one_staff: User, august_3rd_2017: Any
) -> None:
    client.force_login(community_one_staff)
    response = client.get("/workspace/")
    assert (response.context["year"], response.context["month"]) == (2017, 7)
    assert "本月填报 · 2017年7月" in response.content.decode()


def test_unit_staff_file_their_unit_s_assignments_with_a_date_for_a_deadline_target(
    client: Client, world: Checklist, housing_staff: User, august_3rd_2017: Any
) -> None:
    client.force_login(housing_staff)
    page = client.get(JULY).content.decode()
    item_15 = Assignment.objects.get(item__number=15, unit__name="房管所")
    assert 'type="date"' in input_tag(page, field(item_15, item_15.targets()[0], "achieved_on"))
    assert "2017-06-30 前完成" in page
    assert "示例社区一" not in page


def test_last_month_s_values_are_prefilled_when_this_month_has_no_report_yet(
    client: Client, world: Checklist, community_one: Community, community_one_staff: User
) -> None:
    assignment = assignment_of(world, 1, community_one)
    [target] = assignment.targets()
    world.takes_effect_on = datetime.date(2017, 6, 1)  # June is owed, and filed
    world.save(update_fields=["takes_effect_on"])
    with time_travel(2017, 7, 3):
        progress_report_save(
            assignment=assignment,
            year=2017,
            month=6,
            by=community_one_staff,
            status=ProgressReport.Status.IN_PROGRESS,
            narrative="6月完成两个小区",
            values={target.pk: ValueInput(numerator=2, denominator=5)},
            version=None,
        )
    with time_travel(2017, 8, 3):
        client.force_login(community_one_staff)
        response = client.get(JULY)

    [form] = [form for form in page_forms(response) if form.assignment == assignment]
    assert form.prefilled
    assert form[f"t{target.pk}_numerator"].value() == 2
    assert form[f"t{target.pk}_denominator"].value() == 5
    assert form["status"].value() == ProgressReport.Status.IN_PROGRESS
    assert form["narrative"].value() in (None, "")  # the story is this month's to tell
    page = response.content.decode()
    assert "已带入上月数据" in page
    assert 'value="2"' in input_tag(page, field(assignment, target, "numerator"))
    assert not ProgressReport.objects.filter(month=7).exists()


def test_saving_a_draft_stores_only_the_reports_that_changed(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    august_3rd_2017: Any,
) -> None:
    client.force_login(community_one_staff)
    response = client.get(JULY)
    data = form_data(response, "save")
    first = assignment_of(world, 1, community_one)
    eleventh = assignment_of(world, 11, community_one)
    data[field(first, first.targets()[0], "numerator")] = "3"
    data[field(first, first.targets()[0], "denominator")] = "4"
    data[f"a{eleventh.pk}-narrative"] = "已成立3个专业委员会"

    response = client.post(JULY, data, follow=True)

    assert response.redirect_chain[-1][0] == JULY
    assert "草稿已保存(2 份有改动)" in response.content.decode()
    reports = ProgressReport.objects.filter(year=2017, month=7)
    assert {report.assignment for report in reports} == {first, eleventh}
    assert {report.workflow_state for report in reports} == {ProgressReport.WorkflowState.DRAFT}
    value = TargetValue.objects.get(report__assignment=first)
    assert (value.numerator, value.denominator) == (3, 4)
    assert reports.get(assignment=eleventh).narrative == "已成立3个专业委员会"
    assert not ReportTransition.objects.exists()


def test_submitting_moves_every_report_to_submitted_with_who_and_a_transition(
    client: Client, world: Checklist, community_one_staff: User, august_3rd_2017: Any
) -> None:
    client.force_login(community_one_staff)
    response = client.get(JULY)
    data = fill_every_target(response, form_data(response, "submit"))

    response = client.post(JULY, data, follow=True)
    assert "已提交 36 份月报,等待牵头单位审核" in response.content.decode()
    reports = ProgressReport.objects.filter(year=2017, month=7)
    assert reports.count() == 36
    for report in reports:
        assert report.workflow_state == ProgressReport.WorkflowState.SUBMITTED
        assert report.submitted_by == community_one_staff
        assert report.first_submitted_at is not None
        assert not report.is_late(datetime.date(2017, 8, 3))
        assert [(t.from_state, t.to_state, t.by) for t in report.transitions.all()] == [
            ("draft", "submitted", community_one_staff)
        ]
    # Submitted reports are locked: the page shows them without inputs.
    assert page_forms(response) == []
    # The summary rows the dashboard reads follow, brought up to date once for the 36 items
    # in the request's transaction: every month submitted, and nothing to repair.
    states = AssignmentMonth.objects.filter(
        year=2017, month=7, community=community_one_staff.memberships.get().community
    ).values_list("state", flat=True)
    assert list(states) == ["submitted"] * 36
    differences = summaries_differences(checklist=world)
    assert [d for d in differences if d.key[1:] == (2017, 7)] == []


def test_submitting_every_item_refreshes_the_summaries_once(
    client: Client,
    world: Checklist,
    community_one_staff: User,
    august_3rd_2017: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client.force_login(community_one_staff)
    response = client.get(JULY)
    data = fill_every_target(response, form_data(response, "submit"))
    refreshes: list[int] = []
    original = summaries.cells_refresh

    def counted(keys: Any) -> None:
        keys = set(keys)
        refreshes.append(len(keys))
        original(keys)

    monkeypatch.setattr(summaries, "cells_refresh", counted)
    response = client.post(JULY, data, follow=True)
    assert "已提交 36 份月报" in response.content.decode()
    assert refreshes == [36]


@pytest.fixture
def earlier_draft(
    world: Checklist, community_one: Community, community_one_staff: User, august_3rd_2017: Any
) -> ProgressReport:
    """A July draft of item 2 saved before the page with a mistake is posted."""
    return file_report(assignment_of(world, 2, community_one), community_one_staff)


@dataclass(frozen=True)
class Mistake:
    """A slip on one item of the page: the inputs changed (``{t}`` stands for the item's
    first target), the input that must show the error, and the error."""

    action: str
    item_number: int
    typed: dict[str, str]
    error_at: str
    message: str


MISTAKES = {
    "a numerator above its denominator": Mistake(
        "save", 1, {"t{t}_numerator": "12", "t{t}_denominator": "10"}, "t{t}_numerator",
        "分子(12)不能大于分母(10)。",
    ),
    "a negative number": Mistake(
        "save", 11, {"t{t}_quantity": "-1"}, "t{t}_quantity", "确保该值大于或等于0。"
    ),
    "text in a number field": Mistake(
        "save", 11, {"t{t}_quantity": "五个"}, "t{t}_quantity", "输入整数。"
    ),
    "滞后 without a narrative": Mistake(
        "save", 1, {"status": "lagging", "narrative": ""}, "narrative",
        "进展滞后时,请说明原因和下一步措施。",
    ),
    "a target left empty on submit": Mistake(
        "submit", 1, {"t{t}_numerator": ""}, "t{t}_numerator", "提交前请填写此项。"
    ),
}  # fmt: skip


@pytest.mark.parametrize("mistake", MISTAKES.values(), ids=MISTAKES.keys())
def test_an_item_with_a_mistake_is_refused_at_the_field_and_the_others_are_saved(
    mistake: Mistake,
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    earlier_draft: ProgressReport,
) -> None:
    assignment = assignment_of(world, mistake.item_number, community_one)
    first_target = assignment.targets()[0].pk
    client.force_login(community_one_staff)
    response = client.get(JULY)
    data = fill_every_target(response, form_data(response, mistake.action))
    for name, value in mistake.typed.items():
        data[f"a{assignment.pk}-{name.format(t=first_target)}"] = value

    response = client.post(JULY, data)

    assert response.status_code == 400
    page = response.content.decode()
    error_at = mistake.error_at.format(t=first_target)
    [form] = [form for form in page_forms(response) if form.assignment == assignment]
    assert form.errors[error_at] == [mistake.message]
    assert mistake.message in page
    assert "有 1 项任务的填写需要修改" in page and "这些任务还没有保存" in page
    # The summary at the top links to the input in error.
    assert f'href="#id_a{assignment.pk}-{error_at}"' in page
    # What was typed stays on the page, the mistake included, for the user to correct.
    prefix = f"a{assignment.pk}-"
    kept = {k: v for k, v in form_data(response, mistake.action).items() if k.startswith(prefix)}
    assert kept == {k: v for k, v in data.items() if k.startswith(prefix)}
    for name, value in mistake.typed.items():
        if value and name.startswith("t"):
            tag = input_tag(page, f"a{assignment.pk}-{name.format(t=first_target)}")
            assert f'value="{value}"' in tag
    # The item in error is not saved; every other item, each on its own, is.
    assert not ProgressReport.objects.filter(assignment=assignment, month=7).exists()
    others = ProgressReport.objects.filter(year=2017, month=7).exclude(assignment=assignment)
    assert others.count() == 35
    expected = "submitted" if mistake.action == "submit" else "draft"
    assert {report.workflow_state for report in others} == {expected}
    earlier_draft.refresh_from_db()
    assert earlier_draft.workflow_state == expected


def test_a_completion_date_after_today_is_refused(
    client: Client, world: Checklist, housing_staff: User, august_3rd_2017: Any
) -> None:
    client.force_login(housing_staff)
    response = client.get(JULY)
    data = fill_every_target(response, form_data(response, "save"))
    item_15 = Assignment.objects.get(item__number=15, unit__name="房管所")
    name = field(item_15, item_15.targets()[0], "achieved_on")
    data[name] = "2017-08-04"

    response = client.post(JULY, data)

    assert response.status_code == 400
    [form] = [form for form in page_forms(response) if form.assignment == item_15]
    assert form.errors[name.partition("-")[2]] == ["完成日期不能晚于今天。"]
    assert 'value="2017-08-04"' in input_tag(response.content.decode(), name)
    # Item 15 is not saved; 房管所's other item (30), filled in, is: each on its own.
    assert not ProgressReport.objects.filter(assignment=item_15).exists()
    assert ProgressReport.objects.filter(assignment__item__number=30).exists()


def test_a_future_month_cannot_be_filed(
    client: Client, world: Checklist, community_one_staff: User, august_3rd_2017: Any
) -> None:
    client.force_login(community_one_staff)
    september = "/workspace/?year=2017&month=9"
    response = client.get(september)
    page = response.content.decode()

    assert "不能填报未来的月份" in page
    assert page_forms(response) == []
    assert not re.search(r'name="a\d+-', page)
    assert "全部提交" not in page

    july = client.get(JULY)
    response = client.post(
        september, fill_every_target(july, form_data(july, "submit")), follow=True
    )
    assert response.redirect_chain[-1][0] == september
    assert "不能填报未来的月份" in response.content.decode()
    assert not ProgressReport.objects.exists()


def test_an_item_that_asks_for_minutes_cannot_be_submitted_as_completed_without_them(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    evidence_root: Path,
    august_3rd_2017: Any,
) -> None:
    item_5 = assignment_of(world, 5, community_one)
    EvidenceRequirement.objects.create(item=item_5.item, kind="minutes")
    client.force_login(community_one_staff)
    response = client.get(JULY)
    assert "标记为已完成须有:会议记录" in response.content.decode()
    data = fill_every_target(response, form_data(response, "submit"))
    data[f"a{item_5.pk}-status"] = ProgressReport.Status.COMPLETED

    response = client.post(JULY, data)

    assert response.status_code == 400
    [form] = [form for form in page_forms(response) if form.assignment == item_5]
    assert form.errors["evidence_files"] == ["标记为已完成前,还需上传:会议记录。"]
    assert "标记为已完成前,还需上传:会议记录。" in response.content.decode()
    assert not ProgressReport.objects.filter(assignment=item_5).exists()
    # The other items, filled in, were submitted each on its own: only item 5 is left.
    data = form_data(response, "submit")
    data[f"a{item_5.pk}-status"] = ProgressReport.Status.COMPLETED

    # A photo is not minutes; the photo is kept (staged) for the next save, not stored.
    data[f"a{item_5.pk}-evidence_kind"] = "photo"
    data[f"a{item_5.pk}-evidence_files"] = SimpleUploadedFile("会议.pdf", MINIMAL_PDF)
    response = client.post(JULY, data)
    assert response.status_code == 400
    assert not ProgressReport.objects.filter(assignment=item_5).exists()
    assert stored_files(evidence_root) == []
    held = [path for path in (evidence_root / "staging").rglob("*") if path.is_file()]
    assert len(held) == 2  # the file and what it is
    assert "会议.pdf" in response.content.decode() and "待保存" in response.content.decode()

    data = form_data(response, "submit")
    data[f"a{item_5.pk}-staged"] = ""  # the photo taken off: minutes instead
    data[f"a{item_5.pk}-evidence_kind"] = "minutes"
    data[f"a{item_5.pk}-evidence_files"] = SimpleUploadedFile("会议.pdf", MINIMAL_PDF)
    response = client.post(JULY, data)

    assert response.status_code == 302
    report = ProgressReport.objects.get(assignment=item_5, year=2017, month=7)
    assert report.workflow_state == ProgressReport.WorkflowState.SUBMITTED
    assert report.status == ProgressReport.Status.COMPLETED
    assert [(e.kind, e.original_name) for e in report.evidence.all()] == [("minutes", "会议.pdf")]


def test_a_returned_report_shows_the_comment_and_opens_again_while_an_approved_one_is_locked(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    housing_staff: User,
    august_3rd_2017: Any,
) -> None:
    returned = file_report(assignment_of(world, 8, community_one), community_one_staff, submit=True)
    progress_report_return(report=returned, by=housing_staff, comment="分母应为全部小区数")
    approved = file_report(assignment_of(world, 7, community_one), community_one_staff, submit=True)
    progress_report_approve(report=approved, by=housing_staff)

    client.force_login(community_one_staff)
    response = client.get(JULY)
    page = response.content.decode()

    assert "退回意见" in page and "分母应为全部小区数" in page
    assert has_inputs_for(page, returned.assignment)
    assert not has_inputs_for(page, approved.assignment)
    [row] = [
        row
        for rows in response.context["groups"].values()
        for row in rows
        if row["assignment"] == approved.assignment
    ]
    assert row["form"] is None
    assert [e.measured for e in row["evaluations"]] == ["80% (8/10)"]
    assert "已审核" in page

    # The returned report is corrected and saved: still returned, with the new figures.
    data = form_data(response, "save")
    [target] = returned.assignment.targets()
    data[field(returned.assignment, target, "denominator")] = "9"
    assert client.post(JULY, data).status_code == 302
    returned.refresh_from_db()
    assert returned.workflow_state == ProgressReport.WorkflowState.RETURNED
    assert returned.values.get().denominator == 9
    approved.refresh_from_db()
    assert approved.values.get().denominator == 10


def test_leadership_and_another_community_cannot_file_for_community_one(
    client: Client,
    world: Checklist,
    community_one_staff: User,
    community_two_staff: User,
    leader: User,
    august_3rd_2017: Any,
) -> None:
    client.force_login(community_one_staff)
    july = client.get(JULY)
    data = fill_every_target(july, form_data(july, "submit"))

    client.force_login(community_two_staff)
    response = client.post(JULY, data, follow=True)
    # Only community two's own items are read, and the data has none of their inputs.
    assert "没有可以提交的任务" in response.content.decode()
    communities = {form.assignment.community for form in page_forms(response)}
    assert {community and community.name for community in communities} == {"示例社区二"}
    assert not ProgressReport.objects.exists()

    client.force_login(leader)
    assert client.get(JULY).status_code == 403
    assert client.post(JULY, data).status_code == 403
    assert not ProgressReport.objects.exists()


def _file_the_month(
    checklist: Checklist, community: Community, staff: User, reviewer: User
) -> None:
    """June submitted, July in every state a page shows: drafts, submitted, approved,
    returned, with an extension request. The checklist takes effect on 1 June here, so
    that June is owed."""
    checklist.takes_effect_on = datetime.date(2017, 6, 1)
    checklist.save(update_fields=["takes_effect_on"])
    assignments = list(Assignment.objects.for_checklist(checklist).for_community(community))
    for assignment in assignments:
        if not ProgressReport.objects.filter(assignment=assignment, month=6).exists():
            with time_travel(2017, 7, 3):
                file_report(assignment, staff, month=6, submit=True)
        if not ProgressReport.objects.filter(assignment=assignment, month=7).exists():
            file_report(assignment, staff, submit=assignment.item.number % 3 == 0)
    for number, decide in ((7, progress_report_approve), (8, progress_report_return)):
        report = ProgressReport.objects.get(
            assignment=assignment_of(checklist, number, community), month=7
        )
        if report.workflow_state == ProgressReport.WorkflowState.DRAFT:
            report = progress_report_submit(report=report, by=staff)
            decide(report=report, by=reviewer, comment="请补充材料")


def _workspace_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(JULY).status_code == 200
    return len(queries)


def test_the_page_needs_the_same_queries_for_any_number_of_communities_and_items(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    housing_staff: User,
    django_assert_max_num_queries: Any,
    august_3rd_2017: Any,
) -> None:
    _file_the_month(world, community_one, community_one_staff, housing_staff)
    extension_request(
        assignment=assignment_of(world, 1, community_one),
        year=2017,
        month=7,
        requested_deadline=datetime.date(2017, 8, 9),
        reason="小区数据核对中",
        by=community_one_staff,
    )
    client.force_login(community_one_staff)
    client.get(JULY)  # the session settles
    # 1 session, 2 user, 3 the checklists in use (the month's and the month picker's),
    # 4 assignments with item, checklist, pillar,
    # community and unit, 5 their targets, 6 evidence requirements, 7 the communities'
    # registered compounds (denominators prefilled from the register), 8 extensions,
    # 9 July's reports, 10 their values, 11 their evidence, 12 June's reports (to
    # prefill), 13 their values, 14–15 the meeting register's figures of the frequency
    # targets (meetings held in July, the last held before it), 16 header: memberships,
    # 17 role groups, 18 unread messages, 19–21 session update in a savepoint
    with django_assert_max_num_queries(21):
        client.get(JULY)
    few = _workspace_queries(client)
    # Opened with no month named (on the month being filed), the page finds it in the
    # same checklists: no query more.
    with CaptureQueriesContext(connection) as opened:
        assert client.get("/workspace/").status_code == 200
    assert len(opened) == few

    pillar = world.pillars.get(number=1)
    for number in range(41, 51):
        item = Item.objects.create(
            checklist=world, pillar=pillar, number=number, text=f"新增任务{number}"
        )
        Target.objects.create(item=item, kind=Target.Kind.RATE, title="覆盖率", threshold=100)
    for order in range(3, 13):
        Community.objects.create(name=f"新增社区{order}", order=order)
    assignments_generate(checklist=world)
    _file_the_month(world, community_one, community_one_staff, housing_staff)
    assert Assignment.objects.fileable_by(community_one_staff).count() == 46

    # New places and lead units: the next request reads the user's row, permissions and
    # header again (yijia/sessions.py); the one after is measured.
    client.get(JULY)
    assert _workspace_queries(client) == few
