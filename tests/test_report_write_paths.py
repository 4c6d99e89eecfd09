"""One write path for progress reports: the admin shows a report but cannot change it,
and the spreadsheet import saves each row through ``progress_report_save``, so that it
refuses what the filing page refuses, bumps the version and keeps the summary tables
right."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from communities.models import Community
from core.spreadsheets import import_error_messages
from dashboards.models import AssignmentMonth
from dashboards.summaries import summaries_differences
from tasks.models import Checklist, ProgressReport, TargetValue
from tasks.resources import ProgressReportResource
from tasks.services import ValueInput, progress_report_save, progress_report_submit
from tests.conftest import assignment_of
from tests.test_import_export import (
    REPORT_HEADERS,
    export_xlsx,
    import_xlsx,
    upload,
    xlsx,
)

RATE = "业委会党的工作小组组建率"  # item 1's one target, a rate
SHARE = "有兼职委员的党组织比例"  # item 2's one target, a rate


@pytest.fixture
def june_draft(
    world: Checklist, june_owed: Checklist, community_one: Community, community_one_staff: User
) -> ProgressReport:
    """Community one's June report on item 1, saved as a draft on the filing page."""
    assignment = assignment_of(world, 1, community_one)
    return progress_report_save(
        assignment=assignment,
        year=2017,
        month=6,
        by=community_one_staff,
        status=ProgressReport.Status.IN_PROGRESS,
        narrative="已组建一个。",
        values={assignment.targets()[0].pk: ValueInput(numerator=1, denominator=2)},
        version=None,
    )


def good_row() -> list[Any]:
    """A new report of community two on item 2: fine on its own."""
    return [2017, 2, "示例社区二", 2017, 6, "推进中", "已摸排。", "", f"{SHARE}: 3/4"]


def figures(report: ProgressReport) -> list[tuple[Any, ...]]:
    return list(
        TargetValue.objects.filter(report=report).values_list(
            "target__title", "numerator", "denominator"
        )
    )


# The admin --------------------------------------------------------------------------


def test_the_report_page_has_no_input_for_status_narrative_values_or_state(
    client: Client, street_admin: User, june_draft: ProgressReport
) -> None:
    client.force_login(street_admin)
    response = client.get(reverse("admin:tasks_progressreport_change", args=[june_draft.pk]))
    page = response.content.decode()

    assert response.status_code == 200
    for name in ("status", "narrative", "workflow_state", "assignment", "year", "month"):
        assert f'name="{name}"' not in page
    assert 'name="values-0-numerator"' not in page and 'name="values-0-DELETE"' not in page
    assert "已组建一个。" in page and "1" in page  # shown, as text
    assert f'href="{reverse("report_detail", args=[june_draft.pk])}"' in page
    assert 'name="_save"' not in page


def test_a_forged_post_to_the_admin_changes_nothing(
    client: Client, street_admin: User, june_draft: ProgressReport
) -> None:
    client.force_login(street_admin)
    value = june_draft.values.get()
    forged = {
        "status": ProgressReport.Status.LAGGING,
        "narrative": "",
        "workflow_state": ProgressReport.WorkflowState.APPROVED,
        "values-TOTAL_FORMS": "1",
        "values-INITIAL_FORMS": "1",
        "values-0-id": str(value.pk),
        "values-0-numerator": "9",
        "values-0-denominator": "9",
    }

    responses = [
        client.post(reverse("admin:tasks_progressreport_change", args=[june_draft.pk]), forged),
        client.post(reverse("admin:tasks_progressreport_add"), forged),
        client.post(reverse("admin:tasks_progressreport_delete", args=[june_draft.pk]), {}),
        client.post(reverse("admin:tasks_targetvalue_change", args=[value.pk]), {"numerator": 9}),
        client.post(reverse("admin:tasks_targetvalue_delete", args=[value.pk]), {}),
        client.post(
            reverse("admin:tasks_progressreport_changelist"),
            {"action": "delete_selected", "_selected_action": [june_draft.pk], "post": "yes"},
        ),
    ]

    assert [response.status_code for response in responses[:5]] == [403] * 5
    saved = ProgressReport.objects.get(pk=june_draft.pk)
    assert (saved.status, saved.narrative, saved.workflow_state, saved.version) == (
        ProgressReport.Status.IN_PROGRESS,
        "已组建一个。",
        ProgressReport.WorkflowState.DRAFT,
        june_draft.version,
    )
    assert figures(saved) == [(RATE, 1, 2)]


def test_the_report_list_still_offers_the_import(client: Client, street_admin: User) -> None:
    client.force_login(street_admin)
    page = client.get(reverse("admin:tasks_progressreport_changelist")).content.decode()

    assert reverse("admin:tasks_progressreport_import") in page
    assert reverse("admin:tasks_progressreport_add") not in page


# The import ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            [2017, 1, "示例社区一", 2017, 7, "滞后", "", "", ""],
            "第2行数据“进展情况”:进展滞后时,请在进展情况中说明原因和措施。",
        ),
        (
            [2017, 1, "示例社区一", 2017, 9, "推进中", "", "", ""],
            "第2行数据“月”:不能填报未来的月份。",
        ),
        (
            [2017, 1, "示例社区一", 2017, 7, "推进中", "", "", f"{RATE}: 3/2"],
            f"第2行数据“指标值”:指标“{RATE}”的分子(3)不能大于分母(2)。",
        ),
        (
            [2017, 1, "示例社区一", 2017, 7, "推进中", "", "", f"{RATE}: 三/4"],
            f"第2行数据“指标值”:“{RATE}”必须是非负整数,而不是“三”",
        ),
        (
            [2017, 1, "示例社区一", 2017, 7, "推进中", "", "", "党员人数: 3"],
            f"第2行数据“指标值”:第1项任务没有指标“党员人数”,可填:“{RATE}”",
        ),
    ],
)
def test_the_import_refuses_what_the_filing_page_refuses_and_saves_nothing(
    street_admin: User,
    june_owed: Checklist,
    august_3rd_2017: time_machine.Traveller,
    row: list[Any],
    message: str,
) -> None:
    result = import_xlsx(
        ProgressReportResource(), xlsx([REPORT_HEADERS, good_row(), row]), user=street_admin
    )

    assert import_error_messages(result) == [message]
    assert not ProgressReport.objects.exists()
    assert not TargetValue.objects.exists()
    assert not AssignmentMonth.objects.filter(report__isnull=False).exists()


def test_the_import_does_not_overwrite_a_submitted_report(
    street_admin: User, june_draft: ProgressReport, community_one_staff: User
) -> None:
    progress_report_submit(report=june_draft, by=community_one_staff)
    submitted = ProgressReport.objects.get(pk=june_draft.pk)
    content = xlsx(
        [
            REPORT_HEADERS,
            good_row(),
            [2017, 1, "示例社区一", 2017, 6, "已完成", "改写。", "", f"{RATE}: 2/2"],
        ]
    )

    result = import_xlsx(ProgressReportResource(), content, user=street_admin)

    assert import_error_messages(result) == [
        "第2行数据“流程状态”:这份月报已提交或已审核,不能再修改。"
    ]
    saved = ProgressReport.objects.get(pk=june_draft.pk)
    assert (saved.status, saved.narrative, saved.version) == (
        submitted.status,
        submitted.narrative,
        submitted.version,
    )
    assert figures(saved) == [(RATE, 1, 2)]
    assert ProgressReport.objects.count() == 1


def test_a_good_import_saves_the_figures_and_the_summary_tables_agree(
    world: Checklist, street_admin: User, june_draft: ProgressReport
) -> None:
    content = xlsx(
        [
            REPORT_HEADERS,
            good_row(),
            [2017, 1, "示例社区一", 2017, 6, "已完成", "全部组建。", "草稿", f"{RATE}: 2/2"],
        ]
    )

    result = import_xlsx(ProgressReportResource(), content, user=street_admin)

    assert import_error_messages(result) == []
    assert (result.totals["new"], result.totals["update"]) == (1, 1)
    updated = ProgressReport.objects.get(pk=june_draft.pk)
    assert (updated.status, updated.narrative, updated.version) == (
        ProgressReport.Status.COMPLETED,
        "全部组建。",
        june_draft.version + 1,
    )
    assert figures(updated) == [(RATE, 2, 2)]
    new = ProgressReport.objects.get(
        assignment__item__number=2, assignment__community__name="示例社区二"
    )
    assert new.workflow_state == ProgressReport.WorkflowState.DRAFT
    assert figures(new) == [(SHARE, 3, 4)]
    summary = AssignmentMonth.objects.get(assignment=new.assignment, year=2017, month=6)
    assert (summary.report_id, summary.state, summary.status) == (
        new.pk,
        AssignmentMonth.State.DRAFT,
        ProgressReport.Status.IN_PROGRESS,
    )
    assert summaries_differences(checklist=world) == []


def test_importing_the_same_file_twice_changes_nothing_the_second_time(
    world: Checklist, street_admin: User, june_draft: ProgressReport
) -> None:
    content = xlsx(
        [
            REPORT_HEADERS,
            good_row(),
            [2017, 1, "示例社区一", 2017, 6, "已完成", "全部组建。", "", f"{RATE}: 2/2"],
        ]
    )
    import_xlsx(ProgressReportResource(), content, user=street_admin)
    before = {
        report.pk: (report.status, report.narrative, report.version, figures(report))
        for report in ProgressReport.objects.all()
    }
    summaries_before = list(AssignmentMonth.objects.order_by("pk").values())

    again = import_xlsx(ProgressReportResource(), content, user=street_admin)

    assert import_error_messages(again) == []
    assert again.totals["skip"] == 2
    after = {
        report.pk: (report.status, report.narrative, report.version, figures(report))
        for report in ProgressReport.objects.all()
    }
    assert after == before
    assert list(AssignmentMonth.objects.order_by("pk").values()) == summaries_before
    assert summaries_differences(checklist=world) == []


def test_an_export_with_a_submitted_report_imports_back_unchanged(
    street_admin: User, june_draft: ProgressReport, community_one_staff: User
) -> None:
    progress_report_submit(report=june_draft, by=community_one_staff)
    content = export_xlsx(ProgressReportResource())

    result = import_xlsx(ProgressReportResource(), content, user=street_admin)

    assert import_error_messages(result) == []
    assert result.totals["skip"] == 1


def test_the_admin_import_of_reports_shows_the_service_s_refusal(
    client: Client, street_admin: User, world: Checklist, june_owed: Checklist
) -> None:
    client.force_login(street_admin)
    content = xlsx(
        [REPORT_HEADERS, good_row(), [2017, 1, "示例社区一", 2017, 6, "滞后", "", "", ""]]
    )

    response = upload(client, "admin:tasks_progressreport_import", content, name="月报.xlsx")

    page = response.content.decode()
    assert "进展滞后时,请在进展情况中说明原因和措施。" in page
    assert "确认导入" not in page
    assert not ProgressReport.objects.exists()
