"""What every page's layout gives: a skip link, the favicon, the current navigation entry
marked for screen readers, messages announced (errors as alerts), the phone menu."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client


def test_the_current_navigation_entry_is_marked(client: Client, community_one_staff: User) -> None:
    client.force_login(community_one_staff)

    html = client.get("/meetings/").content.decode()

    assert re.search(r'<a href="/meetings/" aria-current="page">会议</a>', html)
    assert len(re.findall(r'aria-current="page"', html)) == 1


def test_a_dashboard_sub_page_marks_its_section(client: Client, street_admin: User) -> None:
    client.force_login(street_admin)

    html = client.get("/dashboard/matrix/").content.decode()

    assert '<a href="/dashboard/" aria-current="true">看板</a>' in html


@pytest.mark.django_db
def test_every_page_starts_with_the_skip_link_and_shows_the_favicon(client: Client) -> None:
    html = client.get("/accounts/login/").content.decode()

    body = html.split("<body>", 1)[1].lstrip()
    assert body.startswith('<a class="skip-link" href="#main">跳到正文</a>')
    assert '<main id="main"' in html
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    assert 'href="data:,"' not in html
    assert (settings.BASE_DIR / "static" / "favicon.svg").read_text().startswith("<svg")


def test_the_header_folds_into_a_menu_that_keeps_logout_and_the_language_switch(
    client: Client, community_one_staff: User
) -> None:
    client.force_login(community_one_staff)

    html = client.get("/meetings/").content.decode()
    menu = html.split('<details class="nav-menu" open>', 1)[1].split("</details>", 1)[0]

    assert "<summary>菜单</summary>" in menu
    assert 'action="/accounts/logout/"' in menu
    assert 'action="/i18n/setlang/"' in menu
    assert "/static/js/menu.js" in html


@pytest.mark.urls("tests.layout_urls")
@pytest.mark.django_db
def test_messages_are_announced_and_errors_as_alerts(client: Client) -> None:
    html = client.get("/test-errors/messages/").content.decode()

    assert '<p class="message success" role="status">已保存 3 项。</p>' in html
    assert '<p class="message error" role="alert">提交失败:第 8 项缺少佐证材料。</p>' in html
    assert '<p class="message info" role="status">没有改动,未保存。</p>' in html
