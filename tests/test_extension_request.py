"""A community that cannot file a month in time asks the item's lead unit for a later
deadline; once granted, the new date is the one lateness is judged by."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from communities.models import Community
from tasks.models import Assignment, Checklist, DeadlineExtension, ProgressReport
from tasks.services import extension_decide
from tests.conftest import assignment_of
from tests.filing import JULY, file_report, time_travel

EXTENSION = "/workspace/extension/"


@pytest.fixture
def item_8(world: Checklist, community_one: Community) -> Assignment:
    """Community one's assignment of item 8, led by 房管所."""
    return assignment_of(world, 8, community_one)


def ask(
    client: Client,
    assignment: Assignment,
    *,
    until: str = "2017-08-10",
    reason: str = "两个小区业委会换届,数据下周才能核实",
    year: int = 2017,
    month: int = 7,
) -> Any:
    return client.post(
        EXTENSION,
        {
            "assignment": assignment.pk,
            "requested_deadline": until,
            "reason": reason,
            "year": year,
            "month": month,
        },
        follow=True,
    )


def row_of(response: Any, assignment: Assignment) -> dict[str, Any]:
    [row] = [
        row
        for rows in response.context["groups"].values()
        for row in rows
        if row["assignment"] == assignment
    ]
    return row


def test_community_staff_ask_for_an_extension_and_see_it_pending_on_the_page(
    client: Client, item_8: Assignment, community_one_staff: User, august_3rd_2017: Any
) -> None:
    client.force_login(community_one_staff)

    response = ask(client, item_8)

    assert response.redirect_chain == [(f"{JULY}#extension", 302)]
    page = response.content.decode()
    assert "延期申请已提交,等待牵头单位审批。" in page
    extension = DeadlineExtension.objects.get()
    assert (extension.assignment, extension.year, extension.month) == (item_8, 2017, 7)
    assert extension.requested_deadline == datetime.date(2017, 8, 10)
    assert extension.state == DeadlineExtension.State.PENDING
    assert extension.requested_by == community_one_staff
    assert "延期申请:8月10日(待审批)" in page
    # Until the lead unit grants it, the deadline stays the checklist's (Saturday 5 August's
    # filing day moved to Monday 7).
    assert row_of(response, item_8)["deadline"] == item_8.item.checklist.filing_deadline(2017, 7)


REFUSALS: dict[str, tuple[dict[str, Any], str]] = {
    # July's filing day, Saturday 5 August, moves to Monday 7 August.
    "the current deadline itself": ({"until": "2017-08-07"}, "申请的日期须晚于现在的截止日期。"),
    "the filing day before it moved": ({"until": "2017-08-05"}, "申请的日期须晚于现在的截止日期。"),
    "a date before the deadline": ({"until": "2017-08-01"}, "申请的日期须晚于现在的截止日期。"),
    "no date": ({"until": ""}, "请选择申请延至的日期。"),
    "an empty reason": ({"reason": "   "}, "请写明申请延期的理由。"),
    "a year no checklist can have": ({"year": 99999}, "确保该值小于或等于2100。"),
}


@pytest.mark.parametrize("refusal", list(REFUSALS), ids=list(REFUSALS))
def test_a_request_without_a_later_date_or_a_reason_is_refused(
    refusal: str,
    client: Client,
    item_8: Assignment,
    community_one_staff: User,
    august_3rd_2017: Any,
) -> None:
    changes, message = REFUSALS[refusal]
    client.force_login(community_one_staff)

    response = ask(client, item_8, **changes)

    assert response.redirect_chain[0][1] == 302
    assert f"延期申请未提交:{message}" in response.content.decode()
    assert not DeadlineExtension.objects.exists()


def test_a_second_pending_request_for_the_same_month_is_refused(
    client: Client,
    june_owed: Checklist,
    world: Checklist,
    community_one: Community,
    item_8: Assignment,
    community_one_staff: User,
    august_3rd_2017: Any,
) -> None:
    client.force_login(community_one_staff)
    ask(client, item_8)

    response = ask(client, item_8, until="2017-08-12")

    assert "延期申请未提交:该月已有一份待审批的延期申请。" in response.content.decode()
    assert DeadlineExtension.objects.get().requested_deadline == datetime.date(2017, 8, 10)
    # Another item, or another month, is a request of its own.
    ask(client, assignment_of(world, 7, community_one))
    ask(client, item_8, until="2017-07-10", month=6)
    assert DeadlineExtension.objects.pending().count() == 3


def test_another_community_s_assignment_is_refused(
    client: Client,
    world: Checklist,
    community_two: Community,
    community_one_staff: User,
    august_3rd_2017: Any,
) -> None:
    client.force_login(community_one_staff)

    response = ask(client, assignment_of(world, 8, community_two))

    assert "延期申请未提交:只能为您负责填报的任务申请延期。" in response.content.decode()
    assert not DeadlineExtension.objects.exists()


def test_a_granted_extension_moves_the_deadline_and_a_report_filed_before_it_is_not_late(
    client: Client,
    world: Checklist,
    community_one: Community,
    item_8: Assignment,
    community_one_staff: User,
    housing_staff: User,
    august_3rd_2017: Any,
) -> None:
    item_7 = assignment_of(world, 7, community_one)
    client.force_login(community_one_staff)
    ask(client, item_8, until="2017-08-10")
    ask(client, item_7, until="2017-08-10")
    granted, refused = (
        DeadlineExtension.objects.get(assignment=item_8),
        DeadlineExtension.objects.get(assignment=item_7),
    )
    extension_decide(extension=granted, by=housing_staff, grant=True, comment="同意")
    extension_decide(extension=refused, by=housing_staff, grant=False, comment="请按时报送")

    response = client.get(JULY)
    assert row_of(response, item_8)["deadline"] == datetime.date(2017, 8, 10)
    assert row_of(response, item_7)["deadline"] == world.filing_deadline(2017, 7)
    page = response.content.decode()
    assert "截止 8月10日" in page
    assert "延期申请:8月10日(已批准)" in page
    assert "延期申请:8月10日(未批准)" in page

    # Both are first submitted on 8 August, after the filing day, before the new date.
    with time_travel(2017, 8, 8):
        file_report(item_8, community_one_staff, submit=True)
        file_report(item_7, community_one_staff, submit=True)
    on_time = ProgressReport.objects.get(assignment=item_8, month=7)
    late = ProgressReport.objects.get(assignment=item_7, month=7)
    assert not on_time.is_late(datetime.date(2017, 8, 31))
    assert late.is_late(datetime.date(2017, 8, 31))

    # The new date is a deadline too: a report first submitted after it is late.
    item_6 = assignment_of(world, 6, community_one)
    ask(client, item_6, until="2017-08-10")
    extension_decide(
        extension=DeadlineExtension.objects.get(assignment=item_6), by=housing_staff, grant=True
    )
    with time_travel(2017, 8, 11):
        file_report(item_6, community_one_staff, submit=True)
    assert ProgressReport.objects.get(assignment=item_6, month=7).is_late(
        datetime.date(2017, 8, 31)
    )
