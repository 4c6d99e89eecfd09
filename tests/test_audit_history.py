"""The 修改记录 (audit trail, issue 15): every change to a report, through any path, shows
on the report's page with who, when, old and new; the auditors' export; audit rows that
the admin cannot edit or delete; the retention job."""

from __future__ import annotations

import datetime
import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from axes.models import AccessLog
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from assessments.models import Scheme, ScoreAdjustment
from audit.retention import audit_purge, retention_days
from communities.models import Community
from tasks.models import Checklist, ProgressReport
from tasks.resources import ProgressReportResource
from tasks.services import progress_report_submit
from tests.conftest import assignment_of
from tests.filing import JULY, field, file_report, fill_every_target, form_data, page_forms
from tests.test_import_export import REPORT_HEADERS, import_xlsx, xlsx

RATE = "业委会党的工作小组组建率"  # item 1's one target, a rate


def panel(client: Client, report: ProgressReport) -> str:
    """The 修改记录 section of the report's page, as the signed-in user sees it."""
    response = client.get(reverse("report_detail", args=[report.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    match = re.search(r'<section class="report-history".*?</section>', page, re.S)
    assert match, "the report page has no 修改记录 panel"
    return match.group(0)


def changed(label: str, old: str, new: str) -> str:
    return f"<strong>{label}</strong>:<del>{old}</del> → <ins>{new}</ins>"


def july_report(world: Checklist, community: Community) -> ProgressReport:
    return ProgressReport.objects.get(assignment=assignment_of(world, 1, community), month=7)


# Every path ---------------------------------------------------------------------------


def test_draft_saves_and_the_submission_on_the_filing_page_show_who_when_old_and_new(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    august_3rd_2017: Any,
) -> None:
    client.force_login(community_one_staff)
    response = client.get(JULY)
    data = fill_every_target(response, form_data(response, "save"))
    assignment = assignment_of(world, 1, community_one)
    prefix = next(form for form in page_forms(response) if form.assignment == assignment).prefix
    data[f"{prefix}-narrative"] = "已组建一个。"
    assert client.post(JULY, data).status_code == 302

    response = client.get(JULY)
    data = fill_every_target(response, form_data(response, "save"))
    data[f"{prefix}-narrative"] = "已组建两个。"
    data[field(assignment, assignment.targets()[0], "numerator")] = "9"
    assert client.post(JULY, data).status_code == 302
    report = july_report(world, community_one)
    progress_report_submit(report=report, by=community_one_staff)

    shown = panel(client, report)
    assert changed("进展情况", "已组建一个。", "已组建两个。") in shown
    assert changed("分子", "8", "9") in shown
    assert f"指标:{RATE}" in shown
    assert changed("流程状态", "草稿", "已提交") in shown
    assert "2017-08-03 10:00" in shown  # when (Shanghai time)
    assert '<span class="who">one</span>' in shown  # who


def test_the_lead_units_approval_and_return_show_with_the_reviewer(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    party_building_staff: User,
    august_3rd_2017: Any,
) -> None:
    report = file_report(assignment_of(world, 1, community_one), community_one_staff, submit=True)
    client.force_login(party_building_staff)

    returned = client.post(f"/reports/{report.pk}/return/", {"comment": "请补充分母的来源。"})
    assert returned.status_code == 302
    file_report(assignment_of(world, 1, community_one), community_one_staff, submit=True)
    approved = client.post(f"/reports/{report.pk}/approve/", {"comment": "同意"})
    assert approved.status_code == 302

    shown = panel(client, report)
    assert changed("流程状态", "已提交", "已退回") in shown
    assert changed("审核意见", "—", "请补充分母的来源。") in shown
    assert changed("流程状态", "已提交", "已审核") in shown
    assert shown.count('<span class="who">partybuilding</span>') >= 2


def test_a_spreadsheet_import_shows_in_the_name_of_who_imported(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    street_admin: User,
    august_3rd_2017: Any,
) -> None:
    report = file_report(
        assignment_of(world, 1, community_one), community_one_staff, narrative="第一稿"
    )
    content = xlsx(
        [REPORT_HEADERS, [2017, 1, "示例社区一", 2017, 7, "推进中", "导入稿", "", f"{RATE}: 3/4"]]
    )

    result = import_xlsx(ProgressReportResource(), content, user=street_admin)

    assert not result.has_errors() and not result.has_validation_errors()
    client.force_login(community_one_staff)
    shown = panel(client, report)
    row = next(row for row in shown.split('<p class="meta">') if "导入稿" in row)
    assert '<span class="who">admin</span>' in row
    assert changed("进展情况", "第一稿", "导入稿") in row
    assert changed("分子", "8", "3") in shown


def test_the_admin_shows_the_history_in_chinese_and_cannot_change_it(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    street_admin: User,
    august_3rd_2017: Any,
) -> None:
    report = file_report(assignment_of(world, 1, community_one), community_one_staff)
    file_report(assignment_of(world, 1, community_one), community_one_staff, narrative="改过")
    client.force_login(street_admin)

    page = client.get(reverse("admin:tasks_progressreport_history", args=[report.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "one" in text and "进展情况" in text and "修改" in text

    version = report.history.order_by("history_date").first()
    address = reverse(
        "admin:tasks_progressreport_simple_history", args=[report.pk, version.history_id]
    )
    assert client.get(address).status_code == 200
    reverted = client.post(address, {"narrative": "", "status": report.status})
    assert reverted.status_code == 403
    assert ProgressReport.objects.get(pk=report.pk).narrative == "改过"
    # The history rows themselves are in no admin page: nothing to edit or delete.
    with pytest.raises(NoReverseMatch):
        reverse("admin:tasks_historicalprogressreport_changelist")


# Who sees it ---------------------------------------------------------------------------


def test_another_community_gets_404_and_the_lead_unit_sees_the_panel(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    community_two_staff: User,
    party_building_staff: User,
    august_3rd_2017: Any,
) -> None:
    report = file_report(assignment_of(world, 1, community_one), community_one_staff, submit=True)

    client.force_login(community_two_staff)
    assert client.get(reverse("report_detail", args=[report.pk])).status_code == 404
    client.force_login(party_building_staff)
    assert '<span class="who">one</span>' in panel(client, report)


def test_the_page_asks_as_many_queries_however_long_the_history(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    august_3rd_2017: Any,
) -> None:
    assignment = assignment_of(world, 1, community_one)
    report = file_report(assignment, community_one_staff, narrative="0")
    client.force_login(community_one_staff)

    def queries() -> int:
        client.get(reverse("report_detail", args=[report.pk]))  # warm the session's cache
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("report_detail", args=[report.pk])).status_code == 200
        return len(captured)

    file_report(assignment, community_one_staff, narrative="1")
    few = queries()
    for draft in range(2, 60):
        file_report(assignment, community_one_staff, narrative=str(draft))
    many = queries()

    assert many == few
    assert panel(client, report).count("<strong>进展情况</strong>") == 50  # capped


# The export ---------------------------------------------------------------------------


def exported_rows(response: Any) -> list[list[Any]]:
    content = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_the_street_admin_exports_the_periods_changes_formula_safe(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    street_admin: User,
    august_3rd_2017: Any,
) -> None:
    assignment = assignment_of(world, 1, community_one)
    file_report(assignment, community_one_staff, narrative="第一稿")
    file_report(assignment, community_one_staff, narrative="=HYPERLINK(1)")
    client.force_login(street_admin)

    response = client.get(reverse("history_export"), {"start": "2017-08-01", "end": "2017-08-31"})

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert "attachment" in response["Content-Disposition"]
    rows = exported_rows(response)
    assert rows[0][:3] == ["时间", "操作人", "操作"]
    narrative = [row for row in rows if row[5] == "进展情况"]
    assert [row[6:] for row in narrative] == [[None, "第一稿"], ["第一稿", "'=HYPERLINK(1)"]]
    assert {row[1] for row in narrative} == {"one"}
    assert narrative[0][0] == datetime.datetime(2017, 8, 3, 10, 0)  # noqa: DTZ001 (Shanghai time, as written)

    before = client.get(reverse("history_export"), {"start": "2017-07-01", "end": "2017-07-31"})
    assert len(exported_rows(before)) == 1  # the header: nothing changed in July


def test_only_the_street_admin_may_export_and_only_their_home_page_links_to_it(
    client: Client,
    world: Checklist,
    street_admin: User,
    leader: User,
    party_building_staff: User,
    community_one_staff: User,
) -> None:
    address = reverse("history_export")
    client.force_login(street_admin)
    assert f'href="{address}"' in client.get("/").content.decode()
    assert client.get(address).status_code == 200  # the form of the period
    for user in (leader, party_building_staff, community_one_staff):
        client.force_login(user)
        assert f'href="{address}"' not in client.get("/").content.decode()
        assert client.get(address).status_code == 403


# The admin cannot remove the record ----------------------------------------------------


def test_the_admin_cannot_delete_login_records_or_score_adjustments(
    client: Client, world: Checklist, community_one: Community, street_admin: User
) -> None:
    street_admin.is_superuser = True  # even a superuser
    street_admin.save()
    log = AccessLog.objects.create(username="one", user_agent="test", path_info="/accounts/login/")
    adjustment = ScoreAdjustment.objects.create(
        scheme=Scheme.objects.create(checklist=world),
        community=community_one,
        points="-2",
        reason="台账不全",
        made_by=street_admin,
    )
    client.force_login(street_admin)

    assert client.post(reverse("admin:axes_accesslog_delete", args=[log.pk])).status_code == 403
    assert client.post(reverse("admin:axes_accesslog_change", args=[log.pk])).status_code == 403
    assert (
        client.post(
            reverse("admin:assessments_scoreadjustment_delete", args=[adjustment.pk])
        ).status_code
        == 403
    )
    assert AccessLog.objects.filter(pk=log.pk).exists()
    assert ScoreAdjustment.objects.filter(pk=adjustment.pk).exists()


# Retention -----------------------------------------------------------------------------


def test_the_retention_purges_only_rows_older_than_it_keeps(
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    august_3rd_2017: Any,
) -> None:
    assignment = assignment_of(world, 1, community_one)
    report = file_report(assignment, community_one_staff, narrative="旧")
    file_report(assignment, community_one_staff, narrative="新")
    history = report.history.order_by("history_date")
    now = timezone.now()
    old, recent = history[0], history[1]
    history.filter(history_id=old.history_id).update(history_date=now - datetime.timedelta(191))
    history.filter(history_id=recent.history_id).update(history_date=now - datetime.timedelta(189))
    old_login = AccessLog.objects.create(username="one", user_agent="t", path_info="/")
    AccessLog.objects.filter(pk=old_login.pk).update(
        attempt_time=now - datetime.timedelta(days=200)
    )
    new_login = AccessLog.objects.create(username="one", user_agent="t", path_info="/")

    audit_purge(now=now)

    remaining = set(report.history.values_list("history_id", flat=True))
    assert old.history_id not in remaining and recent.history_id in remaining
    assert list(AccessLog.objects.values_list("pk", flat=True)) == [new_login.pk]


def test_a_retention_under_180_days_is_refused_with_a_clear_error(
    settings: Settings,
) -> None:
    settings.AUDIT_RETENTION_DAYS = 179
    with pytest.raises(ImproperlyConfigured, match="at least 180 days"):
        retention_days()
    with pytest.raises(ImproperlyConfigured):
        audit_purge()


def test_the_portal_refuses_to_start_with_a_retention_under_180_days() -> None:
    environment = {**os.environ, "DEBUG": "True", "AUDIT_RETENTION_DAYS": "179"}
    started = subprocess.run(  # noqa: S603 (our own manage.py)
        [sys.executable, "manage.py", "check"],
        cwd=Path(__file__).resolve().parent.parent,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert started.returncode != 0
    assert "AUDIT_RETENTION_DAYS=179" in started.stderr
    assert "at least 180 days" in started.stderr
