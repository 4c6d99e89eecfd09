"""Headless Chromium for the browser journeys: Debian's ``chromium`` package, driven by
Playwright. Playwright never downloads a browser here (``playwright install`` is not used);
without ``/usr/bin/chromium`` every browser test is skipped, and ``.ci/run`` installs it."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Error,
    Page,
    Request,
    ViewportSize,
    sync_playwright,
)

# Playwright's sync API keeps an asyncio event loop running in the test thread, so Django
# takes every ORM call the test makes (fixtures creating users, loading the checklist) for
# one made from async code and raises SynchronousOnlyOperation. Nothing async touches the
# database here; this is Django's documented switch for exactly this case.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
# The machines have no network but the package registries: nothing may reach out, and
# Chromium runs as root, hence no sandbox.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

Screenshot = Callable[[Page, str], Path]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    browser_dir = Path(__file__).resolve().parent
    for item in items:
        if browser_dir in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _open_page(browser: Browser, **context_options: Any) -> Iterator[Page]:
    # A person in Shanghai: the portal answers in Chinese to a Chinese browser.
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **context_options)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def viewport() -> ViewportSize:
    """The ``page`` fixture's window; a test picks another with
    ``@pytest.mark.parametrize("viewport", [{"width": 768, "height": 1024}])``."""
    return DESKTOP


@pytest.fixture
def page(browser: Browser, viewport: ViewportSize) -> Iterator[Page]:
    """A fresh page in a context of its own: no cookies or storage from another test."""
    yield from _open_page(browser, viewport=viewport)


@pytest.fixture
def phone_page(browser: Browser) -> Iterator[Page]:
    """A page as a phone shows it: 390×844, touch, the page's own ``meta viewport``."""
    yield from _open_page(
        browser, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Screenshot:
    """``screenshot(page, "login")`` saves the whole page as
    ``test-artifacts/screenshots/<test name>/<nn>-login.png``, numbered in the order taken."""
    folder = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    taken = 0

    def take(page: Page, name: str) -> Path:
        nonlocal taken
        taken += 1
        path = folder / f"{taken:02d}-{name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return take


@dataclass
class PageEvents:
    """What a page said on its console and which addresses it asked for."""

    errors: list[str] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)

    def requests_elsewhere_than(self, origin: str) -> list[str]:
        here = urlsplit(origin).netloc
        return [
            url
            for url in self.requested
            if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).netloc != here
        ]


def _watch(page: Page) -> PageEvents:
    events = PageEvents()

    def on_console(message: ConsoleMessage) -> None:
        url = message.location.get("url", "")
        if message.type == "error":
            events.errors.append(f"{message.text} ({url})")

    def on_page_error(error: Error) -> None:
        events.errors.append(f"{error.name}: {error.message}")

    def on_request(request: Request) -> None:
        events.requested.append(request.url)

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.on("request", on_request)
    return events
