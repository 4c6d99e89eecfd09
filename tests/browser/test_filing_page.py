"""本月填报 in Chromium, as the people who file use it (issue 13, item 3): 示例社区一
files four items with a photo in one pass and few actions, an item's refused save keeps
the photo and what was typed, a draft with one edit saves, and 房管所's stored completion
date survives a save. Every step is checked in the database."""

from __future__ import annotations

import datetime
import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from playwright.sync_api import Dialog, Locator, Page, Route, expect
from pytest_django.live_server_helper import LiveServer

from communities.models import Community
from tasks.models import Assignment, Checklist, Evidence, ProgressReport
from tasks.services import ValueInput, progress_report_save

from ..conftest import PASSWORD, assignment_of
from .conftest import PageEvents, Screenshot, _watch

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

JULY = "/workspace/?year=2017&month=7"
PHOTO_NAME = "楼道整治.png"


@pytest.fixture
def august_3rd_2017_ticking() -> Iterator[None]:
    moment = datetime.datetime(2017, 8, 3, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=True):
        yield


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x2e\x7d\x32" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class Actions:
    """Counts what the user does: each fill, choice, file and click is one action."""

    def __init__(self) -> None:
        self.count = 0

    def fill(self, locator: Locator, value: str) -> None:
        locator.fill(value)
        self.count += 1

    def select(self, locator: Locator, label: str) -> None:
        locator.select_option(label=label)
        self.count += 1

    def attach(self, locator: Locator, path: Path) -> None:
        locator.set_input_files(path)
        self.count += 1

    def click(self, locator: Locator) -> None:
        locator.click()
        self.count += 1


def _sign_in(page: Page, base: str, username: str) -> None:
    page.goto(base + JULY)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(base + JULY)


def _input(item: Locator, assignment: Assignment, column: str, order: int = 0) -> Locator:
    target = assignment.targets()[order]
    return item.locator(f'[name="a{assignment.pk}-t{target.pk}_{column}"]')


def test_a_community_files_four_items_with_a_photo_in_one_pass(
    august_3rd_2017_ticking: None,
    live_server: LiveServer,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    page: Page,
    phone_page: Page,
    screenshot: Screenshot,
    tmp_path: Path,
) -> None:
    base = live_server.url
    photo = tmp_path / "camera" / PHOTO_NAME
    photo.parent.mkdir()
    photo.write_bytes(_png())
    events: list[PageEvents] = [_watch(page), _watch(phone_page)]
    item = {n: assignment_of(world, n, community_one) for n in (1, 2, 5, 6, 12, 24)}

    def article(on: Page, number: int) -> Locator:
        return on.locator(f"#a{item[number].pk}")

    _sign_in(page, base, "one")
    expect(page.locator(".filing-progress")).to_have_text("已填 0 / 36 · 已提交 0")
    expect(page.locator(".filing-index li")).to_have_count(36)
    screenshot(page, "workspace-1280")
    phone_page.context.add_cookies(page.context.cookies())  # type: ignore[arg-type]
    phone_page.goto(base + JULY)
    screenshot(phone_page, "workspace-390")
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # 1. Four items and a photo, then 全部提交: the 32 items left alone are not touched.
    # Each item is collapsed until opened (the page stays short).
    act = Actions()
    expect(_input(article(page, 1), item[1], "numerator")).to_be_hidden()
    act.click(article(page, 1).locator("summary"))
    act.fill(_input(article(page, 1), item[1], "numerator"), "3")
    act.fill(_input(article(page, 1), item[1], "denominator"), "4")
    act.click(article(page, 5).locator("summary"))
    act.select(_input(article(page, 5), item[5], "is_done"), "已完成")
    act.attach(article(page, 5).locator(f'[name="a{item[5].pk}-evidence_files"]'), photo)
    act.click(article(page, 12).locator("summary"))
    act.fill(_input(article(page, 12), item[12], "quantity"), "2")
    act.click(article(page, 24).locator("summary"))
    act.select(_input(article(page, 24), item[24], "is_done"), "已完成")
    act.click(page.get_by_role("button", name="全部提交"))

    expect(page.get_by_role("status").first).to_have_text("已提交 4 份月报,等待牵头单位审核。")
    assert act.count <= 12, act.count
    reports = ProgressReport.objects.filter(year=2017, month=7)
    assert {r.assignment.item.number for r in reports} == {1, 5, 12, 24}
    assert {r.workflow_state for r in reports} == {ProgressReport.WorkflowState.SUBMITTED}
    one = reports.get(assignment=item[1]).values.get()
    assert (one.numerator, one.denominator) == (3, 4)
    [evidence] = Evidence.objects.all()
    assert (evidence.report.assignment, evidence.original_name) == (item[5], PHOTO_NAME)
    expect(page.locator(".filing-progress")).to_have_text("已填 4 / 36 · 已提交 4")
    screenshot(page, "four-submitted")

    # 2. An item's 保存 refused: the photo and the figures stay, nothing is stored.
    article(page, 2).locator("summary").click()
    # The exception's reason shows only once its box is ticked.
    reason = article(page, 2).locator(".exception-reason")
    expect(reason).to_be_hidden()
    article(page, 2).get_by_label("申请按申报状态认定", exact=True).check()
    expect(reason).to_be_visible()
    article(page, 2).get_by_label("申请按申报状态认定", exact=True).uncheck()
    numerator = _input(article(page, 2), item[2], "numerator")
    numerator.fill("5")
    _input(article(page, 2), item[2], "denominator").fill("4")
    article(page, 2).locator(f'[name="a{item[2].pk}-evidence_files"]').set_input_files(photo)
    article(page, 2).get_by_role("button", name="保存", exact=True).click()

    expect(article(page, 2).locator(".field-error")).to_have_text("分子(5)不能大于分母(4)。")
    expect(article(page, 2)).to_contain_text(PHOTO_NAME)
    expect(article(page, 2).locator(".badge.staged")).to_have_text("待保存")
    expect(_input(article(page, 2), item[2], "numerator")).to_have_value("5")
    expect(_input(article(page, 2), item[2], "denominator")).to_have_value("4")
    expect(article(page, 2).locator(".error-summary a")).to_have_attribute(
        "href", f"#id_a{item[2].pk}-t{item[2].targets()[0].pk}_numerator"
    )
    assert not ProgressReport.objects.filter(assignment=item[2]).exists()
    assert Evidence.objects.count() == 1
    screenshot(page, "refused-keeps-photo")

    _input(article(page, 2), item[2], "numerator").fill("3")
    # While the request runs, every submit button is busy (held here until checked).
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route("**/workspace/items/**", hold)
    article(page, 2).get_by_role("button", name="保存", exact=True).click()
    expect(page.locator('#workspace-form button[aria-busy="true"]:disabled')).to_have_count(
        page.locator('#workspace-form button[type="submit"]').count()
    )
    held[0].continue_()
    page.unroute("**/workspace/items/**")
    expect(article(page, 2).get_by_role("status")).to_have_text("已保存。")
    expect(article(page, 2)).not_to_have_attribute("data-unsaved", "true")
    report_2 = ProgressReport.objects.get(assignment=item[2], month=7)
    assert report_2.workflow_state == ProgressReport.WorkflowState.DRAFT
    assert (report_2.values.get().numerator, report_2.values.get().denominator) == (3, 4)
    assert [e.original_name for e in report_2.evidence.all()] == [PHOTO_NAME]
    expect(page.locator(".filing-progress")).to_have_text("已填 5 / 36 · 已提交 4")
    # Every button is usable again once the answer is in.
    expect(page.locator("#workspace-form button[disabled]")).to_have_count(0)

    # 3. A draft with one edit saves, and only that item.
    page.goto(base + JULY)
    page.locator(".filing-index").get_by_role("link", name=re.compile(r"^6 ")).click()
    article(page, 6).get_by_label("进展情况").fill("完成三个小区的摸底。")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_role("status").first).to_have_text("草稿已保存(1 份有改动)。")
    assert ProgressReport.objects.get(assignment=item[6], month=7).narrative == (
        "完成三个小区的摸底。"
    )
    assert ProgressReport.objects.filter(month=7).count() == 6
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_role("status").first).to_have_text("没有改动,未保存。")

    # The filters: the drafts only.
    page.get_by_role("link", name=re.compile(r"^草稿 2$")).click()
    expect(page.locator("article.filing")).to_have_count(2)
    screenshot(page, "drafts-filter")

    assert [e for watched in events for e in watched.errors] == []
    assert [u for watched in events for u in watched.requests_elsewhere_than(base)] == []

    # Leaving with an edit not saved asks first.
    dialogs: list[str] = []

    def answer(dialog: Dialog) -> None:
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", answer)
    # On the drafts filter (work to do) the items are open: no click to open item 6.
    expect(article(page, 6).locator("details.filing-body")).to_have_attribute("open", "")
    article(page, 6).get_by_label("进展情况").fill("还没保存的一句话")
    with page.expect_event("close"):
        page.close(run_before_unload=True)
    assert dialogs == ["beforeunload"]


def test_a_stored_completion_date_survives_a_save(
    august_3rd_2017_ticking: None,
    live_server: LiveServer,
    world: Checklist,
    housing_staff: User,
    page: Page,
    phone_page: Page,
    screenshot: Screenshot,
) -> None:
    base = live_server.url
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
    events = _watch(page)
    _sign_in(page, base, "housing")
    item = page.locator(f"#a{item_15.pk}")
    date = item.locator(f'[name="a{item_15.pk}-t{target.pk}_achieved_on"]')
    expect(date).to_have_value("2017-06-28")

    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_role("status").first).to_have_text("没有改动,未保存。")
    report.refresh_from_db()
    assert report.version == 1

    item = page.locator(f"#a{item_15.pk}")
    item.get_by_label("进展情况").fill("6月28日已完成验收。")
    item.get_by_role("button", name="保存", exact=True).click()
    expect(item.get_by_role("status")).to_have_text("已保存。")
    report.refresh_from_db()
    assert report.narrative == "6月28日已完成验收。"
    assert report.values.get().achieved_on == datetime.date(2017, 6, 28)
    expect(date).to_have_value("2017-06-28")
    screenshot(page, "date-kept")
    phone_page.context.add_cookies(page.context.cookies())  # type: ignore[arg-type]
    phone_page.goto(base + JULY)
    screenshot(phone_page, "date-kept-390")
    assert events.errors == []
