"""本月填报, one item at a time: each item saves, submits or takes last month's figures
(沿用上月) on its own, answering with the item again (its errors at the fields, or its
new state); an item the user did not touch is neither validated nor saved; a save with
no edits changes nothing; a file given with a refused save is kept until a save succeeds."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from communities.models import Community
from communities.roles import Role
from tasks import staging
from tasks.models import Assignment, Checklist, Evidence, ProgressReport, TargetValue
from tasks.services import ValueInput, progress_report_return, progress_report_save
from tests.conftest import _person, assignment_of
from tests.filing import JULY, field, file_report, form_data, input_tag, time_travel

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)
HTMX = {"HX-Request": "true"}


def item_url(assignment: Assignment) -> str:
    return f"/workspace/items/{assignment.pk}/?year=2017&month=7"


def item_data(response: Any, assignment: Assignment, action: str = "save") -> dict[str, Any]:
    """What the page's script posts for one item: its inputs as shown, and the action."""
    prefix = f"a{assignment.pk}-"
    data = {k: v for k, v in form_data(response).items() if k.startswith(prefix)}
    data["action"] = action
    return data


@pytest.fixture
def item_1(world: Checklist, community_one: Community) -> Assignment:
    return assignment_of(world, 1, community_one)


@pytest.fixture
def june_filed(
    world: Checklist, community_one: Community, community_one_staff: User
) -> dict[int, ProgressReport]:
    """June owed and filed by community one: item 1 with figures, item 2 滞后 with its
    reason (which is this June's story, not July's)."""
    world.takes_effect_on = datetime.date(2017, 6, 1)
    world.save(update_fields=["takes_effect_on"])
    reports = {}
    with time_travel(2017, 7, 3):
        for number, status, narrative in (
            (1, ProgressReport.Status.IN_PROGRESS, "6月完成两个小区"),
            (2, ProgressReport.Status.LAGGING, "6月居民意见分歧,下月再议"),
        ):
            assignment = assignment_of(world, number, community_one)
            [target] = assignment.targets()
            reports[number] = progress_report_save(
                assignment=assignment,
                year=2017,
                month=6,
                by=community_one_staff,
                status=status,
                narrative=narrative,
                values={target.pk: ValueInput(numerator=2, denominator=5)},
                version=None,
            )
    return reports


def test_an_item_saves_on_its_own_and_the_answer_is_the_item_with_the_page_s_progress(
    client: Client, world: Checklist, item_1: Assignment, community_one_staff: User,
    august_3rd_2017: Any,
) -> None:  # fmt: skip
    client.force_login(community_one_staff)
    data = item_data(client.get(JULY), item_1)
    [target] = item_1.targets()
    data[field(item_1, target, "numerator")] = "3"
    data[field(item_1, target, "denominator")] = "4"
    data[f"a{item_1.pk}-narrative"] = "走访两个小区。\r\n下月继续。"

    response = client.post(item_url(item_1), data, headers=HTMX)

    assert response.status_code == 200
    page = response.content.decode()
    assert page.lstrip().startswith(f'<article id="a{item_1.pk}"')
    assert "已保存。" in page
    assert 'id="filing-overview" hx-swap-oob="true"' in page
    assert "已填 1 / 36" in page
    report = ProgressReport.objects.get(year=2017, month=7)
    assert report.assignment == item_1
    assert report.workflow_state == ProgressReport.WorkflowState.DRAFT
    assert report.narrative == "走访两个小区。\n下月继续。"
    value = TargetValue.objects.get(report=report)
    assert (value.numerator, value.denominator) == (3, 4)
    # The answer carries the saved report's version: the next save goes through.
    assert f'value="{report.version}"' in input_tag(page, f"a{item_1.pk}-version")


def test_an_item_submits_on_its_own(
    client: Client, world: Checklist, item_1: Assignment, community_one_staff: User,
    august_3rd_2017: Any,
) -> None:  # fmt: skip
    client.force_login(community_one_staff)
    data = item_data(client.get(JULY), item_1, "submit")
    [target] = item_1.targets()
    data[field(item_1, target, "numerator")] = "3"
    data[field(item_1, target, "denominator")] = "4"
    data[f"a{item_1.pk}-status"] = ProgressReport.Status.IN_PROGRESS

    response = client.post(item_url(item_1), data, headers=HTMX)

    page = response.content.decode()
    assert "已提交,等待牵头单位审核。" in page
    assert page.lstrip().startswith(f'<details id="a{item_1.pk}"')  # read only now
    report = ProgressReport.objects.get(year=2017, month=7)
    assert report.workflow_state == ProgressReport.WorkflowState.SUBMITTED
    assert report.submitted_by == community_one_staff
    assert ProgressReport.objects.count() == 1


def test_an_item_s_errors_are_shown_at_its_fields_and_nothing_is_saved(
    client: Client, world: Checklist, item_1: Assignment, community_one_staff: User,
    august_3rd_2017: Any,
) -> None:  # fmt: skip
    client.force_login(community_one_staff)
    data = item_data(client.get(JULY), item_1, "submit")
    [target] = item_1.targets()
    numerator = field(item_1, target, "numerator")
    data[numerator] = "12"
    data[field(item_1, target, "denominator")] = ""

    response = client.post(item_url(item_1), data, headers=HTMX)

    page = response.content.decode()
    assert response.status_code == 200  # the script swaps the item in with its errors
    assert "这项任务的填写需要修改" in page
    assert "提交前请填写此项。" in page
    assert f'href="#id_{field(item_1, target, "denominator")}"' in page
    assert 'value="12"' in input_tag(page, numerator)
    assert 'data-unsaved="true"' in page
    assert not ProgressReport.objects.exists()

    # Without the script, the page comes back with the item's error.
    response = client.post(item_url(item_1), data)
    assert response.status_code == 400
    assert "提交前请填写此项。" in response.content.decode()
    assert not ProgressReport.objects.exists()


def test_without_script_an_item_s_button_saves_it_and_returns_to_it(
    client: Client, world: Checklist, item_1: Assignment, community_one_staff: User,
    august_3rd_2017: Any,
) -> None:  # fmt: skip
    client.force_login(community_one_staff)
    page = client.get(JULY)
    # The browser posts the whole page to the item's address (the button's formaction).
    data = {**form_data(page), "action": "save"}
    del data["save"]
    [target] = item_1.targets()
    data[field(item_1, target, "numerator")] = "1"
    data[field(item_1, target, "denominator")] = "2"
    other = Assignment.objects.get(item__number=11, community=item_1.community)
    data[f"a{other.pk}-narrative"] = "不是这一项的按钮"

    response = client.post(item_url(item_1), data)

    assert response.status_code == 302
    assert response["Location"] == f"/workspace/?year=2017&month=7#a{item_1.pk}"
    [report] = ProgressReport.objects.all()
    assert report.assignment == item_1
    response = client.get(response["Location"])
    assert "已保存。" in response.content.decode()


def test_untouched_items_are_neither_validated_nor_submitted(
    client: Client,
    world: Checklist,
    item_1: Assignment,
    community_one_staff: User,
    june_filed: dict[int, ProgressReport],
) -> None:
    """Item 2's June was 滞后 with a reason: July shows 滞后 as a suggestion, without the
    reason (it is June's). Left alone, it is not July's report and is not judged."""
    with time_travel(2017, 8, 3):
        client.force_login(community_one_staff)
        response = client.get(JULY)
        assert "已带入上月数据" in response.content.decode()
        data = form_data(response, "submit")
        [target] = item_1.targets()
        data[field(item_1, target, "numerator")] = "3"  # June's 2/5, now 3/5
        response = client.post(JULY, data, follow=True)

    page = response.content.decode()
    assert "已提交 1 份月报,等待牵头单位审核。" in page
    assert "需要修改" not in page
    [report] = ProgressReport.objects.filter(month=7)
    assert report.assignment == item_1
    assert report.workflow_state == ProgressReport.WorkflowState.SUBMITTED
    assert (report.values.get().numerator, report.values.get().denominator) == (3, 5)


def test_last_month_s_figures_are_confirmed_in_one_action_per_item_and_for_all(
    client: Client,
    world: Checklist,
    item_1: Assignment,
    community_one: Community,
    community_one_staff: User,
    june_filed: dict[int, ProgressReport],
) -> None:
    item_2 = assignment_of(world, 2, community_one)
    with time_travel(2017, 8, 3):
        client.force_login(community_one_staff)
        page = client.get(JULY)
        assert "沿用上月" in page.content.decode()
        response = client.post(item_url(item_1), item_data(page, item_1, "confirm"), headers=HTMX)
        assert "已保存。" in response.content.decode()
        report = ProgressReport.objects.get(assignment=item_1, month=7)
        assert (report.values.get().numerator, report.values.get().denominator) == (2, 5)
        assert report.declared_status == ProgressReport.Status.IN_PROGRESS

        # For all: item 2 was 滞后, whose reason is asked for again (at the field).
        page = client.get(JULY)
        data = form_data(page, "save")
        del data["save"]
        data["confirm_all"] = "1"
        response = client.post(JULY, data)
    assert response.status_code == 400
    page_text = response.content.decode()
    assert "进展滞后时,请说明原因和下一步措施。" in page_text
    assert f'href="#id_a{item_2.pk}-narrative"' in page_text
    assert not ProgressReport.objects.filter(assignment=item_2, month=7).exists()
    # Only the items June filed had figures to take: nothing else was saved.
    assert ProgressReport.objects.filter(month=7).count() == 1


def test_a_save_with_no_edits_changes_nothing_and_says_so(
    client: Client, world: Checklist, item_1: Assignment, community_one_staff: User,
    august_3rd_2017: Any,
) -> None:  # fmt: skip
    report = file_report(item_1, community_one_staff, narrative="第一行\n第二行")
    client.force_login(community_one_staff)
    page = client.get(JULY)

    response = client.post(item_url(item_1), item_data(page, item_1), headers=HTMX)
    assert "没有改动,未保存。" in response.content.decode()
    response = client.post(JULY, form_data(page, "save"), follow=True)
    assert "没有改动,未保存。" in response.content.decode()

    saved = ProgressReport.objects.get(pk=report.pk)
    assert (saved.version, saved.updated_at, saved.narrative) == (
        report.version,
        report.updated_at,
        "第一行\n第二行",
    )
    assert ProgressReport.objects.count() == 1


def test_a_stored_completion_date_is_shown_as_the_date_input_reads_it_and_kept(
    client: Client, world: Checklist, housing_staff: User, august_3rd_2017: Any
) -> None:
    item_15 = Assignment.objects.get(item__number=15, unit__name="房管所")
    [target] = item_15.targets()
    report = progress_report_save(
        assignment=item_15,
        year=2017,
        month=7,
        by=housing_staff,
        status=ProgressReport.Status.COMPLETED,
        narrative="",
        values={target.pk: ValueInput(achieved_on=datetime.date(2017, 6, 28))},
        version=None,
    )
    client.force_login(housing_staff)
    page = client.get(JULY)
    name = field(item_15, target, "achieved_on")
    assert 'value="2017-06-28"' in input_tag(page.content.decode(), name)

    response = client.post(JULY, form_data(page, "save"), follow=True)
    assert "没有改动,未保存。" in response.content.decode()
    # One edit elsewhere: the date is saved back unchanged.
    data = item_data(page, item_15)
    data[f"a{item_15.pk}-narrative"] = "已完成验收"
    client.post(item_url(item_15), data, headers=HTMX)
    report.refresh_from_db()
    assert report.narrative == "已完成验收"
    assert report.values.get().achieved_on == datetime.date(2017, 6, 28)


def test_a_file_given_with_a_refused_save_is_kept_and_attached_by_the_next_good_save(
    client: Client,
    world: Checklist,
    item_1: Assignment,
    community_one_staff: User,
    evidence_root: Path,
    django_capture_on_commit_callbacks: Any,
    august_3rd_2017: Any,
) -> None:
    client.force_login(community_one_staff)
    data = item_data(client.get(JULY), item_1)
    [target] = item_1.targets()
    data[field(item_1, target, "numerator")] = "5"
    data[field(item_1, target, "denominator")] = "4"
    data[f"a{item_1.pk}-evidence_files"] = SimpleUploadedFile("筹备会.png", PNG)

    response = client.post(item_url(item_1), data, headers=HTMX)

    page = response.content.decode()
    assert "分子(5)不能大于分母(4)。" in page
    assert "筹备会.png" in page and "待保存" in page
    assert not ProgressReport.objects.exists() and not Evidence.objects.exists()
    [token] = response.context["row"]["form"].staged
    assert f'name="a{item_1.pk}-staged" value="{token.token}"' in page
    assert len(list((evidence_root / "staging").rglob("*.png"))) == 1

    data.pop(f"a{item_1.pk}-evidence_files")
    data[field(item_1, target, "numerator")] = "3"
    data[f"a{item_1.pk}-staged"] = token.token
    with django_capture_on_commit_callbacks(execute=True):  # the staged copy goes on commit
        response = client.post(item_url(item_1), data, headers=HTMX)

    assert "已保存。" in response.content.decode()
    report = ProgressReport.objects.get()
    [evidence] = report.evidence.all()
    assert (evidence.original_name, evidence.kind, evidence.content_type) == (
        "筹备会.png",
        Evidence.Kind.PHOTO,
        "image/png",
    )
    assert evidence.file.read() == PNG
    assert list((evidence_root / "staging").rglob("*.png")) == []


def test_a_staged_file_is_attached_only_by_the_user_who_gave_it(
    client: Client,
    world: Checklist,
    item_1: Assignment,
    community_one_staff: User,
    august_3rd_2017: Any,
) -> None:
    colleague = _person("one-b", Role.COMMUNITY_STAFF, community=item_1.community)
    client.force_login(community_one_staff)
    data = item_data(client.get(JULY), item_1)
    [target] = item_1.targets()
    data[field(item_1, target, "numerator")] = "5"
    data[field(item_1, target, "denominator")] = "4"
    data[f"a{item_1.pk}-evidence_files"] = SimpleUploadedFile("筹备会.png", PNG)
    response = client.post(item_url(item_1), data, headers=HTMX)
    [staged] = response.context["row"]["form"].staged

    client.force_login(colleague)
    data = item_data(client.get(JULY), item_1)
    data[field(item_1, target, "numerator")] = "3"
    data[field(item_1, target, "denominator")] = "4"
    data[f"a{item_1.pk}-staged"] = staged.token
    response = client.post(item_url(item_1), data, headers=HTMX)

    assert "已保存。" in response.content.decode()
    assert not Evidence.objects.exists()


def test_the_filters_show_the_items_of_one_state_and_the_index_lists_them_all(
    client: Client, world: Checklist, item_1: Assignment, community_one_staff: User,
    august_3rd_2017: Any,
) -> None:  # fmt: skip
    file_report(item_1, community_one_staff)
    client.force_login(community_one_staff)

    response = client.get(JULY + "&show=draft")

    page = response.content.decode()
    rows = [row for rows in response.context["groups"].values() for row in rows]
    assert [row["assignment"] for row in rows] == [item_1]
    assert "已填 1 / 36" in page
    assert "待填报 35" in page and "草稿 1" in page and "全部 36" in page
    assert len(response.context["index"]) == 36
    other = response.context["index"][1]["assignment"]
    assert f'href="/workspace/?year=2017&amp;month=7#a{other.pk}"' in page
    # The page's buttons keep the filter; an item hidden by it is not saved blank.
    data = form_data(response, "save")
    assert client.post(JULY + "&show=draft", data).status_code == 302
    assert ProgressReport.objects.count() == 1
    todo = client.get(JULY + "&show=todo")
    assert len([r for rows in todo.context["groups"].values() for r in rows]) == 35
    assert client.get(JULY + "&show=nonsense").context["show"] == "all"


def test_the_exception_reason_is_in_its_own_box_and_the_upload_says_what_it_takes(
    client: Client, world: Checklist, item_1: Assignment, community_one_staff: User,
    august_3rd_2017: Any,
) -> None:  # fmt: skip
    client.force_login(community_one_staff)
    page = client.get(JULY).content.decode()
    assert 'class="exception-reason"' in page
    assert (
        "可上传图片(JPG、PNG、HEIC)、PDF 或 Office 文档(Word、Excel、PowerPoint),"
        "每个文件不超过 10 MB。" in page
    )
    assert "<script>" not in page and "onclick" not in page
    assert "/static/vendor/htmx/htmx.min.js" in page and "/static/js/workspace.js" in page


ROLES = {
    # role: what posting item 1 of community one (a draft) answers
    "own": 302,
    "other": 404,
    "reviewer": 404,  # 房管所 does not lead item 1
    "other_lead": 404,  # 社区党建办 leads it, but drafts are the community's own
    "street_admin": 403,
    "leader": 403,
    "anonymous": "login",
}


@pytest.mark.parametrize("role", ROLES)
def test_only_the_party_s_staff_may_post_an_item(
    role: str,
    client: Client,
    world: Checklist,
    item_1: Assignment,
    community_one_staff: User,
    community_two_staff: User,
    housing_staff: User,
    party_building_staff: User,
    street_admin: User,
    leader: User,
    august_3rd_2017: Any,
) -> None:
    people = {
        "own": community_one_staff,
        "other": community_two_staff,
        "reviewer": housing_staff,
        "other_lead": party_building_staff,
        "street_admin": street_admin,
        "leader": leader,
    }
    draft = file_report(item_1, community_one_staff)
    [target] = item_1.targets()
    data = {
        f"a{item_1.pk}-version": str(draft.version),
        f"a{item_1.pk}-status": ProgressReport.Status.IN_PROGRESS,
        field(item_1, target, "numerator"): "1",
        field(item_1, target, "denominator"): "2",
        f"a{item_1.pk}-evidence_kind": "photo",
        "action": "submit",
    }
    if role in people:
        client.force_login(people[role])

    response = client.post(item_url(item_1), data)

    expected = ROLES[role]
    draft.refresh_from_db()
    if expected == "login":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    else:
        assert response.status_code == expected
    if role == "own":
        assert draft.workflow_state == ProgressReport.WorkflowState.SUBMITTED
    else:
        assert (draft.workflow_state, draft.version) == (ProgressReport.WorkflowState.DRAFT, 1)


def test_a_returned_report_goes_back_once_corrected_or_by_its_own_submit(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    housing_staff: User,
    august_3rd_2017: Any,
) -> None:
    item_8 = assignment_of(world, 8, community_one)
    returned = progress_report_return(
        report=file_report(item_8, community_one_staff, submit=True),
        by=housing_staff,
        comment="请补充照片",
    )
    client.force_login(community_one_staff)
    page = client.get(JULY)

    response = client.post(JULY, form_data(page, "submit"), follow=True)
    assert "没有可以提交的任务" in response.content.decode()
    returned.refresh_from_db()
    assert returned.workflow_state == ProgressReport.WorkflowState.RETURNED

    response = client.post(item_url(item_8), item_data(page, item_8, "submit"), headers=HTMX)
    assert "已提交,等待牵头单位审核。" in response.content.decode()
    returned.refresh_from_db()
    assert returned.workflow_state == ProgressReport.WorkflowState.SUBMITTED


def test_staged_files_left_for_more_than_a_day_are_removed(db: None, evidence_root: Path) -> None:
    staged = staging.store(
        user_pk=1,
        assignment_pk=2,
        upload=SimpleUploadedFile("照片.png", PNG),
        kind=Evidence.Kind.PHOTO,
        content_type="image/png",
    )
    assert staging.find(user_pk=1, assignment_pk=2, tokens=[staged.token]) == [staged]
    assert staging.find(user_pk=3, assignment_pk=2, tokens=[staged.token]) == []
    assert staging.find(user_pk=1, assignment_pk=2, tokens=["../../x"]) == []

    assert staging.remove_stale() == 0  # just staged
    later = timezone.now() + staging.STALE_AFTER + datetime.timedelta(minutes=1)
    assert staging.remove_stale(now=later) == 2  # the file and its description
    assert list((evidence_root / "staging").rglob("*.*")) == []
