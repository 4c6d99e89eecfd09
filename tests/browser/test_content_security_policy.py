"""Under the Content-Security-Policy (no inline script or style, nothing from another host)
every main page and the admin still work in Chromium: the browser reports no violation, the
dashboard's ECharts charts are drawn, htmx loads, the admin's widgets run. Screenshots at
1280 and 390 px (test-artifacts/screenshots/)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from playwright.sync_api import ConsoleMessage, Page, expect
from pytest_django.live_server_helper import LiveServer

from assessments.scoring import scheme_default
from meetings.models import Meeting
from tasks.models import Checklist, Item

from .conftest import PHONE, Screenshot

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# The page records every violation the browser reports (securitypolicyviolation), from the
# first script on: the policy's own report, independent of the console's wording.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", event => {
    window.__cspViolations.push(
        `${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`
    );
});
"""
CHARTS = ("chart-trend", "chart-pillars", "chart-lead-units", "chart-states")


@pytest.fixture
def november_2017() -> Iterator[None]:
    moment = datetime(2017, 11, 20, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=True):
        yield


class Walk:
    """A browser page that keeps every CSP violation and console error it saw."""

    def __init__(self, page: Page, base: str) -> None:
        self.page = page
        self.base = base
        self.console: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.console.append(f"{error.name}: {error.message}"))

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            self.console.append(f"{message.text} ({message.location.get('url', '')})")

    def sign_in(self, username: str) -> None:
        client = Client()
        client.force_login(User.objects.get(username=username))
        self.page.context.clear_cookies()
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        self.page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": self.base}]
        )

    def visit(self, path: str, status: int = 200) -> list[str]:
        """Opens ``path``; returns the violations it reported."""
        response = self.page.goto(self.base + path)
        assert response is not None and response.status == status, (path, response)
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, path
        self.page.wait_for_load_state("load")
        return self.violations(path)

    def violations(self, where: str) -> list[str]:
        found: list[str] = self.page.evaluate("window.__cspViolations || []")
        return [f"{where}: {violation}" for violation in found]


def test_the_main_pages_and_the_admin_run_under_the_policy(
    november_2017: None,
    live_server: LiveServer,
    demo_street: Checklist,
    page: Page,
    screenshot: Screenshot,
) -> None:
    walk = Walk(page, live_server.url)
    violations: list[str] = []

    violations += walk.visit("/accounts/login/")
    screenshot(page, "login")

    # A community: home, the monthly workspace (htmx), an item, meetings, the inbox.
    walk.sign_in("shequ1")
    violations += walk.visit("/")
    violations += walk.visit("/workspace/")
    assert page.evaluate("typeof htmx") == "object", "htmx did not load"
    # htmx saves one item in place, under the policy.
    item_form = page.locator("article:has(button[hx-post][value=save])").first
    item_form.locator("summary").first.click()
    save = item_form.locator("button[hx-post][value=save]")
    with page.expect_response(lambda response: "/workspace/items/" in response.url) as saved:
        save.click()
    assert saved.value.status == 200
    page.wait_for_timeout(300)
    violations += walk.violations("workspace save")
    screenshot(page, "community-workspace")
    violations += walk.visit("/checklist/")
    violations += walk.visit("/meetings/")
    violations += walk.visit("/notifications/")

    # Leadership: the dashboard's charts are drawn by ECharts, under the policy.
    walk.sign_in("lingdao")
    violations += walk.visit("/dashboard/?year=2017&month=10")
    for chart in CHARTS:
        expect(page.locator(f"#{chart}")).to_have_attribute("data-drawn", "true")
        box = page.locator(f"#{chart} canvas").first.bounding_box()
        assert box is not None and box["height"] > 100, chart
    # A tooltip is HTML ECharts writes with styles of its own.
    page.locator("#chart-trend canvas").first.hover()
    page.mouse.move(640, 400)
    violations += walk.violations("dashboard tooltip")
    screenshot(page, "dashboard")
    violations += walk.visit("/dashboard/briefing/?year=2017&month=10")
    expect(page.locator("#chart-trend svg")).to_have_count(1)
    scheme_default(checklist=demo_street)  # the ranking needs the year's scheme
    violations += walk.visit("/assessments/")

    # The street admin: review, matrix, and the admin with its scripts and widgets.
    walk.sign_in("admin")
    violations += walk.visit("/review/")
    item = Item.objects.filter(checklist=demo_street).order_by("number").first()
    assert item is not None
    violations += walk.visit(f"/items/{item.pk}/")
    violations += walk.visit("/dashboard/matrix/?year=2017&month=10")
    violations += walk.visit("/admin/")
    screenshot(page, "admin")
    violations += walk.visit("/admin/tasks/progressreport/?q=1")
    violations += walk.visit("/admin/tasks/item/")
    # The admin's widgets as a superuser sees them, editable: filter_horizontal (SelectFilter
    # builds its two boxes), the date and time pickers, autocomplete (select2).
    User.objects.filter(username="admin").update(is_superuser=True)
    meeting = Meeting.objects.exclude(state=Meeting.State.CANCELLED).order_by("pk").first()
    assert meeting is not None
    violations += walk.visit(f"/admin/meetings/meeting/{meeting.pk}/change/")
    expect(page.locator(".selector-available").first).to_be_visible()
    page.locator(".datetimeshortcuts a").first.click()
    screenshot(page, "admin-meeting")
    violations += walk.visit("/admin/communities/membership/add/")
    page.locator(".select2-selection").first.click()
    expect(page.locator(".select2-results__option").first).to_be_visible()
    violations += walk.violations("admin autocomplete")
    screenshot(page, "admin-membership")
    violations += walk.visit("/admin/django_celery_beat/periodictask/")
    violations += walk.visit("/admin/auth/user/add/")

    # On a phone: the folded menu opens (static/js/menu.js) without inline code.
    page.set_viewport_size(PHONE)
    violations += walk.visit("/")
    page.locator("details.nav-menu > summary").click()
    expect(page.locator("details.nav-menu")).to_have_attribute("open", "")
    screenshot(page, "phone-menu")
    violations += walk.visit("/dashboard/?year=2017&month=10")
    expect(page.locator("#chart-trend")).to_have_attribute("data-drawn", "true")
    screenshot(page, "phone-dashboard")

    assert violations == [], "\n".join(violations)
    assert [line for line in walk.console if "Content Security Policy" in line] == []
    assert walk.console == []


def test_the_walk_sees_a_violation_where_there_is_one(
    live_server: LiveServer, demo_street: Checklist, page: Page
) -> None:
    """The harness itself: an inline script added to a portal page is refused and reported."""
    walk = Walk(page, live_server.url)
    walk.visit("/accounts/login/")
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.__ran = true";
            document.body.append(script);
        }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.__ran === true") is False
    assert any("script-src" in line for line in walk.violations("login"))
