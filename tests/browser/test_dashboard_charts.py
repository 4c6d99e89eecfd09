"""Leadership opens the dashboard of October 2017 on the demo data: the four ECharts
charts are drawn from the portal's own copy of ECharts, nothing is asked of another host,
the console stays clean; the briefing draws its charts as SVG and is laid out for A4."""

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

CHARTS = ("chart-trend", "chart-pillars", "chart-lead-units", "chart-states")


@pytest.fixture
def november_2017() -> Iterator[None]:
    moment = datetime(2017, 11, 20, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=True):
        yield


def _sign_in(page: Page, base: str, path: str, username: str) -> None:
    page.goto(base + path)
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(base + path)


def test_leadership_sees_the_dashboard_charts_drawn_and_prints_the_briefing(
    november_2017: None,
    live_server: LiveServer,
    demo_street: Checklist,
    page: Page,
    screenshot: Screenshot,
) -> None:
    base = live_server.url
    events = _watch(page)

    _sign_in(page, base, "/dashboard/?year=2017&month=10", "lingdao")
    for chart in CHARTS:
        expect(page.locator(f"#{chart}")).to_have_attribute("data-drawn", "true")
        # ECharts drew into a canvas with something on it, not an empty box.
        box = page.locator(f"#{chart} canvas").first.bounding_box()
        assert box is not None and box["height"] > 100
    painted = page.evaluate(
        """() => [...document.querySelectorAll('.chart canvas')].map(canvas => {
            const context = canvas.getContext('2d');
            const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
            let inked = 0;
            for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) inked++;
            return inked;
        })"""
    )
    assert len(painted) >= len(CHARTS) and all(inked > 500 for inked in painted)
    expect(page.locator("[data-figure=reporting]")).to_contain_text("%")
    expect(page.get_by_role("link", name="催办")).to_have_count(0)  # leadership only reads
    screenshot(page, "dashboard")

    page.get_by_role("link", name="任务 × 责任单位矩阵").click()
    expect(page.locator("table.matrix")).to_be_visible()
    screenshot(page, "matrix")

    page.goto(base + "/dashboard/briefing/?year=2017&month=10")
    for chart in ("chart-trend", "chart-pillars", "chart-lead-units"):
        expect(page.locator(f"#{chart} svg")).to_have_count(1)
    expect(page.get_by_role("heading", name="一、总体进展")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("header.container")).to_be_hidden()
    screenshot(page, "briefing-print")
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF") and 1 <= len(re.findall(rb"/Type\s*/Page\b", pdf)) <= 3

    assert events.errors == []
    assert events.requests_elsewhere_than(base) == []


def test_leadership_reads_the_ranking_and_a_score_sheet(
    november_2017: None,
    live_server: LiveServer,
    demo_street: Checklist,
    page: Page,
    screenshot: Screenshot,
) -> None:
    from assessments.scoring import scheme_default

    checklist_2017 = demo_street
    scheme_default(checklist=checklist_2017)
    base = live_server.url
    events = _watch(page)

    _sign_in(page, base, "/assessments/?year=2017", "lingdao")
    expect(page.get_by_role("heading", name="2017年度村居考核评价")).to_be_visible()
    expect(page.locator("table.ranking tbody tr")).to_have_count(8)
    expect(page.get_by_role("button", name="发布考核结果")).to_have_count(0)
    screenshot(page, "ranking")

    page.locator("table.ranking tbody tr").first.get_by_role("link").click()
    expect(page.locator("table.score-lines tbody tr")).to_have_count(scheme_rows(checklist_2017))
    expect(page.get_by_role("button", name="记录加减分")).to_have_count(0)
    screenshot(page, "score-sheet")

    assert events.errors == []
    assert events.requests_elsewhere_than(base) == []


def scheme_rows(checklist: Checklist) -> int:
    return checklist.scheme.criteria.count()
