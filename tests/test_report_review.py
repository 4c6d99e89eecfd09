"""A lead unit reviews a community's report: approve, return with a comment, the street
admin reopens an approved one; extension requests are granted or refused once."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from communities.models import Community
from tasks.models import Checklist, DeadlineExtension, Evidence, ProgressReport, ReportTransition
from tasks.services import (
    ValueInput,
    evidence_add,
    extension_request,
    progress_report_approve,
    progress_report_save,
    progress_report_submit,
)
from tests.filing import MINIMAL_PDF
from tests.filing import file_item_report as file_report

from .conftest import SHANGHAI, assignment_of

State = ProgressReport.WorkflowState


@pytest.fixture
def submitted(
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    august_3rd_2017: time_machine.Traveller,
) -> ProgressReport:
    """Community one's July report on item 8 (业委会组建率, led by 房管所), submitted."""
    return file_report(world, 8, community_one, community_one_staff)


def _page(client: Client, report: ProgressReport) -> str:
    response = client.get(f"/reports/{report.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_approving_locks_the_report_against_the_community_s_changes(
    client: Client, submitted: ProgressReport, housing_staff: User, community_one_staff: User
) -> None:
    client.force_login(housing_staff)
    response = client.post(f"/reports/{submitted.pk}/approve/", {"comment": "材料齐全"})

    assert response.status_code == 302
    assert response["Location"] == "/review/"
    submitted.refresh_from_db()
    assert submitted.workflow_state == State.APPROVED
    assert submitted.reviewed_by == housing_staff
    assert submitted.review_comment == "材料齐全"
    assert "已审核通过" in client.get("/review/").content.decode()
    with pytest.raises(ValidationError, match="已提交或已审核"):
        progress_report_save(
            assignment=submitted.assignment,
            year=2017,
            month=7,
            by=community_one_staff,
            status=ProgressReport.Status.COMPLETED,
            narrative="改一改",
            values={},
            version=submitted.version,
        )


def test_returning_reopens_the_report_with_the_comment_shown_to_the_community(
    client: Client, submitted: ProgressReport, housing_staff: User, community_one_staff: User
) -> None:
    client.force_login(housing_staff)
    response = client.post(
        f"/reports/{submitted.pk}/return/", {"comment": "请补充二号小区的业委会筹备情况"}
    )

    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.workflow_state == State.RETURNED
    assert submitted.is_editable_by_party()
    client.force_login(community_one_staff)
    page = _page(client, submitted)
    assert "退回意见" in page
    assert "请补充二号小区的业委会筹备情况" in page
    assert "/workspace/?year=2017&amp;month=7" in page  # the way back to correct it


def test_every_transition_appears_in_the_history_with_who_when_from_to_and_comment(
    client: Client,
    submitted: ProgressReport,
    housing_staff: User,
    community_one_staff: User,
    august_3rd_2017: time_machine.Traveller,
) -> None:
    client.force_login(housing_staff)
    client.post(f"/reports/{submitted.pk}/return/", {"comment": "请补充照片"})
    august_3rd_2017.move_to(datetime.datetime(2017, 8, 4, 9, 30, tzinfo=SHANGHAI))
    submitted.refresh_from_db()
    progress_report_submit(report=submitted, by=community_one_staff)
    august_3rd_2017.move_to(datetime.datetime(2017, 8, 4, 15, 0, tzinfo=SHANGHAI))
    client.force_login(housing_staff)  # a new working day, a new session
    client.post(f"/reports/{submitted.pk}/approve/", {"comment": "同意"})

    history = list(
        ReportTransition.objects.filter(report=submitted).values_list(
            "from_state", "to_state", "by__username", "comment"
        )
    )
    assert history == [
        (State.DRAFT, State.SUBMITTED, "one", ""),
        (State.SUBMITTED, State.RETURNED, "housing", "请补充照片"),
        (State.RETURNED, State.SUBMITTED, "one", ""),
        (State.SUBMITTED, State.APPROVED, "housing", "同意"),
    ]
    page = _page(client, submitted)
    assert "2017-08-03 10:00" in page and "2017-08-04 15:00" in page
    assert "已提交 → 已退回" in page and "已退回 → 已提交" in page and "已提交 → 已审核" in page
    assert "请补充照片" in page and "同意" in page


def test_returning_without_a_comment_shows_the_chinese_error_and_changes_nothing(
    client: Client, submitted: ProgressReport, housing_staff: User
) -> None:
    client.force_login(housing_staff)
    response = client.post(f"/reports/{submitted.pk}/return/", {"comment": "   "})

    assert response.status_code == 400
    assert "退回时请写明需要修改的内容。" in response.content.decode()
    after = ProgressReport.objects.get(pk=submitted.pk)
    assert (after.workflow_state, after.version) == (State.SUBMITTED, submitted.version)
    assert ReportTransition.objects.filter(report=submitted).count() == 1


def test_a_rejected_comment_is_shown_again_as_typed(
    client: Client, submitted: ProgressReport, housing_staff: User
) -> None:
    client.force_login(housing_staff)
    too_long = "请补充材料" * 401  # 2005 characters
    response = client.post(f"/reports/{submitted.pk}/return/", {"comment": too_long})

    assert response.status_code == 400
    page = response.content.decode()
    assert too_long in page
    assert "2000" in page  # "确保该值不超过 2000 个字符"
    assert ProgressReport.objects.get(pk=submitted.pk).workflow_state == State.SUBMITTED


def test_a_double_posted_approve_records_one_transition_and_shows_a_message(
    client: Client, submitted: ProgressReport, housing_staff: User
) -> None:
    client.force_login(housing_staff)
    first = client.post(f"/reports/{submitted.pk}/approve/", {"comment": ""})
    second = client.post(f"/reports/{submitted.pk}/approve/", {"comment": ""}, follow=True)

    assert first.status_code == 302
    assert second.redirect_chain == [(f"/reports/{submitted.pk}/", 302)]
    assert second.status_code == 200
    assert "已被他人修改或提交" in second.content.decode()
    approvals = ReportTransition.objects.filter(report=submitted, to_state=State.APPROVED)
    assert approvals.count() == 1


def test_the_street_admin_reopens_an_approved_report_with_a_reason(
    client: Client, submitted: ProgressReport, housing_staff: User, street_admin: User
) -> None:
    approved = progress_report_approve(report=submitted, by=housing_staff)
    client.force_login(street_admin)
    assert "重新打开的理由" in _page(client, approved)

    response = client.post(f"/reports/{approved.pk}/reopen/", {"reason": "分母口径有误"})

    assert response.status_code == 302
    assert response["Location"] == f"/reports/{approved.pk}/"
    approved.refresh_from_db()
    assert approved.workflow_state == State.RETURNED
    assert approved.review_comment == "分母口径有误"
    last = ReportTransition.objects.filter(report=approved).last()
    assert last is not None
    assert (last.from_state, last.to_state, last.by, last.comment) == (
        State.APPROVED,
        State.RETURNED,
        street_admin,
        "分母口径有误",
    )


def test_reopening_without_a_reason_is_refused_in_chinese(
    client: Client, submitted: ProgressReport, housing_staff: User, street_admin: User
) -> None:
    approved = progress_report_approve(report=submitted, by=housing_staff)
    client.force_login(street_admin)
    response = client.post(f"/reports/{approved.pk}/reopen/", {"reason": ""})

    assert response.status_code == 400
    assert "请写明重新打开的理由。" in response.content.decode()
    assert ProgressReport.objects.get(pk=approved.pk).workflow_state == State.APPROVED


def test_a_lead_unit_or_a_leader_cannot_reopen(
    client: Client,
    submitted: ProgressReport,
    housing_staff: User,
    leader: User,
) -> None:
    approved = progress_report_approve(report=submitted, by=housing_staff)
    for user in (housing_staff, leader):
        client.force_login(user)
        assert "重新打开的理由" not in _page(client, approved)
        response = client.post(f"/reports/{approved.pk}/reopen/", {"reason": "想改"})
        assert response.status_code == 403
    assert ProgressReport.objects.get(pk=approved.pk).workflow_state == State.APPROVED


def test_a_leader_reads_report_pages_but_sees_no_action_and_every_post_is_refused(
    client: Client, submitted: ProgressReport, leader: User
) -> None:
    client.force_login(leader)
    response = client.get(f"/reports/{submitted.pk}/")

    assert response.status_code == 200
    assert response.context["approve_form"] is None
    assert response.context["return_form"] is None
    assert response.context["reopen_form"] is None
    assert not response.context["may_edit"]
    page = response.content.decode()
    assert "业委会组建率" in page and "50% (1/2)" in page
    for action, data in (
        ("approve", {"comment": ""}),
        ("return", {"comment": "不行"}),
        ("reopen", {"reason": "不行"}),
    ):
        assert client.post(f"/reports/{submitted.pk}/{action}/", data).status_code == 403
    assert ProgressReport.objects.get(pk=submitted.pk).version == submitted.version


def test_the_reviewer_sees_the_report_with_its_targets_verdicts_and_actions(
    client: Client, submitted: ProgressReport, housing_staff: User
) -> None:
    client.force_login(housing_staff)
    response = client.get(f"/reports/{submitted.pk}/")

    page = response.content.decode()
    assert response.context["approve_form"] is not None
    assert "示例社区一" in page and "2017年7月" in page
    assert f"{submitted.filing_deadline:%Y-%m-%d}" in page  # Monday 7 August
    assert "≥ 90%" in page and "50% (1/2)" in page and "推进中" in page
    assert "7月进展:已走访各小区。" in page
    assert "审核通过" in page and "退回修改" in page


def test_another_community_s_staff_cannot_find_community_one_s_reports(
    client: Client,
    world: Checklist,
    submitted: ProgressReport,
    community_one: Community,
    community_one_staff: User,
    community_two_staff: User,
) -> None:
    draft = file_report(world, 1, community_one, community_one_staff, submit=False)
    client.force_login(community_two_staff)
    for report in (submitted, draft):
        assert client.get(f"/reports/{report.pk}/").status_code == 404
        assert client.post(f"/reports/{report.pk}/approve/", {}).status_code == 404
    assert client.get("/reports/999999/").status_code == 404


def test_the_community_gets_no_review_action_on_its_own_submitted_report(
    client: Client, submitted: ProgressReport, community_one_staff: User
) -> None:
    client.force_login(community_one_staff)
    response = client.get(f"/reports/{submitted.pk}/")

    assert response.status_code == 200
    assert response.context["approve_form"] is None
    assert not response.context["may_edit"]  # submitted: locked until reviewed
    assert client.post(f"/reports/{submitted.pk}/approve/", {}).status_code == 403


# Extensions


@pytest.fixture
def extension(
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    august_3rd_2017: time_machine.Traveller,
) -> DeadlineExtension:
    """Community one asks to file July's item 8 by 15 August instead of the filing
    deadline (the 5th, a Saturday, moved to Monday 7 August)."""
    return extension_request(
        assignment=assignment_of(world, 8, community_one),
        year=2017,
        month=7,
        requested_deadline=datetime.date(2017, 8, 15),
        reason="台风影响,小区走访推迟",
        by=community_one_staff,
    )


def test_a_granted_extension_moves_the_deadline_and_the_report_is_no_longer_late(
    client: Client,
    world: Checklist,
    extension: DeadlineExtension,
    community_one: Community,
    community_one_staff: User,
    housing_staff: User,
    august_3rd_2017: time_machine.Traveller,
) -> None:
    august_3rd_2017.move_to(datetime.datetime(2017, 8, 10, 9, 0, tzinfo=SHANGHAI))
    report = file_report(world, 8, community_one, community_one_staff)
    today = datetime.date(2017, 8, 10)
    assert report.filing_deadline == world.filing_deadline(2017, 7)
    assert report.is_late(today)  # a pending request does not move the deadline

    client.force_login(housing_staff)
    response = client.post(
        f"/extensions/{extension.pk}/decide/", {"grant": "1", "comment": "同意"}, follow=True
    )

    assert response.redirect_chain == [("/review/", 302)]
    assert "已批准示例社区一第 8 项2017年7月月报延期至 2017-08-15。" in response.content.decode()
    extension.refresh_from_db()
    assert extension.state == DeadlineExtension.State.GRANTED
    assert (extension.decided_by, extension.decision_comment) == (housing_staff, "同意")
    report = ProgressReport.objects.get(pk=report.pk)
    assert report.filing_deadline == datetime.date(2017, 8, 15)
    assert not report.is_late(today)
    assert "2017-08-15" in _page(client, report)


def test_a_refused_extension_keeps_the_deadline(
    client: Client, extension: DeadlineExtension, housing_staff: User
) -> None:
    client.force_login(housing_staff)
    client.post(f"/extensions/{extension.pk}/decide/", {"grant": "0", "comment": "时间充足"})

    extension.refresh_from_db()
    assert extension.state == DeadlineExtension.State.REFUSED
    checklist = extension.assignment.item.checklist
    assert extension.assignment.filing_deadline(2017, 7) == checklist.filing_deadline(2017, 7)


def test_an_extension_is_decided_only_once(
    client: Client, extension: DeadlineExtension, housing_staff: User
) -> None:
    client.force_login(housing_staff)
    client.post(f"/extensions/{extension.pk}/decide/", {"grant": "1", "comment": ""})
    response = client.post(
        f"/extensions/{extension.pk}/decide/", {"grant": "0", "comment": ""}, follow=True
    )

    assert response.status_code == 200
    assert "这份延期申请已经审批过了。" in response.content.decode()
    extension.refresh_from_db()
    assert extension.state == DeadlineExtension.State.GRANTED


def test_an_extension_decision_without_a_choice_is_refused_with_a_message(
    client: Client, extension: DeadlineExtension, housing_staff: User
) -> None:
    client.force_login(housing_staff)
    response = client.post(f"/extensions/{extension.pk}/decide/", {"comment": "?"}, follow=True)

    assert "请选择批准或不批准。" in response.content.decode()
    extension.refresh_from_db()
    assert extension.state == DeadlineExtension.State.PENDING


def test_only_the_item_s_lead_unit_decides_an_extension(
    client: Client,
    extension: DeadlineExtension,
    community_one_staff: User,
    community_two_staff: User,
    party_building_staff: User,
    street_admin: User,
) -> None:
    expected = {
        community_one_staff: 403,  # its own request: seen, not decided
        street_admin: 403,  # sees everything, 街道联席办 does not lead item 8
        community_two_staff: 404,
        party_building_staff: 404,
    }
    for user, status in expected.items():
        client.force_login(user)
        response = client.post(f"/extensions/{extension.pk}/decide/", {"grant": "1"})
        assert response.status_code == status, user
    extension.refresh_from_db()
    assert extension.state == DeadlineExtension.State.PENDING


# ---------------------------------------------------------------------------------------
# What the report page shows a reviewer: last month's figures, the evidence inline

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def test_the_report_page_shows_last_month_s_figures_beside_this_month_s(
    client: Client,
    world: Checklist,
    june_owed: Checklist,
    community_one: Community,
    community_one_staff: User,
    housing_staff: User,
    august_3rd_2017: time_machine.Traveller,
) -> None:
    june = file_report(world, 8, community_one, community_one_staff, month=6)
    assignment = assignment_of(world, 8, community_one)
    [target] = assignment.targets()
    july = progress_report_save(
        assignment=assignment,
        year=2017,
        month=7,
        by=community_one_staff,
        status=ProgressReport.Status.COMPLETED,
        narrative="两个小区都已成立业委会。",
        values={target.pk: ValueInput(numerator=2, denominator=2, denominator_reason="按实际")},
        version=None,
    )
    july = progress_report_submit(report=july, by=community_one_staff)
    client.force_login(housing_staff)

    response = client.get(f"/reports/{july.pk}/")

    [row] = response.context["target_rows"]
    assert row.last_month.measured == june.evaluate()[0].measured
    assert row.evaluation.measured == july.evaluate()[0].measured
    assert row.last_month.measured != row.evaluation.measured
    page = response.content.decode()
    assert "上月(6月)" in page and "本月(7月)" in page
    assert row.last_month.measured in page and row.evaluation.measured in page
    # June's own page has no column for May: the checklist owes nothing before June.
    june_page = client.get(f"/reports/{june.pk}/")
    assert june_page.context["last_month"] is None
    assert "上月" not in june_page.content.decode()


def test_the_report_page_shows_images_as_thumbnails_and_pdfs_as_links(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    housing_staff: User,
    august_3rd_2017: time_machine.Traveller,
) -> None:
    report = file_report(world, 8, community_one, community_one_staff, submit=False)
    photo = evidence_add(
        report=report,
        upload=SimpleUploadedFile("现场照片.png", PNG),
        kind=Evidence.Kind.PHOTO,
        by=community_one_staff,
    )
    minutes = evidence_add(
        report=report,
        upload=SimpleUploadedFile("会议纪要.pdf", MINIMAL_PDF),
        kind=Evidence.Kind.MINUTES,
        by=community_one_staff,
    )
    report = progress_report_submit(report=report, by=community_one_staff)
    client.force_login(housing_staff)

    page = client.get(f"/reports/{report.pk}/").content.decode()

    # One link per file: the thumbnail inside it, the file's name its text.
    thumbnail = f'<img src="/evidence/{photo.pk}/" alt="" loading="lazy">'
    assert f'class="evidence-thumb">{thumbnail}现场照片.png</a>' in page
    assert f'<img src="/evidence/{minutes.pk}/"' not in page
    assert "[PDF] 会议纪要.pdf" in page
    # The thumbnail's source is the private download, which answers the reviewer.
    image = client.get(f"/evidence/{photo.pk}/")
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"
