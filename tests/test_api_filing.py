"""Filing through the API: a system with a token files a report with its values, submits
it, and the dashboard shows it at the next request; refusals are the filing page's own
(the same form, the same services, the same Chinese words) as ``{"field": ["…"]}`` with
HTTP 400, and nothing is saved; the 修改记录 names the token's user; every write is in
the security log."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from communities.models import Community
from dashboards.dashboard import Figures
from tasks.models import Assignment, Checklist, ProgressReport, TargetValue
from tasks.services import checklist_archive
from tests.api import report_body, token_client
from tests.conftest import assignment_of
from tests.filing import JULY, field, form_data


@pytest.fixture
def item_8(world: Checklist, community_one: Community) -> Assignment:
    """业委会组建率 (a rate, its denominator from the compound register), led by 房管所."""
    return assignment_of(world, 8, community_one)


def _figures_of(client: Client, party: str) -> Figures:
    board = client.get("/dashboard/?year=2017&month=7").context["board"]
    [row] = [row for row in board.parties if row.label == party]
    return row.figures


def test_a_token_client_files_and_submits_a_report_and_the_dashboard_shows_it(
    client: Client,
    item_8: Assignment,
    community_one_staff: User,
    street_admin: User,
    august_3rd_2017: Any,
) -> None:
    client.force_login(street_admin)
    assert _figures_of(client, "示例社区一").received == 0
    api = token_client(community_one_staff)

    created = api.post("/api/v1/reports/", report_body(item_8), format="json")

    assert created.status_code == 201, created.content
    report = created.json()
    [target] = item_8.targets()
    assert report["workflow_state"] == "draft"
    assert report["party"] == "示例社区一"
    assert report["values"][0] | {"target": target.pk} == report["values"][0]
    assert (report["values"][0]["numerator"], report["values"][0]["denominator"]) == (8, 10)
    # The verdict the report page shows: 80% of a 90% target, before the year's end.
    assert report["evaluations"] == [
        {
            "target": target.pk,
            "verdict": "on_track",
            "verdict_label": "推进中",
            "measured": "80% (8/10)",
            "explanation": "低于目标比率",
        }
    ]
    assert report["judged_status"] == report["counted_status"] == "in_progress"

    submitted = api.post(
        f"/api/v1/reports/{report['id']}/submit/", {"version": report["version"]}, format="json"
    )

    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["workflow_state"] == "submitted"
    stored = ProgressReport.objects.get(pk=report["id"])
    assert stored.submitted_by == community_one_staff
    figures = _figures_of(client, "示例社区一")
    assert (figures.received, figures.on_time) == (1, 1)


def test_a_report_is_saved_and_submitted_in_one_request_as_the_page_s_submit_does(
    item_8: Assignment, community_one_staff: User, august_3rd_2017: Any
) -> None:
    api = token_client(community_one_staff)
    response = api.post("/api/v1/reports/", report_body(item_8, submit=True), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["workflow_state"] == "submitted"


def test_a_bad_value_gets_the_page_s_chinese_message_and_nothing_is_saved(
    client: Client, item_8: Assignment, community_one_staff: User, august_3rd_2017: Any
) -> None:
    [target] = item_8.targets()
    body = report_body(item_8)
    body["values"][0].update(numerator=12, denominator=10)
    api = token_client(community_one_staff)

    response = api.post("/api/v1/reports/", body, format="json")

    assert response.status_code == 400
    assert response.json() == {f"values.{target.pk}.numerator": ["分子(12)不能大于分母(10)。"]}
    assert not ProgressReport.objects.exists()
    assert not TargetValue.objects.exists()

    # The filing page says the same words about the same figures.
    client.force_login(community_one_staff)
    data = {
        name: value
        for name, value in form_data(client.get(JULY)).items()
        if name.startswith(f"a{item_8.pk}-")
    }
    data.update(
        {
            field(item_8, target, "numerator"): "12",
            field(item_8, target, "denominator"): "10",
            field(item_8, target, "denominator_reason"): "按实际统计",
            f"a{item_8.pk}-status": "in_progress",
            "action": "save",
        }
    )
    page = client.post(f"/workspace/items/{item_8.pk}/?year=2017&month=7", data)
    assert page.status_code == 400
    assert [message for *_, message in page.context["error_summary"]] == [
        "分子(12)不能大于分母(10)。"
    ]


def test_a_type_error_and_a_missing_reason_are_said_at_their_fields(
    item_8: Assignment, community_one_staff: User, august_3rd_2017: Any
) -> None:
    [target] = item_8.targets()
    body = report_body(item_8, status="lagging", narrative="")
    body["values"][0].update(numerator="八", denominator=10, denominator_reason="")
    response = token_client(community_one_staff).post("/api/v1/reports/", body, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert errors[f"values.{target.pk}.numerator"] == ["输入整数。"]
    assert errors[f"values.{target.pk}.denominator_reason"] == [
        "分母(10)与登记数(2)不同,请写明原因。"
    ]
    assert errors["narrative"] == ["进展滞后时,请说明原因和下一步措施。"]
    assert not ProgressReport.objects.exists()


def test_a_target_of_another_item_is_refused(
    world: Checklist,
    item_8: Assignment,
    community_one: Community,
    community_one_staff: User,
    august_3rd_2017: Any,
) -> None:
    [other] = assignment_of(world, 1, community_one).targets()
    body = report_body(item_8)
    body["values"].append({"target": other.pk, "is_done": True})
    response = token_client(community_one_staff).post("/api/v1/reports/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"values": [f"指标 {other.pk} 不属于这项任务。"]}
    assert not ProgressReport.objects.exists()


def test_the_history_names_the_token_s_user_and_the_security_log_each_write(
    item_8: Assignment,
    community_one_staff: User,
    august_3rd_2017: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = token_client(community_one_staff)
    with caplog.at_level(logging.INFO, logger="yijia.security"):
        report = api.post("/api/v1/reports/", report_body(item_8), format="json").json()
        api.post(f"/api/v1/reports/{report['id']}/submit/", {}, format="json")

    stored = ProgressReport.objects.get(pk=report["id"])
    assert {row.history_user for row in stored.history.all()} == {community_one_staff}
    [value] = stored.values.all()
    assert value.history.get().history_user == community_one_staff
    writes = [r for r in caplog.records if r.getMessage().startswith("api_write")]
    assert [r.getMessage().split(" path=")[0] for r in writes] == [
        "api_write user=one ip=127.0.0.1"
    ] * 2
    assert "action=create status=201" in writes[0].getMessage()
    assert f"action=submit status=200 report={report['id']}" in writes[1].getMessage()


def test_a_report_changed_since_it_was_read_is_refused_with_409(
    item_8: Assignment, community_one_staff: User, august_3rd_2017: Any
) -> None:
    api = token_client(community_one_staff)
    report = api.post("/api/v1/reports/", report_body(item_8), format="json").json()
    body = {"status": "in_progress", "narrative": "第二次", "values": report_body(item_8)["values"]}

    first = api.put(f"/api/v1/reports/{report['id']}/", body | {"version": 1}, format="json")
    stale = api.put(
        f"/api/v1/reports/{report['id']}/", body | {"narrative": "x", "version": 1}, format="json"
    )  # noqa: E501
    again = api.post("/api/v1/reports/", report_body(item_8), format="json")  # no version

    assert first.status_code == 200
    assert first.json()["version"] == 2
    assert stale.status_code == again.status_code == 409
    assert "已被他人修改或提交" in stale.json()["detail"]
    assert ProgressReport.objects.get().narrative == "第二次"


def test_a_submission_with_targets_unfilled_is_refused_in_the_service_s_words(
    item_8: Assignment, community_one_staff: User, august_3rd_2017: Any
) -> None:
    api = token_client(community_one_staff)
    report = api.post("/api/v1/reports/", report_body(item_8, values=[]), format="json").json()
    response = api.post(f"/api/v1/reports/{report['id']}/submit/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["指标“业委会组建率”未填写"]}
    assert ProgressReport.objects.get().workflow_state == "draft"


def test_an_archived_year_refuses_every_write(
    world: Checklist,
    item_8: Assignment,
    community_one_staff: User,
    street_admin: User,
    august_3rd_2017: Any,
) -> None:
    api = token_client(community_one_staff)
    report = api.post("/api/v1/reports/", report_body(item_8), format="json").json()
    checklist_archive(checklist=world, by=street_admin)

    changed = api.put(
        f"/api/v1/reports/{report['id']}/",
        {"status": "in_progress", "narrative": "归档后", "version": report["version"]},
        format="json",
    )
    submitted = api.post(f"/api/v1/reports/{report['id']}/submit/", {}, format="json")
    created = api.post("/api/v1/reports/", report_body(item_8, month=8), format="json")

    for response in (changed, submitted, created):
        assert response.status_code == 400
        assert response.json() == {"non_field_errors": ["该年度清单已归档,只能查看。"]}
    assert ProgressReport.objects.get().narrative == "已走访各小区。"
    assert ProgressReport.objects.count() == 1
    # Reading goes on.
    assert api.get(f"/api/v1/reports/{report['id']}/").status_code == 200


def test_the_lead_unit_approves_or_returns_through_the_api(
    world: Checklist,
    item_8: Assignment,
    community_one_staff: User,
    housing_staff: User,
    august_3rd_2017: Any,
) -> None:
    filed = token_client(community_one_staff).post(
        "/api/v1/reports/", report_body(item_8, submit=True), format="json"
    )
    pk = filed.json()["id"]
    reviewer = token_client(housing_staff)

    unexplained = reviewer.post(f"/api/v1/reports/{pk}/return/", {"comment": ""}, format="json")
    assert unexplained.status_code == 400
    assert unexplained.json() == {"comment": ["退回时请写明需要修改的内容。"]}

    returned = reviewer.post(f"/api/v1/reports/{pk}/return/", {"comment": "请补充"}, format="json")
    assert returned.status_code == 200
    assert returned.json()["workflow_state"] == "returned"
    assert returned.json()["review_comment"] == "请补充"

    token_client(community_one_staff).post(f"/api/v1/reports/{pk}/submit/", {}, format="json")
    approved = reviewer.post(f"/api/v1/reports/{pk}/approve/", {}, format="json")
    assert approved.status_code == 200
    assert approved.json()["workflow_state"] == "approved"
    assert ProgressReport.objects.get(pk=pk).reviewed_by == housing_staff


def test_the_browser_s_session_writes_only_with_the_csrf_token(
    item_8: Assignment, community_one_staff: User, august_3rd_2017: Any
) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(community_one_staff)
    assert browser.get("/api/v1/reports/").status_code == 200

    refused = browser.post("/api/v1/reports/", report_body(item_8), content_type="application/json")
    assert refused.status_code == 403
    assert not ProgressReport.objects.exists()

    browser.get("/workspace/")  # a page sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    accepted = browser.post(
        "/api/v1/reports/",
        report_body(item_8),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert accepted.status_code == 201, accepted.content
