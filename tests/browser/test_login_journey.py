"""A street worker signs in, lands on the home page and opens the year's checklist: the
journey that proves the browser setup, and that the portal loads nothing from outside its
own server."""

from __future__ import annotations

import re
import secrets

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from tasks.models import Checklist

from .conftest import Screenshot, _watch

# The live server answers from another thread: the test's rows must be committed to be seen.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def worker(django_user_model: type[User]) -> tuple[User, str]:
    password = secrets.token_urlsafe(18)
    user = django_user_model.objects.create_user("wangfang", password=password, first_name="王芳")
    return user, password


def test_a_worker_signs_in_and_sees_the_year_s_checklist(
    live_server: LiveServer,
    checklist_2017: Checklist,
    worker: tuple[User, str],
    page: Page,
    phone_page: Page,
    screenshot: Screenshot,
) -> None:
    user, password = worker
    events = _watch(page)

    page.goto(live_server.url + "/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    screenshot(page, "login")

    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(password)
    screenshot(page, "login-filled")
    page.get_by_role("button", name="登录").click()

    expect(page).to_have_url(f"{live_server.url}/")
    # The home page: the month being filed (the checklist's last month once its year is
    # past); this worker has no community yet, and is told whom to ask.
    expect(page.get_by_role("heading", name=re.compile(r"2017年\d+月进展"))).to_be_visible()
    expect(page.get_by_text("您的账号还没有分配社区或单位")).to_be_visible()
    expect(page.locator("header .who")).to_contain_text("王芳")
    screenshot(page, "home")

    assert events.errors == []
    assert events.requests_elsewhere_than(live_server.url) == []

    # The same page on a phone, signed in with the session the desktop login made.
    phone_events = _watch(phone_page)
    phone_page.context.add_cookies(page.context.cookies())  # type: ignore[arg-type]  # playwright types a read cookie and a cookie to set apart
    phone_page.goto(live_server.url + "/checklist/")
    expect(phone_page.get_by_role("heading", name="宜居·共建")).to_be_visible()
    screenshot(phone_page, "home-phone")

    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert phone_events.errors == []
    assert phone_events.requests_elsewhere_than(live_server.url) == []
