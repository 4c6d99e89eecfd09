"""批量通过: a lead unit ticks submitted reports in the queue, confirms them on a page that
lists their verdicts, and each is approved on its own; a report the user may not review
refuses the whole request."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import time_machine
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.test import Client

from communities.models import Community
from tasks.models import Checklist, ProgressReport, ReportTransition
from tasks.services import progress_report_approve
from tests.filing import file_item_report as file_report

State = ProgressReport.WorkflowState
QUEUE = "/review/?state=submitted&item="


@pytest.fixture
def reports(
    world: Checklist,
    june_owed: Checklist,
    community_one: Community,
    community_two: Community,
    community_one_staff: User,
    community_two_staff: User,
    august_3rd_2017: time_machine.Traveller,
) -> dict[str, ProgressReport]:
    """July: both communities submit item 8 (房管所 leads it), community one item 9 (街道联席办)
    and item 1 (社区党建办); June: community one submitted item 8."""
    return {
        "one_8": file_report(world, 8, community_one, community_one_staff),
        "two_8": file_report(world, 8, community_two, community_two_staff),
        "one_9": file_report(world, 9, community_one, community_one_staff),
        "one_1": file_report(world, 1, community_one, community_one_staff),
        "one_8_june": file_report(world, 8, community_one, community_one_staff, month=6),
    }


def _states(*reports: ProgressReport) -> list[str]:
    return [ProgressReport.objects.get(pk=report.pk).workflow_state for report in reports]


def test_the_queue_offers_a_checkbox_for_each_report_the_unit_may_approve(
    client: Client, reports: dict[str, ProgressReport], housing_staff: User
) -> None:
    client.force_login(housing_staff)
    page = client.get("/review/").content.decode()

    assert 'action="/review/approve/"' in page
    assert "批量通过所选月报" in page
    for key in ("one_8", "two_8", "one_8_june"):
        assert f'name="reports" value="{reports[key].pk}" form="bulk-approve"' in page


def test_the_confirmation_lists_party_item_month_and_verdicts_then_approves_each(
    client: Client, reports: dict[str, ProgressReport], housing_staff: User
) -> None:
    client.force_login(housing_staff)
    item_8 = reports["one_8"].assignment.item_id
    back = f"{QUEUE}{item_8}"
    chosen = [str(reports["one_8"].pk), str(reports["two_8"].pk)]

    confirmation = client.get("/review/approve/", {"reports": chosen, "next": back})

    assert confirmation.status_code == 200
    page = confirmation.content.decode()
    assert "示例社区一" in page and "示例社区二" in page
    assert "2017年7月" in page
    assert "业委会组建率" in page and "推进中" in page  # the target and its verdict
    assert page.count('name="reports"') == 2
    assert "确认通过 2 份月报" in page
    assert [row.report.pk for row in confirmation.context["rows"]] == [
        reports["one_8"].pk,
        reports["two_8"].pk,
    ]

    response = client.post(
        "/review/approve/", {"reports": chosen, "comment": "材料齐全", "next": back}
    )

    assert response.status_code == 302
    assert response["Location"] == back  # the queue, still filtered
    assert _states(reports["one_8"], reports["two_8"]) == [State.APPROVED, State.APPROVED]
    assert ProgressReport.objects.get(pk=reports["one_8"].pk).review_comment == "材料齐全"
    assert _states(reports["one_8_june"]) == [State.SUBMITTED]
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("已审核通过 2 份月报:")
    assert "8 · 示例社区一 · 2017年7月" in message and "8 · 示例社区二 · 2017年7月" in message


def test_a_report_that_fails_is_named_and_the_others_are_still_approved(
    client: Client, reports: dict[str, ProgressReport], housing_staff: User
) -> None:
    client.force_login(housing_staff)
    chosen = [str(reports[key].pk) for key in ("one_8", "two_8", "one_8_june")]
    # June's is approved by a colleague while the confirmation page is open.
    progress_report_approve(report=reports["one_8_june"], by=housing_staff)

    response = client.post("/review/approve/", {"reports": chosen, "comment": ""})

    assert response["Location"] == "/review/"
    assert _states(reports["one_8"], reports["two_8"]) == [State.APPROVED, State.APPROVED]
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said[0].startswith("已审核通过 2 份月报:")
    assert said[1].startswith("以下 1 份月报未通过:8 · 示例社区一 · 2017年6月")
    assert "已被他人修改或提交" in said[1]
    # Approved once, not twice.
    assert (
        ReportTransition.objects.filter(
            report=reports["one_8_june"], to_state=State.APPROVED
        ).count()
        == 1
    )


def test_the_confirmation_sets_aside_a_report_no_longer_waiting(
    client: Client, reports: dict[str, ProgressReport], housing_staff: User
) -> None:
    client.force_login(housing_staff)
    progress_report_approve(report=reports["one_8_june"], by=housing_staff)
    response = client.get(
        "/review/approve/", {"reports": [reports["one_8"].pk, reports["one_8_june"].pk]}
    )

    assert [row.report.pk for row in response.context["rows"]] == [reports["one_8"].pk]
    page = response.content.decode()
    assert "不能批量通过" in page
    assert "当前状态为“已审核”,不是待审核。" in page
    assert page.count('name="reports"') == 1


def test_a_report_the_user_may_see_but_not_review_refuses_the_whole_request(
    client: Client, reports: dict[str, ProgressReport], street_admin: User
) -> None:
    # The street admin sees every report and reviews item 9 (街道联席办), not item 8.
    client.force_login(street_admin)
    chosen = [str(reports["one_9"].pk), str(reports["one_8"].pk)]

    assert client.get("/review/approve/", {"reports": chosen}).status_code == 403
    response = client.post("/review/approve/", {"reports": chosen, "comment": ""})

    assert response.status_code == 403
    assert "8 · 示例社区一 · 2017年7月" in response.content.decode()
    assert _states(reports["one_9"], reports["one_8"]) == [State.SUBMITTED, State.SUBMITTED]


def test_a_report_the_user_may_not_see_refuses_the_whole_request(
    client: Client, reports: dict[str, ProgressReport], housing_staff: User
) -> None:
    # Item 1 is 社区党建办's: 房管所 does not see its reports.
    client.force_login(housing_staff)
    chosen = [str(reports["one_8"].pk), str(reports["one_1"].pk)]

    response = client.post("/review/approve/", {"reports": chosen, "comment": ""})

    assert response.status_code == 404
    assert _states(reports["one_8"], reports["one_1"]) == [State.SUBMITTED, State.SUBMITTED]


def test_bad_input_is_answered_in_chinese(
    client: Client, reports: dict[str, ProgressReport], housing_staff: User
) -> None:
    client.force_login(housing_staff)

    nothing = client.get("/review/approve/", {"next": "/review/?state=submitted"})
    assert nothing["Location"] == "/review/?state=submitted"
    assert [str(m) for m in get_messages(nothing.wsgi_request)] == ["请先勾选要批量通过的月报。"]
    assert client.get("/review/approve/", {"reports": "abc"}).status_code == 404

    elsewhere = client.get(
        "/review/approve/", {"reports": str(reports["one_8"].pk), "next": "https://example.com/"}
    )
    assert 'href="/review/"' in elsewhere.content.decode()  # never another host

    too_long = client.post(
        "/review/approve/", {"reports": [reports["one_8"].pk], "comment": "好" * 2001}
    )
    assert too_long.status_code == 400
    assert "2000" in too_long.content.decode()
    assert _states(reports["one_8"]) == [State.SUBMITTED]


def test_a_decision_on_one_report_comes_back_to_the_filtered_queue_link(
    client: Client, reports: dict[str, ProgressReport], housing_staff: User
) -> None:
    """The confirmation's links to each report carry the queue's filters too."""
    client.force_login(housing_staff)
    back = f"{QUEUE}{reports['one_8'].assignment.item_id}"
    page = client.get(
        "/review/approve/", {"reports": [str(reports["one_8"].pk)], "next": back}
    ).content.decode()
    assert f'href="/reports/{reports["one_8"].pk}/?next={quote(back, safe="/")}"' in page


def test_no_checkbox_for_what_the_user_may_only_read(
    client: Client, reports: dict[str, ProgressReport], housing_staff: User, leader: User
) -> None:
    progress_report_approve(report=reports["one_8_june"], by=housing_staff)
    client.force_login(housing_staff)
    page = client.get("/review/", {"state": ""}).content.decode()
    assert f'name="reports" value="{reports["one_8"].pk}"' in page
    assert f'name="reports" value="{reports["one_8_june"].pk}"' not in page  # approved

    client.force_login(leader)  # reads every report, reviews none
    page = client.get("/review/").content.decode()
    assert 'name="reports"' not in page
    assert "批量通过所选月报" not in page
