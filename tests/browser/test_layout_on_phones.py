"""The layout on a desktop and on a 390 px phone: the header fits the phone and folds into
a menu that keeps the language switch and logout within reach, wide tables scroll inside
the page, the skip link is the first stop of the keyboard. Screenshots of the header, the
briefing and an error page at both widths (test-artifacts/screenshots/)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from tasks.models import Item

from .conftest import Screenshot, _watch

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BRIEFING = "/dashboard/briefing/?year=2017&month=10"


@pytest.fixture
def late_november_2017() -> Iterator[None]:
    moment = datetime(2017, 11, 20, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=True):
        yield


def _sign_in(page: Page, base: str, user: User) -> None:
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base}]
    )


def _header_width(page: Page) -> float:
    return float(page.evaluate("document.querySelector('header').scrollWidth"))


def test_the_header_folds_into_a_menu_on_a_phone_and_tables_scroll_sideways(
    late_november_2017: None,
    live_server: LiveServer,
    street_admin: User,
    page: Page,
    phone_page: Page,
    screenshot: Screenshot,
) -> None:
    base = live_server.url
    _sign_in(page, base, street_admin)
    _sign_in(phone_page, base, street_admin)
    events = _watch(page)
    phone_events = _watch(phone_page)

    # A desktop: every link stands in the header, the menu's button is not there.
    page.goto(base + BRIEFING)
    header = page.locator("header")
    expect(header.get_by_role("button", name="退出")).to_be_visible()
    expect(header.get_by_role("button", name="English")).to_be_visible()
    expect(page.locator("details.nav-menu > summary")).to_be_hidden()
    expect(header.get_by_role("link", name="看板")).to_have_attribute("aria-current", "true")
    expect(page.locator("table.late-list tbody").first).to_be_visible()
    assert _header_width(page) <= 1280
    shot = screenshot(page, "briefing-desktop")
    header.screenshot(path=shot.with_name(f"{shot.stem}-header.png"))

    # The skip link is the keyboard's first stop, and shows when it has the focus.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳到正文")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    # A phone: the header fits, folded; the menu opens on the language switch and logout.
    phone_page.goto(base + BRIEFING)
    phone_header = phone_page.locator("header")
    assert _header_width(phone_page) <= 390
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    expect(phone_header.get_by_role("button", name="退出")).to_be_hidden()
    shot = screenshot(phone_page, "briefing-phone")
    phone_header.screenshot(path=shot.with_name(f"{shot.stem}-header.png"))
    phone_page.locator("details.nav-menu > summary").click()
    expect(phone_header.get_by_role("button", name="退出")).to_be_visible()
    expect(phone_header.get_by_role("button", name="English")).to_be_visible()
    expect(phone_header.get_by_role("link", name="消息")).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone_page.screenshot(path=shot.with_name("menu-open.png"))
    phone_page.keyboard.press("Escape")
    expect(phone_header.get_by_role("button", name="退出")).to_be_hidden()

    # A wide table scrolls inside its own box: no cell is squeezed to one character.
    narrowest = phone_page.evaluate(
        "Math.min(...[...document.querySelectorAll('main table td:not(.number)')]"
        ".map(td => td.getBoundingClientRect().width))"
    )
    assert narrowest >= 60  # px: four or more characters a line, not one
    phone_page.locator("table.late-list").scroll_into_view_if_needed()
    phone_page.screenshot(path=shot.with_name("late-table-phone.png"))

    # Pages whose tables carry a visually hidden header (the action column): the page
    # itself does not scroll sideways, only the table inside its box, which must hold the
    # hidden text (an absolutely placed span escapes a box that is not positioned, and
    # widened the demo's item page to 482 px).
    item = Item.objects.get(checklist__year=2017, number=1)
    for address in (f"/items/{item.pk}/", "/meetings/", "/review/"):
        phone_page.goto(base + address)
        wide = phone_page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        escaping = phone_page.evaluate(
            "[...document.querySelectorAll('main table .visually-hidden')]"
            ".filter(span => span.offsetParent !== span.closest('table')).length"
        )
        assert (wide, escaping) == (False, 0), address

    assert events.errors == [] and phone_events.errors == []

    # An error page at both widths (the browser logs the 404 status itself).
    page.goto(base + "/no-such-page/")
    expect(page.get_by_role("heading", name="没有找到这个页面")).to_be_visible()
    screenshot(page, "not-found-desktop")
    phone_page.goto(base + "/no-such-page/")
    expect(phone_page.get_by_role("heading", name="没有找到这个页面")).to_be_visible()
    assert _header_width(phone_page) <= 390
    screenshot(phone_page, "not-found-phone")

    assert events.requests_elsewhere_than(base) == []
    assert phone_events.requests_elsewhere_than(base) == []
