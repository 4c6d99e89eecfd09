"""The review queue (/review/): a lead unit's submitted reports and pending extension
requests; leadership and the street admin read it; community staff have no queue."""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from communities.models import Community
from communities.roles import Role
from tasks.models import Checklist, DeadlineExtension, ProgressReport
from tasks.services import assignments_generate, extension_request, progress_report_approve
from tests.filing import file_item_report as file_report

from .conftest import SHANGHAI, _person, assignment_of


def _queued(response: object) -> set[tuple[int, str, int]]:
    """(item number, party, month) of the queue's rows."""
    return {
        (row.report.assignment.item.number, str(row.report.assignment.party), row.report.month)
        for row in response.context["rows"]  # type: ignore[attr-defined]
    }


@pytest.fixture
def reports(
    world: Checklist,
    june_owed: Checklist,
    community_one: Community,
    community_two: Community,
    community_one_staff: User,
    community_two_staff: User,
    housing_staff: User,
    august_3rd_2017: time_machine.Traveller,
) -> dict[str, ProgressReport]:
    """July: community one submits items 8 (房管所) and 1 (社区党建办), keeps item 18 as a
    draft and has item 7 approved; community two submits item 18; June: community one
    submitted item 8."""
    return {
        "one_8": file_report(world, 8, community_one, community_one_staff),
        "one_1": file_report(world, 1, community_one, community_one_staff),
        "one_18_draft": file_report(world, 18, community_one, community_one_staff, submit=False),
        "one_7_approved": progress_report_approve(
            report=file_report(world, 7, community_one, community_one_staff), by=housing_staff
        ),
        "two_18": file_report(world, 18, community_two, community_two_staff),
        "one_8_june": file_report(world, 8, community_one, community_one_staff, month=6),
    }


def test_a_lead_unit_sees_the_submitted_reports_of_the_items_it_leads_and_no_others(
    client: Client, reports: dict[str, ProgressReport], housing_staff: User
) -> None:
    client.force_login(housing_staff)
    response = client.get("/review/")

    assert response.status_code == 200
    # Not item 1 (社区党建办 leads it), not the draft, not the approved report (default 待审核).
    assert _queued(response) == {(8, "示例社区一", 7), (18, "示例社区二", 7), (8, "示例社区一", 6)}
    page = response.content.decode()
    assert "辖区内符合成立条件的住宅小区" in page  # item 8's text, truncated
    assert "业委会组建率" in page and "推进中" in page  # the target and its verdict
    assert "8月3日 10:00" in page  # submitted
    # The report opens with the way back to the queue as it is filtered.
    assert f'href="/reports/{reports["one_8"].pk}/?next=/review/"' in page
    assert all(row.report.may_review for row in response.context["rows"])


def test_the_queue_marks_reports_filed_after_their_deadline(
    client: Client,
    world: Checklist,
    community_two: Community,
    community_two_staff: User,
    housing_staff: User,
    reports: dict[str, ProgressReport],
    august_3rd_2017: time_machine.Traveller,
) -> None:
    august_3rd_2017.move_to(datetime.datetime(2017, 8, 9, 9, 0, tzinfo=SHANGHAI))
    late = file_report(world, 8, community_two, community_two_staff)
    client.force_login(housing_staff)
    rows = {row.report.pk: row.late for row in client.get("/review/").context["rows"]}

    assert rows[late.pk] is True
    assert rows[reports["one_8"].pk] is False  # filed on 3 August, due on the 5th
    assert rows[reports["one_8_june"].pk] is True  # June's was due on 5 July


def test_filters_narrow_the_queue(
    client: Client, reports: dict[str, ProgressReport], housing_staff: User
) -> None:
    client.force_login(housing_staff)
    item_8 = reports["one_8"].assignment.item
    community_one = reports["one_8"].assignment.community
    assert community_one is not None

    def queued(**filters: str | int) -> set[tuple[int, str, int]]:
        response = client.get("/review/", filters)
        assert response.status_code == 200
        return _queued(response)

    assert queued(state="") == {
        (8, "示例社区一", 7),
        (8, "示例社区一", 6),
        (7, "示例社区一", 7),
        (18, "示例社区二", 7),
    }
    assert queued(state="approved") == {(7, "示例社区一", 7)}
    assert queued(state="submitted", item=item_8.pk) == {(8, "示例社区一", 7), (8, "示例社区一", 6)}
    assert queued(state="submitted", party=f"community-{community_one.pk}") == {
        (8, "示例社区一", 7),
        (8, "示例社区一", 6),
    }
    assert queued(state="submitted", year=2017, month=6) == {(8, "示例社区一", 6)}
    assert queued(state="", month=7, item=item_8.pk) == {(8, "示例社区一", 7)}


def test_the_filters_offer_only_what_the_unit_reviews(
    client: Client, reports: dict[str, ProgressReport], housing_staff: User
) -> None:
    client.force_login(housing_staff)
    response = client.get("/review/")
    items = {item.number for item in response.context["form"].fields["item"].queryset}
    assert {7, 8, 18} <= items
    assert 1 not in items

    item_1 = reports["one_1"].assignment.item
    response = client.get("/review/", {"state": "submitted", "item": str(item_1.pk)})
    assert "选择一个有效的选项" in response.content.decode()
    assert (1, "示例社区一", 7) not in _queued(response)


def test_community_staff_have_no_review_queue(
    client: Client, reports: dict[str, ProgressReport], community_one_staff: User
) -> None:
    client.force_login(community_one_staff)
    assert client.get("/review/").status_code == 403


def test_a_leader_reads_every_submitted_report_without_buttons(
    client: Client,
    reports: dict[str, ProgressReport],
    leader: User,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
) -> None:
    extension_request(
        assignment=assignment_of(world, 8, community_one),
        year=2017,
        month=8,
        requested_deadline=datetime.date(2017, 9, 15),
        reason="人手不足",
        by=community_one_staff,
    )
    client.force_login(leader)
    response = client.get("/review/")

    assert response.status_code == 200
    assert _queued(response) == {
        (8, "示例社区一", 7),
        (8, "示例社区一", 6),
        (1, "示例社区一", 7),
        (18, "示例社区二", 7),
    }
    assert not any(row.report.may_review for row in response.context["rows"])
    assert [extension.may_decide for extension, _ in response.context["extensions"]] == [False]
    page = response.content.decode()
    assert "人手不足" in page
    assert "/decide/" not in page


def test_the_street_admin_decides_extensions_only_on_the_items_its_unit_leads(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    street_admin: User,
    august_3rd_2017: time_machine.Traveller,
) -> None:
    # 街道联席办 leads item 9 (业委会成员轮训), not item 8.
    requests = {
        number: extension_request(
            assignment=assignment_of(world, number, community_one),
            year=2017,
            month=7,
            requested_deadline=datetime.date(2017, 8, 20),
            reason=f"第{number}项来不及",
            by=community_one_staff,
        )
        for number in (8, 9)
    }
    client.force_login(street_admin)
    response = client.get("/review/")

    decidable = {
        extension.pk: extension.may_decide for extension, _ in response.context["extensions"]
    }
    assert decidable == {requests[8].pk: False, requests[9].pk: True}
    page = response.content.decode()
    assert f"/extensions/{requests[9].pk}/decide/" in page
    assert f"/extensions/{requests[8].pk}/decide/" not in page
    deadline = world.filing_deadline(2017, 7)  # Saturday 5 August moved to Monday 7
    # The deadline now and the one asked for.
    assert f"{deadline.month}月{deadline.day}日 → <strong>8月20日" in page


def test_a_lead_unit_decides_the_pending_extensions_on_its_items_from_the_queue(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    housing_staff: User,
    august_3rd_2017: time_machine.Traveller,
) -> None:
    on_8 = extension_request(
        assignment=assignment_of(world, 8, community_one),
        year=2017,
        month=7,
        requested_deadline=datetime.date(2017, 8, 20),
        reason="台风",
        by=community_one_staff,
    )
    extension_request(
        assignment=assignment_of(world, 1, community_one),
        year=2017,
        month=7,
        requested_deadline=datetime.date(2017, 8, 20),
        reason="党建办的任务",
        by=community_one_staff,
    )
    client.force_login(housing_staff)
    response = client.get("/review/")

    assert [extension.pk for extension, _ in response.context["extensions"]] == [on_8.pk]
    assert "党建办的任务" not in response.content.decode()
    client.post(f"/extensions/{on_8.pk}/decide/", {"grant": "1", "comment": ""})
    assert DeadlineExtension.objects.get(pk=on_8.pk).state == DeadlineExtension.State.GRANTED
    assert client.get("/review/").context["extensions"] == []


def test_the_queue_shows_fifty_reports_a_page(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_two: Community,
    community_one_staff: User,
    community_two_staff: User,
    leader: User,
    august_3rd_2017: time_machine.Traveller,
) -> None:
    for number in [*range(1, 15), *range(16, 28)]:  # item 15 is for two units
        file_report(world, number, community_one, community_one_staff)
        file_report(world, number, community_two, community_two_staff)
    client.force_login(leader)

    first = client.get("/review/")
    second = client.get("/review/", {"state": "submitted", "page": "2"})

    assert first.context["page"].paginator.count == 52
    assert len(first.context["rows"]) == 50
    assert len(second.context["rows"]) == 2
    assert 'href="?page=2"' in first.content.decode()
    assert "第 1 / 2 页" in first.content.decode()


def _more_communities(world: Checklist, count: int) -> list[tuple[Community, User]]:
    """Extra communities with their assignments and one member of staff each."""
    extra = []
    for number in range(count):
        community = Community.objects.create(name=f"新增社区{number}", order=10 + number)
        extra.append(
            (community, _person(f"staff{number}", Role.COMMUNITY_STAFF, community=community))
        )
    assignments_generate(checklist=world)
    return extra


def test_the_queue_needs_the_same_queries_for_any_number_of_communities(
    client: Client,
    world: Checklist,
    reports: dict[str, ProgressReport],
    community_one: Community,
    community_one_staff: User,
    housing_staff: User,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    extension_request(
        assignment=assignment_of(world, 8, community_one),
        year=2017,
        month=6,
        requested_deadline=datetime.date(2017, 7, 20),
        reason="六月材料未齐",
        by=community_one_staff,
    )
    client.force_login(housing_staff)
    # session, user; permissions of the user and of their groups (sees everything?);
    # reviews anything?; filter choices: communities, units, the checklists of the period
    # select (items when the form is drawn); the items the queue covers, page count (up to
    # 251), the page's report ids in the queue's order, the page's reports, their
    # assignments (with item, party and whether the user's unit leads it); prefetched
    # targets, evidence requirements, lead units, extensions, values, evidence,
    # transitions; pending extension requests, their assignments' extensions; header:
    # memberships, role names, unread messages; the session saved (savepoint, update,
    # release).
    expected = 29
    with django_assert_max_num_queries(expected):
        assert len(client.get("/review/").context["rows"]) == 3

    for community, staff in _more_communities(world, 4):
        for number in (7, 8, 18, 20):
            file_report(world, number, community, staff)
        extension_request(
            assignment=assignment_of(world, 21, community),
            year=2017,
            month=7,
            requested_deadline=datetime.date(2017, 8, 20),
            reason="来不及",
            by=staff,
        )
    client.force_login(housing_staff)
    with django_assert_max_num_queries(expected):
        response = client.get("/review/")
    assert len(response.context["rows"]) == 3 + 16
    assert len(response.context["extensions"]) == 5


def test_the_street_admin_s_queue_needs_the_same_queries_for_any_number_of_communities(
    client: Client,
    world: Checklist,
    reports: dict[str, ProgressReport],
    street_admin: User,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    client.force_login(street_admin)
    # as for a lead unit (the street admin is 街道联席办 staff and reviews its items), less
    # the extensions of pending requests' assignments: there are no pending requests
    expected = 28
    with django_assert_max_num_queries(expected):
        client.get("/review/", {"state": "", "mine": ""})

    for community, staff in _more_communities(world, 4):
        for number in (1, 8, 9):
            file_report(world, number, community, staff)
    client.force_login(street_admin)
    with django_assert_max_num_queries(expected):
        response = client.get("/review/", {"state": ""})
    assert response.context["page"].paginator.count == 5 + 12


# ---------------------------------------------------------------------------------------
# Decisions keep the queue's filters and move on to the next report


def _queue_link(response: object) -> str:
    return response["Location"]  # type: ignore[index]


def test_after_approving_the_next_report_of_the_filtered_queue_opens(
    client: Client, reports: dict[str, ProgressReport], housing_staff: User
) -> None:
    client.force_login(housing_staff)
    item_8 = reports["one_8"].assignment.item_id
    back = f"/review/?state=submitted&item={item_8}"
    encoded = urlencode({"next": back})

    page = client.get(f"/reports/{reports['one_8'].pk}/", {"next": back}).content.decode()
    # 下一份: June's report of item 8 (item 18 of community two is filtered out).
    assert f'href="/reports/{reports["one_8_june"].pk}/?{encoded.replace("&", "&amp;")}"' in page
    assert "下一份" in page
    assert f'name="next" value="{back.replace("&", "&amp;")}"' in page

    response = client.post(
        f"/reports/{reports['one_8'].pk}/approve/", {"comment": "", "next": back}
    )
    assert response.status_code == 302
    assert _queue_link(response) == f"/reports/{reports['one_8_june'].pk}/?{encoded}"
    assert "已审核通过" in client.get(_queue_link(response)).content.decode()

    # The last one of the filtered queue leads back to the queue, filters kept.
    response = client.post(
        f"/reports/{reports['one_8_june'].pk}/approve/", {"comment": "", "next": back}
    )
    assert _queue_link(response) == back
    queue = client.get(back)
    assert queue.context["form"].cleaned_data["item"].pk == item_8
    assert "这是筛选结果中的最后一份月报。" in queue.content.decode()
    assert _queued(queue) == set()


def test_after_returning_the_queue_comes_back_with_its_filters(
    client: Client, reports: dict[str, ProgressReport], housing_staff: User
) -> None:
    client.force_login(housing_staff)
    community_two = reports["two_18"].assignment.community
    assert community_two is not None
    back = f"/review/?state=submitted&party=community-{community_two.pk}"

    response = client.post(
        f"/reports/{reports['two_18'].pk}/return/", {"comment": "请补充照片", "next": back}
    )

    assert response.status_code == 302
    assert _queue_link(response) == back
    assert ProgressReport.objects.get(pk=reports["two_18"].pk).workflow_state == "returned"
    queue = client.get(back)
    assert queue.context["form"].cleaned_data["party"] == f"community-{community_two.pk}"


def test_the_next_report_follows_the_queue_s_order_past_a_skipped_one(
    client: Client, reports: dict[str, ProgressReport], housing_staff: User
) -> None:
    # The default queue (待审核): July item 8 of community one, July item 18 of community
    # two, June item 8. Returning the first leads to the second; approving the third ends it.
    client.force_login(housing_staff)
    order = [row.report.pk for row in client.get("/review/").context["rows"]]
    assert order == [reports["one_8"].pk, reports["two_18"].pk, reports["one_8_june"].pk]

    response = client.post(
        f"/reports/{reports['one_8'].pk}/return/", {"comment": "请补充", "next": "/review/"}
    )
    assert _queue_link(response) == f"/reports/{reports['two_18'].pk}/?next=%2Freview%2F"
    # The reviewer skips item 18 and decides June: the queue ends after it.
    response = client.post(
        f"/reports/{reports['one_8_june'].pk}/approve/", {"comment": "", "next": "/review/"}
    )
    assert _queue_link(response) == "/review/"


def test_a_rejected_decision_keeps_the_way_back(
    client: Client, reports: dict[str, ProgressReport], housing_staff: User
) -> None:
    client.force_login(housing_staff)
    back = "/review/?state=submitted"
    response = client.post(
        f"/reports/{reports['one_8'].pk}/return/", {"comment": " ", "next": back}
    )
    assert response.status_code == 400
    assert f'name="next" value="{back}"' in response.content.decode()


def test_a_next_address_on_another_host_is_ignored(
    client: Client, reports: dict[str, ProgressReport], housing_staff: User
) -> None:
    client.force_login(housing_staff)
    page = client.get(
        f"/reports/{reports['one_8'].pk}/", {"next": "https://evil.example/review/"}
    ).content.decode()
    # No link or form leads there (the language switch keeps the address as it was asked).
    assert 'href="https://evil.example' not in page
    assert 'name="next" value="https://evil.example' not in page
    assert 'name="next" value=""' in page
    response = client.post(
        f"/reports/{reports['one_8'].pk}/approve/",
        {"comment": "", "next": "https://evil.example/review/"},
    )
    assert _queue_link(response) == "/review/"


def test_an_extension_decision_comes_back_to_the_filtered_queue(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    housing_staff: User,
    reports: dict[str, ProgressReport],
) -> None:
    extension = extension_request(
        assignment=assignment_of(world, 8, community_one),
        year=2017,
        month=8,
        requested_deadline=datetime.date(2017, 9, 15),
        reason="台风",
        by=community_one_staff,
    )
    client.force_login(housing_staff)
    back = "/review/?state=approved"
    page = client.get(back).content.decode()
    assert 'name="next" value="/review/?state=approved"' in page
    response = client.post(
        f"/extensions/{extension.pk}/decide/", {"grant": "1", "comment": "", "next": back}
    )
    assert _queue_link(response) == back
