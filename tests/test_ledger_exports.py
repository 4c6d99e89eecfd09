"""The ledgers (台账) as xlsx downloads: by month, by item, by community. One row per
assignment × month, a missing month read as 未填报, lateness counted in days, formula-like
text written as text, only the rows and reports the user may see, and the same number of
queries however many rows."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import openpyxl
import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from communities.models import Community, Unit
from communities.roles import Role
from dashboards.ledger import ledger_filename
from tasks.models import Assignment, Checklist, DeadlineExtension, Item, ProgressReport
from tasks.services import (
    assignments_generate,
    extension_decide,
    extension_request,
    progress_report_approve,
    progress_report_return,
)
from tests.conftest import SHANGHAI, _person, assignment_of
from tests.filing import file_report, time_travel

pytestmark = pytest.mark.django_db

HEADERS = [
    "年度",
    "月份",
    "板块",
    "任务序号",
    "任务内容",
    "牵头单位",
    "责任单位",
    "进展状态",
    "流程状态",
    "指标完成情况",
    "进展情况",
    "截止日期",
    "首次提交时间",
    "是否按时",
    "审核人",
    "审核时间",
    "审核意见",
]
HYPERLINK = '=HYPERLINK("http://example.com","点我")'
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet_of(response: Any) -> Any:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == XLSX
    return openpyxl.load_workbook(io.BytesIO(response.content)).active


def rows_of(response: Any) -> list[dict[str, Any]]:
    """The ledger's rows as {header: value}; an empty cell is None."""
    sheet = sheet_of(response)
    headers = [cell.value for cell in sheet[1]]
    assert headers == HEADERS
    return [
        dict(zip(headers, (cell.value for cell in row), strict=True))
        for row in sheet.iter_rows(min_row=2)
    ]


def cell_time(text: str) -> datetime.datetime:
    """A date or time as a workbook holds it: Shanghai wall-clock time, with no zone."""
    return datetime.datetime.fromisoformat(text)


def row_for(rows: list[dict[str, Any]], number: int, party: str, month: int = 7) -> dict[str, Any]:
    [row] = [r for r in rows if (r["任务序号"], r["责任单位"], r["月份"]) == (number, party, month)]
    return row


@pytest.fixture
def july(
    world: Checklist,
    community_one: Community,
    community_two: Community,
    community_one_staff: User,
    community_two_staff: User,
    housing_staff: User,
) -> Iterator[dict[str, ProgressReport]]:
    """July 2017, due on Monday 7 August (the 5th is a Saturday). On 3 August community
    one submits item 8 (its narrative a formula), has item 7 approved (its narrative
    "-1+2") and item 18 returned, and keeps item 21 a draft; community two submits item 8
    on 9 August, two days late, and never files item 7. The test runs on 10 August."""
    with time_travel(2017, 8, 3):
        one_8 = file_report(
            assignment_of(world, 8, community_one),
            community_one_staff,
            submit=True,
            narrative=HYPERLINK,
        )
        one_7 = progress_report_approve(
            report=file_report(
                assignment_of(world, 7, community_one),
                community_one_staff,
                submit=True,
                narrative="-1+2",
            ),
            by=housing_staff,
            comment="材料齐全",
        )
        one_18 = progress_report_return(
            report=file_report(
                assignment_of(world, 18, community_one), community_one_staff, submit=True
            ),
            by=housing_staff,
            comment="请补充公示照片",
        )
        one_21 = file_report(
            assignment_of(world, 21, community_one), community_one_staff, narrative="草稿内容"
        )
    with time_travel(2017, 8, 9):
        two_8 = file_report(
            assignment_of(world, 8, community_two),
            community_two_staff,
            submit=True,
            narrative="补报",
        )
    with time_travel(2017, 8, 10):
        yield {"one_8": one_8, "one_7": one_7, "one_18": one_18, "one_21": one_21, "two_8": two_8}


def test_the_month_ledger_lists_every_assignment_with_its_report_or_its_absence(
    client: Client, july: dict[str, ProgressReport], street_admin: User, world: Checklist
) -> None:
    client.force_login(street_admin)
    response = client.get("/ledger/month/", {"year": "2017", "month": "7"})
    rows = rows_of(response)

    assert len(rows) == Assignment.objects.filter(item__checklist=world).count()
    assert {(row["年度"], row["月份"]) for row in rows} == {(2017, 7)}

    submitted = row_for(rows, 8, "示例社区一")
    assert submitted["板块"] == "宜居·共建"
    assert submitted["任务内容"] == Item.objects.get(checklist=world, number=8).text
    assert submitted["牵头单位"] == "房管所、社区自治办"
    assert submitted["进展状态"] == "推进中"
    assert submitted["流程状态"] == "已提交"
    assert submitted["指标完成情况"] == "业委会组建率: 80% (8/10) (推进中)"
    assert submitted["截止日期"] == cell_time("2017-08-07")
    assert submitted["首次提交时间"] == cell_time("2017-08-03 10:00")
    assert submitted["是否按时"] == "按时"
    assert submitted["审核人"] is None

    approved = row_for(rows, 7, "示例社区一")
    assert approved["流程状态"] == "已审核"
    assert approved["审核人"] == "housing"
    assert approved["审核时间"] == cell_time("2017-08-03 10:00")
    assert approved["审核意见"] == "材料齐全"

    returned = row_for(rows, 18, "示例社区一")
    assert returned["流程状态"] == "已退回"
    assert returned["审核意见"] == "请补充公示照片"
    assert returned["是否按时"] == "按时"  # the first submission counts

    # Due on Monday 7 August, submitted on Wednesday the 9th.
    late = row_for(rows, 8, "示例社区二")
    assert late["首次提交时间"] == cell_time("2017-08-09 10:00")
    assert late["是否按时"] == "逾期 2 天"

    missing = row_for(rows, 7, "示例社区二")
    assert missing["流程状态"] == "未填报"
    assert missing["进展状态"] is None and missing["进展情况"] is None
    assert missing["指标完成情况"] == "业委会规范运作率: — (未填报)"
    assert missing["是否按时"] == "逾期未报 3 天"  # 10 August, three days after the 7th

    draft = row_for(rows, 21, "示例社区一")
    assert draft["流程状态"] == "草稿"  # the street admin sees drafts
    assert draft["是否按时"] == "逾期未报 3 天"

    # 房管所 files item 15 itself: written with the unit's name.
    assert row_for(rows, 15, "房管所")["流程状态"] == "未填报"


def test_the_file_is_named_in_chinese_with_rfc_5987(
    client: Client, july: dict[str, ProgressReport], street_admin: User
) -> None:
    client.force_login(street_admin)
    response = client.get("/ledger/month/", {"year": "2017", "month": "7"})

    assert ledger_filename(year=2017, month=7) == "台账_2017年7月.xlsx"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''" + quote("台账_2017年7月.xlsx")
    )
    assert response["Cache-Control"] == "private, no-store"


def test_a_street_level_assignment_carries_its_suffix(
    client: Client, july: dict[str, ProgressReport], leader: User
) -> None:
    client.force_login(leader)
    rows = rows_of(client.get("/ledger/month/", {"year": "2017", "month": "7"}))

    street = row_for(rows, 14, "社区自治办(街道层面)")
    # Not filed, but its joint meeting is read from the meeting register: none in July.
    assert street["指标完成情况"] == "街道层面联席会议: 0/1 次 (滞后)"


def test_a_granted_extension_moves_the_deadline(
    client: Client,
    world: Checklist,
    community_two: Community,
    community_two_staff: User,
    housing_staff: User,
    street_admin: User,
) -> None:
    assignment = assignment_of(world, 7, community_two)
    with time_travel(2017, 8, 3):
        extension = extension_request(
            assignment=assignment,
            year=2017,
            month=7,
            requested_deadline=datetime.date(2017, 8, 15),
            reason="七月材料未齐",
            by=community_two_staff,
        )
        extension_decide(extension=extension, by=housing_staff, grant=True)
    assert DeadlineExtension.objects.granted().count() == 1
    client.force_login(street_admin)
    with time_travel(2017, 8, 10):
        rows = rows_of(client.get("/ledger/month/", {"year": "2017", "month": "7"}))

    row = row_for(rows, 7, "示例社区二")
    assert row["截止日期"] == cell_time("2017-08-15")
    assert row["是否按时"] == "未到期"
    assert row_for(rows, 7, "示例社区一")["截止日期"] == cell_time("2017-08-07")


def test_formula_like_text_is_written_as_text(
    client: Client, july: dict[str, ProgressReport], street_admin: User
) -> None:
    client.force_login(street_admin)
    response = client.get("/ledger/month/", {"year": "2017", "month": "7"})
    rows = rows_of(response)

    assert row_for(rows, 8, "示例社区一")["进展情况"] == "'" + HYPERLINK
    assert row_for(rows, 7, "示例社区一")["进展情况"] == "'-1+2"
    # openpyxl reports a formula cell's type as "f": none is.
    sheet = sheet_of(response)
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_computed_columns_are_neutralised_too(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    street_admin: User,
) -> None:
    """A target's title or a reviewer's name that starts like a formula (typed in the
    admin) reaches the file through a computed column: it is escaped as well."""
    assignment = assignment_of(world, 9, community_one)  # led by 街道联席办
    target = assignment.targets()[0]
    target.title = "=1+1"
    target.save()
    street_admin.first_name = "@admin"
    street_admin.save()
    with time_travel(2017, 8, 3):
        report = file_report(assignment, community_one_staff, submit=True)
        progress_report_approve(report=report, by=street_admin)
    client.force_login(street_admin)
    with time_travel(2017, 8, 10):
        response = client.get(f"/ledger/items/{assignment.item_id}/")
    rows = rows_of(response)

    assert {row["指标完成情况"][:6] for row in rows} == {"'=1+1:"}
    assert row_for(rows, 9, "示例社区一")["审核人"] == "'@admin"
    sheet = sheet_of(response)
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_a_lead_unit_s_month_ledger_has_only_its_items_and_no_other_party_s_drafts(
    client: Client, july: dict[str, ProgressReport], housing_staff: User, world: Checklist
) -> None:
    client.force_login(housing_staff)
    rows = rows_of(client.get("/ledger/month/", {"year": "2017", "month": "7"}))

    housing_office = Unit.objects.get(name="房管所")
    led = set(Item.objects.led_by(housing_office).values_list("number", flat=True))
    assert led == {6, 7, 8, 18, 19, 20, 21, 22, 23, 37}
    # the items it leads, and those it files for itself: item 15 (named units) and 30
    # (every member unit of the joint meeting), its own row only
    assert {row["任务序号"] for row in rows} == led | {15, 30}
    assert {row["责任单位"] for row in rows if row["任务序号"] in (15, 30)} == {"房管所"}

    # Community one's draft of item 21 exists but is not shown.
    draft = row_for(rows, 21, "示例社区一")
    assert draft["流程状态"] == "未提交"
    assert draft["进展情况"] is None and draft["进展状态"] is None
    assert "草稿内容" not in {row["进展情况"] for row in rows}
    assert "草稿" not in {row["流程状态"] for row in rows}
    assert row_for(rows, 8, "示例社区一")["流程状态"] == "已提交"


def test_community_staff_get_their_own_rows_drafts_included(
    client: Client, july: dict[str, ProgressReport], community_one_staff: User
) -> None:
    client.force_login(community_one_staff)
    rows = rows_of(client.get("/ledger/month/", {"year": "2017", "month": "7"}))

    assert {row["责任单位"] for row in rows} == {"示例社区一"}
    assert row_for(rows, 21, "示例社区一")["流程状态"] == "草稿"


def test_the_item_ledger_has_every_party_for_every_month(
    client: Client, july: dict[str, ProgressReport], housing_staff: User, world: Checklist
) -> None:
    item = Item.objects.get(checklist=world, number=8)
    client.force_login(housing_staff)
    response = client.get(f"/ledger/items/{item.pk}/", {"year": "2017"})
    rows = rows_of(response)

    # The months the checklist owes (in force from 28 June 2017: July–December).
    assert [(row["月份"], row["责任单位"]) for row in rows] == [
        (month, party) for month in range(7, 13) for party in ("示例社区一", "示例社区二")
    ]
    assert row_for(rows, 8, "示例社区一", month=8)["是否按时"] == "未到期"
    assert row_for(rows, 8, "示例社区二")["是否按时"] == "逾期 2 天"
    assert response["Content-Disposition"].endswith(quote("台账_2017年_第8项.xlsx"))

    up_to_july = rows_of(client.get(f"/ledger/items/{item.pk}/", {"month": "7"}))
    assert {row["月份"] for row in up_to_july} == {7}


def test_the_community_ledger_has_every_item_of_the_community_for_every_month(
    client: Client,
    july: dict[str, ProgressReport],
    community_one: Community,
    community_one_staff: User,
    world: Checklist,
) -> None:
    client.force_login(community_one_staff)
    response = client.get(f"/ledger/communities/{community_one.pk}/", {"year": "2017"})
    rows = rows_of(response)

    assignments = Assignment.objects.filter(item__checklist=world, community=community_one)
    assert len(rows) == 6 * assignments.count()  # July–December, the months owed
    assert {row["责任单位"] for row in rows} == {"示例社区一"}
    assert row_for(rows, 21, "示例社区一")["流程状态"] == "草稿"
    assert response["Content-Disposition"].endswith(quote("台账_2017年_示例社区一.xlsx"))


def test_leadership_may_download_every_ledger(
    client: Client, july: dict[str, ProgressReport], leader: User, community_two: Community
) -> None:
    item = july["one_8"].assignment.item
    client.force_login(leader)

    assert rows_of(client.get("/ledger/month/", {"year": "2017", "month": "7"}))
    assert rows_of(client.get(f"/ledger/items/{item.pk}/"))
    assert rows_of(client.get(f"/ledger/communities/{community_two.pk}/"))


def test_community_staff_may_not_download_another_community_s_ledger(
    client: Client, world: Checklist, community_one: Community, community_two_staff: User
) -> None:
    client.force_login(community_two_staff)
    response = client.get(f"/ledger/communities/{community_one.pk}/", {"year": "2017"})

    assert response.status_code == 404


def test_who_may_not_download_an_item_or_community_ledger_is_refused(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    housing_staff: User,
    party_building_staff: User,
) -> None:
    item_8 = Item.objects.get(checklist=world, number=8)  # led by 房管所
    # Community staff file item 8 but do not lead it.
    client.force_login(community_one_staff)
    assert client.get(f"/ledger/items/{item_8.pk}/").status_code == 403
    # Unit staff see the community's page, but the ledger is the community's own.
    client.force_login(housing_staff)
    assert client.get(f"/ledger/communities/{community_one.pk}/").status_code == 403
    # Another lead unit's item.
    client.force_login(party_building_staff)
    assert client.get(f"/ledger/items/{item_8.pk}/").status_code == 403
    # Someone with no place at all has no month ledger.
    client.force_login(User.objects.create_user("nobody"))
    assert client.get("/ledger/month/", {"year": "2017", "month": "7"}).status_code == 403


@pytest.mark.parametrize(
    ("url", "params", "message"),
    [
        ("/ledger/month/", {"year": "2017", "month": "13"}, "月份应在 1 到 12 之间"),
        ("/ledger/month/", {"year": "2017", "month": "七"}, "月份应在 1 到 12 之间"),
        ("/ledger/month/", {"year": "abc", "month": "7"}, "年度格式不对"),
        ("/ledger/month/", {"year": "2016", "month": "7"}, "没有2016年度的目标任务清单"),
        ("item", {"year": "2018"}, "没有2018年度的目标任务清单"),
        ("item", {"month": "0"}, "月份应在 1 到 12 之间"),
        ("community", {"year": "x"}, "年度格式不对"),
    ],
)
def test_a_bad_year_or_month_is_not_found(
    client: Client,
    world: Checklist,
    community_one: Community,
    street_admin: User,
    settings: Any,
    url: str,
    params: dict[str, str],
    message: str,
) -> None:
    settings.DEBUG = True  # the 404 page then shows the reason
    url = {
        "item": f"/ledger/items/{Item.objects.get(checklist=world, number=8).pk}/",
        "community": f"/ledger/communities/{community_one.pk}/",
    }.get(url, url)
    client.force_login(street_admin)
    response = client.get(url, params)

    assert response.status_code == 404
    assert message in response.content.decode()


def test_the_item_and_community_pages_offer_the_download(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    housing_staff: User,
) -> None:
    item_8 = Item.objects.get(checklist=world, number=8)
    client.force_login(housing_staff)
    assert (
        f'href="/ledger/items/{item_8.pk}/?year=2017"'
        in client.get(f"/items/{item_8.pk}/").content.decode()
    )
    assert (
        "/ledger/communities/"
        not in client.get(f"/communities/{community_one.pk}/").content.decode()
    )

    client.force_login(community_one_staff)
    assert "/ledger/items/" not in client.get(f"/items/{item_8.pk}/").content.decode()
    assert (
        f'href="/ledger/communities/{community_one.pk}/?year=2017"'
        in client.get(f"/communities/{community_one.pk}/").content.decode()
    )


def _more_communities(world: Checklist, count: int) -> list[tuple[Community, User]]:
    extra = []
    for number in range(count):
        community = Community.objects.create(name=f"新增社区{number}", order=10 + number)
        extra.append(
            (community, _person(f"staff{number}", Role.COMMUNITY_STAFF, community=community))
        )
    assignments_generate(checklist=world)
    return extra


@pytest.mark.parametrize("role", ["street_admin", "housing_staff"])
def test_a_ledger_needs_the_same_queries_for_any_number_of_rows(
    client: Client,
    july: dict[str, ProgressReport],
    world: Checklist,
    request: pytest.FixtureRequest,
    role: str,
    django_assert_max_num_queries: Any,
) -> None:
    user = request.getfixturevalue(role)
    client.force_login(user)
    # session, user; the year's checklist; permissions of the user and of their groups
    # (sees everything?); for a lead unit: any assignment to read?; the assignments with
    # item, pillar, checklist and party; their items' targets; lead units; the month's
    # extensions; the reports the user may open, with their reviewer; their values;
    # which assignments have a report at all; the meeting register's figures of the
    # frequency targets (the month's held meetings: one query, none for a lead unit
    # without such targets); the session saved (savepoint, update, release).
    expected = 16
    with django_assert_max_num_queries(expected) as few_queries:
        few = rows_of(client.get("/ledger/month/", {"year": "2017", "month": "7"}))

    with time_travel(2017, 8, 4):
        for community, staff in _more_communities(world, 4):
            for number in (7, 8, 18, 21):
                file_report(assignment_of(world, number, community), staff, submit=True)
            extension_request(
                assignment=assignment_of(world, 20, community),
                year=2017,
                month=7,
                requested_deadline=datetime.date(2017, 8, 20),
                reason="来不及",
                by=staff,
            )
    client.force_login(user)
    with time_machine.travel(datetime.datetime(2017, 8, 10, 10, tzinfo=SHANGHAI), tick=False):
        with django_assert_max_num_queries(expected) as many_queries:
            many = rows_of(client.get("/ledger/month/", {"year": "2017", "month": "7"}))
    assert len(many) > 2 * len(few)
    assert len(many_queries) == len(few_queries)


def test_the_demo_data_exports_one_row_per_assignment(
    client: Client, demo_street: Checklist
) -> None:
    checklist_2017 = demo_street
    with time_travel(2017, 11, 10):
        client.force_login(User.objects.get(username="admin"))
        rows = rows_of(client.get("/ledger/month/", {"year": "2017", "month": "10"}))

    assignments = Assignment.objects.filter(item__checklist=checklist_2017)
    assert len(rows) == assignments.count()
    assert len({(row["任务序号"], row["责任单位"]) for row in rows}) == len(rows)
    states = {row["流程状态"] for row in rows}
    assert "已审核" in states and "未填报" in states
