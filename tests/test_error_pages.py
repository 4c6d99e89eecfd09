"""The error pages people meet: in Chinese, in the portal's layout, with the status code,
saying what to do next; with DEBUG off as in production, and the 403/404 pages with DEBUG
on too. The 500 page renders when the database cannot be reached."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tasks.models import Checklist

pytestmark = pytest.mark.urls("tests.layout_urls")


def _in_the_layout(html: str) -> None:
    assert '<html lang="zh-hans">' in html
    assert 'class="container site-header"' in html
    assert "宜居家园目标任务" in html
    assert 'href="#main"' in html and "跳到正文" in html
    assert "/static/css/yijia.css" in html


# --- 404 ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_address_that_does_not_exist_says_so_in_chinese(client: Client) -> None:
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    _in_the_layout(html)
    assert "没有找到这个页面" in html
    assert "这个地址不存在" in html
    assert 'href="/"' in html  # 回到首页
    assert "Not Found" not in html


def test_a_report_not_found_says_why_to_a_signed_in_worker(
    client: Client, community_one_staff: User
) -> None:
    client.force_login(community_one_staff)

    response = client.get("/reports/999999/")

    assert response.status_code == 404
    html = response.content.decode()
    _in_the_layout(html)
    assert "没有找到这份月报,或您无权查看。" in html
    assert 'class="who"' in html  # the header knows who is signed in
    assert "退出" in html


@pytest.mark.parametrize("address", ["/no-such-page/", "/reports/999999/"])
def test_with_debug_on_the_portal_s_404_page_shows_instead_of_django_s(
    client: Client, community_one_staff: User, settings: Any, address: str
) -> None:
    settings.DEBUG = True
    client.force_login(community_one_staff)

    response = client.get(address)

    assert response.status_code == 404
    html = response.content.decode()
    _in_the_layout(html)
    assert "没有找到这个页面" in html
    assert "Using the URLconf" not in html
    assert "You’re seeing this error because you have" not in html


def test_with_debug_on_an_address_without_its_slash_still_redirects(
    client: Client, community_one_staff: User, settings: Any
) -> None:
    settings.DEBUG = True
    client.force_login(community_one_staff)

    response = client.get("/meetings")

    assert response.status_code == 301
    assert response["Location"] == "/meetings/"


# --- 403 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("debug", [False, True])
def test_a_page_refused_says_why_and_what_the_worker_may_do_instead(
    client: Client, community_one_staff: User, settings: Any, debug: bool
) -> None:
    settings.DEBUG = debug
    client.force_login(community_one_staff)

    response = client.get("/dashboard/")

    assert response.status_code == 403
    html = response.content.decode()
    _in_the_layout(html)
    assert "没有访问权限" in html
    assert "完成情况看板只对街道管理员、街道领导和牵头单位开放。" in html
    assert "回到首页" in html
    assert "请联系街道联席办(街道管理员)为您开通权限" in html
    # Signing in as someone else: log out, then the login page comes back here.
    assert 'action="/accounts/logout/"' in html
    assert 'name="next" value="/accounts/login/?next=/dashboard/"' in html
    assert "退出并以其他账号登录" in html


def test_signing_in_as_another_user_from_the_403_page_returns_to_the_login_page(
    client: Client, community_one_staff: User
) -> None:
    client.force_login(community_one_staff)

    response = client.post(
        "/accounts/logout/", {"next": "/accounts/login/?next=/dashboard/"}, follow=False
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/dashboard/"


@pytest.mark.django_db
def test_a_refusal_to_someone_not_signed_in_offers_to_sign_in(client: Client) -> None:
    response = client.get("/test-errors/forbidden/")

    assert response.status_code == 403
    html = response.content.decode()
    _in_the_layout(html)
    assert "您的账号不能打开这个页面或进行这项操作。" in html
    assert 'href="/accounts/login/?next=/test-errors/forbidden/"' in html
    assert "退出并以其他账号登录" not in html


# --- 400 ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_bad_request_gets_the_chinese_400_page(client: Client) -> None:
    response = client.get("/test-errors/bad-request/")

    assert response.status_code == 400
    html = response.content.decode()
    _in_the_layout(html)
    assert "请求无法处理" in html
    assert "<script>" not in html  # the request's own text is not echoed


def test_a_bad_request_from_a_signed_in_worker_keeps_the_header(
    client: Client, community_one_staff: User
) -> None:
    client.force_login(community_one_staff)

    response = client.get("/test-errors/bad-request/")

    assert response.status_code == 400
    html = response.content.decode()
    _in_the_layout(html)
    assert "请求无法处理" in html
    assert 'class="who"' in html


@pytest.mark.django_db
def test_a_host_the_portal_does_not_serve_gets_the_400_page(client: Client) -> None:
    response = client.get("/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert "请求无法处理" in response.content.decode()


# --- 500 ---------------------------------------------------------------------------------


def test_the_500_page_renders_without_the_database() -> None:
    """No ``db`` fixture: pytest-django refuses every query, as a database that is down
    would. The view's query fails, and the 500 page still renders."""
    client = Client(raise_request_exception=False)

    response = client.get("/test-errors/server-error/")

    assert response.status_code == 500
    html = response.content.decode()
    _in_the_layout(html)
    assert "系统出错了" in html
    assert "错误代码 500" in html
    assert "请联系街道联席办(街道管理员)" in html


def test_a_signed_in_worker_meeting_a_bug_gets_the_500_page(
    community_one_staff: User, checklist_2017: Checklist
) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(community_one_staff)

    response = client.get("/test-errors/server-error/")

    assert response.status_code == 500
    html = response.content.decode()
    _in_the_layout(html)
    assert "系统出错了" in html


# --- CSRF --------------------------------------------------------------------------------


def test_a_form_sent_without_its_security_token_gets_the_chinese_page(
    community_one_staff: User,
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(community_one_staff)

    response = client.post("/notifications/read-all/")

    assert response.status_code == 403
    html = response.content.decode()
    _in_the_layout(html)
    assert "页面已过期,提交没有成功" in html
    assert "刷新页面后重新填写并提交" in html
    assert "技术原因" not in html  # Django's reason only with DEBUG on
    assert 'class="who"' in html


@pytest.mark.django_db
def test_a_login_sent_without_its_security_token_offers_to_sign_in_again(
    settings: Any,
) -> None:
    settings.DEBUG = True
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"username": "one", "password": "x"})

    assert response.status_code == 403
    html = response.content.decode()
    _in_the_layout(html)
    assert "页面已过期,提交没有成功" in html
    assert 'href="/accounts/login/"' in html
    assert "技术原因(仅在开发模式下显示)" in html
    assert "CSRF cookie not set." in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("person", "address", "sentence"),
    [
        (
            "community_one_staff",
            "/dashboard/",
            "完成情况看板只对街道管理员、街道领导和牵头单位开放。",
        ),
        ("leader", "/workspace/", "您不负责填报任何任务。"),
    ],
)
def test_each_role_refused_a_page_reads_why_in_the_layout(
    client: Client, request: pytest.FixtureRequest, person: str, address: str, sentence: str
) -> None:
    user = request.getfixturevalue(person)
    client.force_login(user)

    response = client.get(address)

    assert response.status_code == 403
    html = response.content.decode()
    _in_the_layout(html)
    assert sentence in html
    assert f"当前登录的是 {user.first_name}。" in html
