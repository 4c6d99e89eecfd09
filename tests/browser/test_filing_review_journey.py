"""A month's report from filing to approval, through the browser: 示例社区一 files July
2017 with a photo, 房管所 returns item 8 with a comment, the community corrects and
submits again, 房管所 approves, and the street admin reads the item's month and the
report's history."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from communities.models import Community
from tasks.models import Assignment, Checklist, ProgressReport

from ..conftest import PASSWORD, assignment_of
from .conftest import DESKTOP, PageEvents, Screenshot, _open_page, _watch

# The live server answers from another thread: the test's rows must be committed to be seen.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

MONTH = "?year=2017&month=7"
RETURN_COMMENT = "请补充签到表照片"
PHOTO_NAME = "业委会筹备会.png"


@pytest.fixture
def august_3rd_2017_ticking() -> Iterator[None]:
    """The week communities file July 2017, with the clock running: every request the live
    server thread answers sees it (time-machine patches the clock process-wide), and each
    step of the journey gets a later time than the one before."""
    moment = datetime(2017, 8, 3, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=True):
        yield


def _png() -> bytes:
    """A valid 2×2 green PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)  # 8-bit RGB
    rows = b"".join(b"\x00" + b"\x2e\x7d\x32" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# Every target input of the workspace gets a value a submission accepts: 1 for counts
# and rate pairs, 已完成 for yes/no targets; completion dates stay empty (they may).
# A denominator the compound register prefilled is left as it is (and the numerator kept
# within it); the rest get a figure.
FILL_EVERY_TARGET = """form => {
    for (const input of form.elements) {
        if (/-t\\d+_numerator$/.test(input.name)) input.value = "0";
        if (/-t\\d+_(denominator|quantity)$/.test(input.name) && !input.value) input.value = "1";
        if (/-t\\d+_is_done$/.test(input.name)) input.value = "yes";
        // Every item given something, so that every item is filed (an item left as the
        // page showed it is not submitted).
        if (/-narrative$/.test(input.name) && !input.value) input.value = "本月按计划推进。";
    }
}"""


def _sign_in(page: Page, base: str, path: str, username: str) -> None:
    """Open ``path``, get sent to the login page, sign in through its form and land on
    ``path``."""
    page.goto(base + path)
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(base + path)


def test_a_report_is_filed_returned_corrected_and_approved(
    august_3rd_2017_ticking: None,
    live_server: LiveServer,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    housing_staff: User,
    street_admin: User,
    browser: Browser,
    page: Page,
    phone_page: Page,
    screenshot: Screenshot,
    tmp_path: Path,
) -> None:
    base = live_server.url
    assignment = assignment_of(world, 8, community_one)
    (target,) = assignment.targets()
    numerator = f"a{assignment.pk}-t{target.pk}_numerator"
    denominator = f"a{assignment.pk}-t{target.pk}_denominator"
    filed = Assignment.objects.fileable_by(community_one_staff).filter(item__checklist=world)
    photo = tmp_path / "camera" / PHOTO_NAME  # MEDIA_ROOT is tmp_path itself: keep apart
    photo.parent.mkdir()
    photo.write_bytes(_png())

    watched: list[PageEvents] = [_watch(page)]
    people = ExitStack()

    def another_person() -> Page:
        other = people.enter_context(contextmanager(_open_page)(browser, viewport=DESKTOP))
        watched.append(_watch(other))
        return other

    def item_8(on: Page) -> Locator:
        return on.locator(f"#a{assignment.pk}")  # the workspace's article of the assignment

    with people:
        # 1. 示例社区一 files July: every report, item 8 by hand with a photo.
        _sign_in(page, base, f"/workspace/{MONTH}", "one")
        expect(page.get_by_role("heading", name="本月填报 · 2017年7月")).to_be_visible()
        screenshot(page, "community-workspace")

        watched.append(_watch(phone_page))
        phone_page.context.add_cookies(page.context.cookies())  # type: ignore[arg-type]  # playwright types a read cookie and a cookie to set apart
        phone_page.goto(f"{base}/workspace/{MONTH}")
        expect(phone_page.get_by_role("heading", name="本月填报 · 2017年7月")).to_be_visible()
        screenshot(phone_page, "community-workspace-phone")
        assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        page.locator("#workspace-form").evaluate(FILL_EVERY_TARGET)
        report_8 = item_8(page)
        report_8.locator("summary").click()  # each item is collapsed until opened
        report_8.locator(f'input[name="{numerator}"]').fill("3")
        report_8.locator(f'input[name="{denominator}"]').fill("4")
        # 4 is not the register's count of compounds: the form asks why.
        report_8.locator(f'[name="{denominator}_reason"]').fill("新建的三号、四号小区尚未登记。")
        report_8.get_by_label("进展状态").select_option(label="推进中")
        report_8.get_by_label("进展情况").fill("指导二号小区筹备业委会,已召开筹备会。")
        report_8.locator(f'input[name="a{assignment.pk}-evidence_files"]').set_input_files(photo)
        screenshot(page, "community-filled")
        page.get_by_role("button", name="全部提交").click()

        expect(page.get_by_role("status").first).to_have_text(
            f"已提交 {filed.count()} 份月报,等待牵头单位审核。"
        )
        expect(item_8(page).locator(".badge").first).to_have_text("已提交")
        item_8(page).locator("summary").click()  # read only now, collapsed
        expect(item_8(page).get_by_role("link", name=PHOTO_NAME)).to_be_visible()
        screenshot(page, "community-submitted")
        report = ProgressReport.objects.get(assignment=assignment, year=2017, month=7)

        # 2. 房管所 finds it in its queue, looks at the photo and returns it.
        housing = another_person()
        _sign_in(housing, base, "/review/", "housing")
        row = (
            housing.get_by_role("row")
            .filter(has_text="示例社区一")
            .filter(has_text="辖区内符合成立条件的住宅小区")
        )
        expect(row.get_by_role("cell").nth(4)).to_have_text("已提交")  # after the checkbox
        screenshot(housing, "housing-queue")
        row.get_by_role("link", name="审核").click()
        # The report carries the way back to the queue (its filters) and on to the next.
        expect(housing).to_have_url(f"{base}/reports/{report.pk}/?next=/review/")

        evidence = housing.get_by_role("link", name=PHOTO_NAME)
        expect(evidence).to_be_visible()
        href = evidence.get_attribute("href")
        assert href is not None
        served = housing.request.get(base + href)
        assert served.ok
        assert served.headers["content-type"] == "image/png"
        assert served.body() == photo.read_bytes()
        screenshot(housing, "housing-report")

        housing.get_by_label("退回意见").fill(RETURN_COMMENT)
        housing.get_by_role("button", name="退回修改").click()
        # On to the next report of the queue (the community submitted every item).
        expect(housing).to_have_url(re.compile(rf"{base}/reports/\d+/\?next=%2Freview%2F$"))
        expect(housing.get_by_role("status").first).to_contain_text("已退回")
        housing.goto(f"{base}/reports/{report.pk}/")
        expect(housing.locator("hgroup .badge")).to_have_text("已退回")
        screenshot(housing, "housing-returned")

        # 3. The community reads the comment, corrects item 8 and submits it again.
        page.goto(f"{base}/workspace/{MONTH}")
        expect(item_8(page).get_by_role("status")).to_have_text(f"退回意见:{RETURN_COMMENT}")
        expect(item_8(page).locator(f'input[name="{numerator}"]')).to_have_value("3")
        expect(page.locator('select[name$="-status"]')).to_have_count(1)  # only item 8 reopens
        item_8(page).locator(f'input[name="{numerator}"]').fill("4")
        screenshot(page, "community-correcting")
        page.get_by_role("button", name="全部提交").click()

        expect(page.get_by_role("status").first).to_have_text("已提交 1 份月报,等待牵头单位审核。")
        expect(item_8(page).locator(".badge").first).to_have_text("已提交")
        expect(page.get_by_role("button", name="全部提交")).to_have_count(0)
        screenshot(page, "community-resubmitted")

        # 4. 房管所 approves it.
        housing.goto(f"{base}/review/")
        row.get_by_role("link", name="审核").click()
        expect(housing).to_have_url(f"{base}/reports/{report.pk}/?next=/review/")
        housing.get_by_role("button", name="审核通过").click()
        expect(housing.get_by_role("status").first).to_contain_text("已审核通过")
        housing.goto(f"{base}/reports/{report.pk}/")
        expect(housing.locator("hgroup .badge")).to_have_text("已审核")
        screenshot(housing, "housing-approved")

        # 5. The street admin reads item 8's July and the report's history.
        admin = another_person()
        _sign_in(admin, base, f"/items/{assignment.item_id}/{MONTH}", "admin")
        party = admin.locator("table.item-status").get_by_role("row").filter(has_text="示例社区一")
        expect(party.get_by_role("cell").nth(1)).to_have_text("已审核")
        # On time by the server's clock, which travelled too: filed 3 August, due 5 August.
        expect(party.get_by_role("cell").nth(4)).to_have_text("按时")
        screenshot(admin, "admin-item")
        party.get_by_role("link", name="查看月报").click()
        expect(admin).to_have_url(f"{base}/reports/{report.pk}/")
        history = admin.locator("table.history tbody tr")
        expect(history).to_have_count(4)
        expect(history.locator("td:nth-child(3)")).to_have_text(
            ["草稿 → 已提交", "已提交 → 已退回", "已退回 → 已提交", "已提交 → 已审核"]
        )
        expect(history.nth(1)).to_contain_text(RETURN_COMMENT)
        expect(history.locator("td:nth-child(1)")).to_have_text([re.compile(r"^2017-08-03 ")] * 4)
        screenshot(admin, "admin-history")

        # Nothing went wrong in any page, and nothing was fetched from elsewhere.
        assert [error for events in watched for error in events.errors] == []
        assert [url for events in watched for url in events.requests_elsewhere_than(base)] == []
