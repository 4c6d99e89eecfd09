"""On 1 December 2026, with only the demo's 2017 checklist in use, leadership opens the
dashboard on October 2017 (its last month with reports, not an empty December or 2026) and
picks another month with the one period select, which submits on change; a community's
本月填报 opens on December 2017, the month being filed. Both pages at 1280 px and 390 px."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from demo.data import DEMO_PASSWORD
from tasks.models import Checklist

from .conftest import Screenshot, _watch

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def december_2026() -> Iterator[None]:
    moment = datetime(2026, 12, 1, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=True):
        yield


def _sign_in(page: Page, base: str, path: str, username: str) -> None:
    page.goto(base + path)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(base + path)


def test_pages_open_on_2017_and_the_picker_changes_the_month(
    december_2026: None,
    live_server: LiveServer,
    demo_street: Checklist,
    page: Page,
    phone_page: Page,
    screenshot: Screenshot,
) -> None:
    base = live_server.url
    events = _watch(page)

    _sign_in(page, base, "/dashboard/", "lingdao")
    expect(page.get_by_role("heading", name="2017年10月完成情况")).to_be_visible()
    picker = page.get_by_label("年月", exact=True)
    expect(picker).to_have_value("2017-10")
    expect(picker.locator("option")).to_have_count(6)  # July to December 2017
    screenshot(page, "dashboard-1280")
    picker.select_option("2017-08")  # submits on change
    expect(page).to_have_url(re.compile(r"\?period=2017-08$"))
    expect(page.get_by_role("heading", name="2017年8月完成情况")).to_be_visible()

    _sign_in(phone_page, base, "/dashboard/", "lingdao")
    expect(phone_page.get_by_label("年月", exact=True)).to_have_value("2017-10")
    screenshot(phone_page, "dashboard-390")

    community = page.context.browser.new_context(  # type: ignore[union-attr]
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 800}
    )
    try:
        workspace = community.new_page()
        _sign_in(workspace, base, "/workspace/", "shequ1")
        expect(workspace.get_by_label("年月", exact=True)).to_have_value("2017-12")
        screenshot(workspace, "workspace-1280")
        workspace.set_viewport_size({"width": 390, "height": 844})
        screenshot(workspace, "workspace-390")
    finally:
        community.close()

    assert events.errors == []
    assert events.requests_elsewhere_than(base) == []
