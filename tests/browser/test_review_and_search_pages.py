"""The review queue with its checkboxes, the 批量通过 confirmation and the search results,
at 1280 px and on a 390 px phone: 房管所 ticks two reports, confirms, lands back on the
filtered queue; a search from the header box. Screenshots in
test-artifacts/screenshots/<test>/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from communities.models import Community
from tasks.models import Checklist, Evidence, ProgressReport
from tasks.services import evidence_add, progress_report_submit
from tests.filing import MINIMAL_PDF
from tests.filing import file_item_report as file_report

from ..conftest import PASSWORD
from .conftest import Screenshot, _watch
from .test_filing_review_journey import _png

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def august_3rd_2017_ticking() -> Iterator[None]:
    moment = datetime(2017, 8, 3, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=True):
        yield


def _sign_in(page: Page, base: str, path: str) -> None:
    page.goto(base + path)
    page.get_by_label("用户名").fill("housing")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(base + path)


def _fits(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_the_queue_the_bulk_confirmation_and_search_at_desktop_and_phone_widths(
    august_3rd_2017_ticking: None,
    live_server: LiveServer,
    world: Checklist,
    june_owed: Checklist,
    community_one: Community,
    community_two: Community,
    community_one_staff: User,
    community_two_staff: User,
    housing_staff: User,
    page: Page,
    phone_page: Page,
    screenshot: Screenshot,
) -> None:
    base = live_server.url
    chosen = [
        file_report(world, 8, community_one, community_one_staff),
        file_report(world, 8, community_two, community_two_staff),
    ]
    file_report(world, 18, community_two, community_two_staff)
    file_report(world, 8, community_one, community_one_staff, month=6)
    with_photo = file_report(world, 18, community_one, community_one_staff, submit=False)
    evidence_add(
        report=with_photo,
        upload=SimpleUploadedFile("小区公示栏.png", _png()),
        kind=Evidence.Kind.PHOTO,
        by=community_one_staff,
    )
    evidence_add(
        report=with_photo,
        upload=SimpleUploadedFile("物业服务合同.pdf", MINIMAL_PDF),
        kind=Evidence.Kind.DOCUMENT,
        by=community_one_staff,
    )
    progress_report_submit(report=with_photo, by=community_one_staff)
    events = [_watch(page), _watch(phone_page)]

    _sign_in(page, base, "/review/")
    phone_page.context.add_cookies(page.context.cookies())  # type: ignore[arg-type]  # as the journey does
    expect(page.get_by_role("button", name="批量通过所选月报")).to_be_visible()
    screenshot(page, "queue-1280")
    phone_page.goto(f"{base}/review/")
    screenshot(phone_page, "queue-390")

    for report in chosen:
        page.locator(f'input[name="reports"][value="{report.pk}"]').check()
    page.get_by_role("button", name="批量通过所选月报").click()
    expect(page.get_by_role("heading", name="确认批量通过")).to_be_visible()
    expect(page.locator("table.bulk-approve-list tbody tr")).to_have_count(2)
    screenshot(page, "confirmation-1280")
    phone_page.goto(page.url)
    expect(phone_page.get_by_role("heading", name="确认批量通过")).to_be_visible()
    screenshot(phone_page, "confirmation-390")

    page.get_by_role("button", name="确认通过 2 份月报").click()
    expect(page).to_have_url(re.compile(r"/review/$"))
    expect(page.get_by_role("status").first).to_contain_text("已审核通过 2 份月报")
    screenshot(page, "queue-after-bulk-1280")
    assert [ProgressReport.objects.get(pk=report.pk).workflow_state for report in chosen] == [
        "approved",
        "approved",
    ]

    # A report's page: last month beside this month, the evidence inline, 下一份.
    page.goto(f"{base}/reports/{chosen[0].pk}/?next=/review/")
    expect(page.get_by_role("columnheader", name="上月(6月)")).to_be_visible()
    page.goto(f"{base}/reports/{with_photo.pk}/?next=/review/")
    expect(page.locator("a.evidence-thumb img")).to_be_visible()
    expect(page.get_by_role("link", name="下一份 →")).to_be_visible()
    screenshot(page, "report-1280")
    phone_page.goto(page.url)
    screenshot(phone_page, "report-390")

    # The header's box, on the desktop and on the phone.
    box = page.get_by_role("search").get_by_label("搜索")
    box.fill("房管所")
    box.press("Enter")
    expect(page.get_by_role("heading", name="单位")).to_be_visible()
    screenshot(page, "search-1280")
    phone_page.goto(f"{base}/search/?q=8")
    expect(phone_page.get_by_role("heading", name="月报")).to_be_visible()
    screenshot(phone_page, "search-390")

    for phone_view in ("/review/", "/search/?q=8"):
        phone_page.goto(base + phone_view)
        assert _fits(phone_page), phone_view
    assert [error for watched in events for error in watched.errors] == []
    assert [url for watched in events for url in watched.requests_elsewhere_than(base)] == []
