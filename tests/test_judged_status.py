"""The portal judges, the people explain: where targets measure an item, a month's 进展状态
follows their verdicts, whatever the party declares; a party that believes the figures
do not tell the whole story asks, with a reason, that its declared status count, and the
lead unit accepts or refuses that on review. The dashboards count the status that counts."""

from __future__ import annotations

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.test import Client

from communities.models import Community
from dashboards.models import AssignmentMonth
from dashboards.summaries import summaries_differences
from tasks.models import Assignment, Checklist, Evidence, ProgressReport, Target, judge_status
from tasks.services import (
    ValueInput,
    evidence_add,
    progress_report_approve,
    progress_report_reopen,
    progress_report_save,
    progress_report_submit,
)
from tests.filing import MINIMAL_PDF, form_data

from .conftest import assignment_of

Status = ProgressReport.Status
Exception_ = ProgressReport.ExceptionState
Verdict = Target.Verdict


def _file(
    assignment: Assignment,
    by: User,
    *,
    declared: str,
    values: dict[int, ValueInput],
    submit: bool = True,
    exception_reason: str = "",
) -> ProgressReport:
    report = progress_report_save(
        assignment=assignment,
        year=2017,
        month=7,
        by=by,
        status=declared,
        narrative="7月进展:已走访各小区。",
        values=values,
        version=None,
        exception_requested=bool(exception_reason),
        exception_reason=exception_reason,
    )
    if submit:
        report = progress_report_submit(report=report, by=by)
    return report


def _owners_committees(assignment: Assignment, formed: int) -> dict[int, ValueInput]:
    """Item 8 (业委会组建率 ≥ 90%, by the year's end): ``formed`` of 10 compounds (the
    register counts 2 eligible: the party says why it counts 10)."""
    (target,) = assignment.targets()
    return {
        target.pk: ValueInput(
            numerator=formed, denominator=10, denominator_reason="另有 8 个小区待登记"
        )
    }


@pytest.fixture
def world(august_3rd_2017: time_machine.Traveller, world: Checklist) -> Checklist:
    """The assignments generated the week July is filed: a summary row of a month without a
    report carries the meeting register's verdicts as they stand that day."""
    return world


@pytest.fixture
def item_8(world: Checklist, community_one: Community) -> Assignment:
    """Community one's assignment of item 8, reviewed by 房管所."""
    return assignment_of(world, 8, community_one)


def _counted(assignment: Assignment) -> AssignmentMonth:
    return AssignmentMonth.objects.get(assignment=assignment, year=2017, month=7)


def test_the_verdicts_give_the_status() -> None:
    assert judge_status([Verdict.MET, Verdict.MET]) == Status.COMPLETED
    assert judge_status([Verdict.MET, Verdict.ON_TRACK]) == Status.IN_PROGRESS
    assert judge_status([Verdict.MET, Verdict.NOT_REPORTED]) == Status.IN_PROGRESS
    assert judge_status([Verdict.ON_TRACK, Verdict.BEHIND]) == Status.LAGGING
    assert judge_status([Verdict.NOT_REPORTED]) == Status.NOT_STARTED
    assert judge_status([]) is None


def test_completed_declared_with_an_unmet_target_is_stored_and_counted_in_progress(
    item_8: Assignment,
    community_one_staff: User,
    housing_staff: User,
    world: Checklist,
    august_3rd_2017: time_machine.Traveller,
) -> None:
    report = _file(
        item_8, community_one_staff, declared=Status.COMPLETED, values=_owners_committees(item_8, 8)
    )

    assert report.status == Status.IN_PROGRESS  # 80% < 90%, the year's end still ahead
    assert report.declared_status == Status.COMPLETED
    progress_report_approve(report=report, by=housing_staff)
    cell = _counted(item_8)
    assert (cell.status, cell.is_complete) == (Status.IN_PROGRESS, False)
    assert summaries_differences(checklist=world) == []


def test_completed_declared_with_a_target_behind_is_stored_lagging(
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    august_3rd_2017: time_machine.Traveller,
) -> None:
    """Item 3's monthly 议事 meeting not held in July is behind at once."""
    assignment = assignment_of(world, 3, community_one)
    values = {
        target.pk: ValueInput(numerator=10, denominator=10, quantity=0)
        for target in assignment.targets()
    }

    report = _file(
        assignment, community_one_staff, declared=Status.COMPLETED, values=values, submit=False
    )

    assert report.status == Status.LAGGING
    assert _counted(assignment).status == Status.LAGGING


def test_every_target_met_is_completed_even_when_in_progress_is_declared(
    item_8: Assignment,
    community_one_staff: User,
    housing_staff: User,
    world: Checklist,
    august_3rd_2017: time_machine.Traveller,
) -> None:
    report = _file(
        item_8,
        community_one_staff,
        declared=Status.IN_PROGRESS,
        values=_owners_committees(item_8, 9),
    )
    progress_report_approve(report=report, by=housing_staff)

    report.refresh_from_db()
    assert report.status == Status.COMPLETED
    cell = _counted(item_8)
    assert (cell.status, cell.is_complete) == (Status.COMPLETED, True)
    assert summaries_differences(checklist=world) == []


def test_an_accepted_exception_counts_the_declared_status_and_the_pages_show_it(
    client: Client,
    item_8: Assignment,
    community_one_staff: User,
    housing_staff: User,
    world: Checklist,
    august_3rd_2017: time_machine.Traveller,
) -> None:
    reason = "二号小区业委会已选举产生,区房管局备案证明下月才到。"
    report = _file(
        item_8,
        community_one_staff,
        declared=Status.COMPLETED,
        values=_owners_committees(item_8, 8),
        exception_reason=reason,
    )
    assert (report.status, report.exception_state) == (Status.IN_PROGRESS, Exception_.PENDING)
    client.force_login(housing_staff)
    queue = client.get("/review/").content.decode()
    assert reason in queue and "待牵头单位认定" in queue

    refused = client.post(f"/reports/{report.pk}/approve/", {"comment": ""})
    assert refused.status_code == 400
    assert "请决定是否同意该单位按申报状态认定" in refused.content.decode()
    report.refresh_from_db()
    assert report.workflow_state == ProgressReport.WorkflowState.SUBMITTED

    response = client.post(
        f"/reports/{report.pk}/approve/", {"comment": "情况属实", "exception_accepted": "1"}
    )

    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == Status.COMPLETED
    assert report.exception_state == Exception_.ACCEPTED
    assert report.exception_decided_by == housing_staff
    cell = _counted(item_8)
    assert (cell.status, cell.is_complete) == (Status.COMPLETED, True)
    assert summaries_differences(checklist=world) == []
    page = client.get(f"/reports/{report.pk}/").content.decode()
    assert "已同意按申报状态认定" in page and reason in page
    assert "低于目标比率" in page  # the verdict beside the figures stays shown
    item_page = client.get(f"/items/{item_8.item_id}/?year=2017&month=7").content.decode()
    assert reason in item_page


def test_a_refused_exception_counts_the_judged_status(
    item_8: Assignment,
    community_one_staff: User,
    housing_staff: User,
    world: Checklist,
    august_3rd_2017: time_machine.Traveller,
) -> None:
    report = _file(
        item_8,
        community_one_staff,
        declared=Status.COMPLETED,
        values=_owners_committees(item_8, 8),
        exception_reason="备案证明下月才到。",
    )

    report = progress_report_approve(report=report, by=housing_staff, exception_accepted=False)

    assert (report.status, report.exception_state) == (Status.IN_PROGRESS, Exception_.REFUSED)
    cell = _counted(item_8)
    assert (cell.status, cell.is_complete) == (Status.IN_PROGRESS, False)


def test_reopening_asks_for_the_decision_again(
    item_8: Assignment,
    community_one_staff: User,
    housing_staff: User,
    street_admin: User,
    august_3rd_2017: time_machine.Traveller,
) -> None:
    report = _file(
        item_8,
        community_one_staff,
        declared=Status.COMPLETED,
        values=_owners_committees(item_8, 8),
        exception_reason="备案证明下月才到。",
    )
    report = progress_report_approve(report=report, by=housing_staff, exception_accepted=True)

    report = progress_report_reopen(report=report, by=street_admin, reason="数据需核实")

    assert (report.status, report.exception_state) == (Status.IN_PROGRESS, Exception_.PENDING)
    assert report.exception_decided_by is None


def test_an_exception_without_a_reason_is_refused_at_the_field_with_the_input_kept(
    client: Client,
    item_8: Assignment,
    community_one_staff: User,
    august_3rd_2017: time_machine.Traveller,
) -> None:
    client.force_login(community_one_staff)
    data = form_data(client.get("/workspace/?year=2017&month=7"))
    prefix = f"a{item_8.pk}"
    (target,) = item_8.targets()
    data |= {
        f"{prefix}-status": Status.COMPLETED,
        f"{prefix}-t{target.pk}_numerator": "8",
        f"{prefix}-t{target.pk}_denominator": "10",
        f"{prefix}-exception_requested": "on",
        f"{prefix}-exception_reason": "  ",
    }

    response = client.post("/workspace/?year=2017&month=7", data)

    assert response.status_code == 400
    (form,) = [
        row["form"]
        for rows in response.context["groups"].values()
        for row in rows
        if row["assignment"] == item_8
    ]
    assert "请写明理由" in " ".join(form.errors["exception_reason"])
    assert form["exception_requested"].value() is True
    assert form[f"t{target.pk}_numerator"].value() == "8"
    assert not ProgressReport.objects.filter(assignment=item_8).exists()
    with pytest.raises(ValidationError, match="请写明理由"):
        progress_report_save(
            assignment=item_8,
            year=2017,
            month=7,
            by=community_one_staff,
            status=Status.COMPLETED,
            narrative="",
            values=_owners_committees(item_8, 8),
            version=None,
            exception_requested=True,
            exception_reason=" ",
        )


def test_the_database_refuses_an_exception_without_a_reason(
    item_8: Assignment, community_one_staff: User, august_3rd_2017: time_machine.Traveller
) -> None:
    report = _file(
        item_8,
        community_one_staff,
        declared=Status.COMPLETED,
        values=_owners_committees(item_8, 8),
        submit=False,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgressReport.objects.filter(pk=report.pk).update(exception_state=Exception_.PENDING)


def test_an_item_without_measurable_targets_keeps_the_declared_status(
    item_8: Assignment,
    community_one_staff: User,
    housing_staff: User,
    world: Checklist,
    august_3rd_2017: time_machine.Traveller,
) -> None:
    Target.objects.filter(item=item_8.item).delete()
    assignment = Assignment.objects.get(pk=item_8.pk)

    report = _file(assignment, community_one_staff, declared=Status.COMPLETED, values={})
    progress_report_approve(report=report, by=housing_staff)

    report.refresh_from_db()
    assert (report.status, report.declared_status) == (Status.COMPLETED, Status.COMPLETED)
    cell = _counted(assignment)
    assert (cell.status, cell.is_complete) == (Status.COMPLETED, True)


def test_an_accepted_exception_is_not_counted_behind_and_the_dashboard_says_why(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    party_building_staff: User,
    street_admin: User,
    august_3rd_2017: time_machine.Traveller,
) -> None:
    """Item 3's monthly meeting was not held in July (滞后 at once); 社区党建办 accepts that
    示例社区一 counts it 已完成. The dashboard and the briefing used to count the target
    behind all the same: the party was behind on an item counted 已完成."""
    reason = "7月议事会与街道联席会议合并召开,记录在街道台账。"
    assignment = assignment_of(world, 3, community_one)
    values = {
        target.pk: ValueInput(numerator=10, denominator=10, quantity=0)
        for target in assignment.targets()
    }
    report = _file(
        assignment,
        community_one_staff,
        declared=Status.COMPLETED,
        values=values,
        exception_reason=reason,
        submit=False,
    )
    evidence_add(  # 已完成 asks for the item's evidence
        report=report,
        upload=SimpleUploadedFile("议事会记录.pdf", MINIMAL_PDF, content_type="application/pdf"),
        kind=Evidence.Kind.MINUTES,
        by=community_one_staff,
    )
    report = progress_report_submit(report=report, by=community_one_staff)
    assert report.judged_status() == Status.LAGGING
    progress_report_approve(report=report, by=party_building_staff, exception_accepted=True)

    cell = _counted(assignment)
    assert (cell.status, cell.is_complete) == (Status.COMPLETED, True)
    assert (cell.targets_behind, cell.targets_excepted) == (0, 1)
    assert summaries_differences(checklist=world) == []

    client.force_login(street_admin)
    board = client.get("/dashboard/?year=2017&month=7").context["board"]
    [item_3] = [row for row in board.off_track if row.obj.number == 3]
    # 示例社区二 filed nothing and held no meeting: the register says it is behind.
    assert (item_3.figures.behind, item_3.figures.excepted) == (1, 1)
    [excepted] = item_3.extra["excepted"]
    assert (excepted.party, excepted.targets, excepted.reason) == ("示例社区一", 1, reason)
    parties = {row.label: row.figures for row in board.parties}
    assert parties["示例社区一"].complete == 1
    page = client.get("/dashboard/?year=2017&month=7").content.decode()
    assert "示例社区一:1 个指标滞后 · 例外已认可,计为“已完成”" in page and reason in page
    briefing = client.get("/dashboard/briefing/?year=2017&month=7").content.decode()
    assert "例外已认可" in briefing and reason in briefing
