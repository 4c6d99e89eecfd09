"""The admin's 修改记录 (django-simple-history's history pages) and its login security
(django-axes' records, the lockout and the unlock) read wholly in Chinese in the Chinese
interface, and stay English in the English one (issue 15)."""

from __future__ import annotations

import html
import re

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities.models import Community
from tasks.models import Checklist, ProgressReport
from tests.conftest import assignment_of
from tests.filing import file_report

WRONG = "wrong-password"


def shown(client: Client, url: str) -> str:
    """What a person reads on the page: its text and its buttons' labels, spaces collapsed
    (the history list puts no-break spaces around its arrows)."""
    response = client.get(url)
    assert response.status_code == 200, url
    page = response.content.decode()
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    buttons = " ".join(re.findall(r'<input[^>]*type="submit"[^>]*value="([^"]*)"', page))
    text = html.unescape(re.sub(r"<[^>]+>", " ", page)) + " " + buttons
    return re.sub(r"\s+", " ", text)


def english_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def failed_logins(username: str, count: int) -> None:
    for _ in range(count):
        Client().post("/accounts/login/", {"username": username, "password": WRONG})


@pytest.fixture
def submitted_report(
    world: Checklist, community_one: Community, community_one_staff: User, august_3rd_2017: object
) -> ProgressReport:
    """One draft saved, then submitted: the history holds a 新增 and a change of the
    workflow state, the submitter and the submission time (each empty before)."""
    file_report(assignment_of(world, 1, community_one), community_one_staff)
    return file_report(assignment_of(world, 1, community_one), community_one_staff, submit=True)


@pytest.fixture
def security_admin(street_admin: User) -> User:
    """The login records are read by a superuser (no role holds axes' permissions)."""
    street_admin.is_superuser = True
    street_admin.save(update_fields=["is_superuser"])
    return street_admin


# The 修改记录 ---------------------------------------------------------------------------


def test_the_history_list_says_each_change_in_chinese_with_labels_names_and_local_times(
    client: Client, submitted_report: ProgressReport, street_admin: User
) -> None:
    client.force_login(street_admin)
    text = shown(client, reverse("admin:tasks_progressreport_history", args=[submitted_report.pk]))

    assert "查看历史记录" in text
    assert "修改内容" in text  # the column simple_history's catalog leaves as "Changes"
    assert "流程状态: 草稿 → 已提交" in text  # labels, not the codes draft → submitted
    assert "提交人: — → one" in text  # a person by name; nobody before is "—"
    assert "提交时间: — → 2017-08-03 10:00" in text  # Shanghai's time, not "02:00:00+00:00"
    for english in (
        "View history",
        "Change history",
        "Changes",
        "Change reason",
        "None",
        "Deleted",
        "pk=None",
        "draft",
        "submitted",
        "+00:00",
    ):
        assert english not in text, english


def test_a_past_version_names_the_app_and_the_model_in_chinese_and_offers_no_revert(
    client: Client, submitted_report: ProgressReport, street_admin: User
) -> None:
    client.force_login(street_admin)
    version = submitted_report.history.order_by("history_date").first()
    assert version is not None
    text = shown(
        client,
        reverse(
            "admin:tasks_progressreport_simple_history",
            args=[submitted_report.pk, version.history_id],
        ),
    )

    assert "首页 › 目标任务清单 › 进展月报 ›" in text
    assert "› 历史 › 查看 进展月报" in text
    assert "关闭" in text
    for english in ("Historical", "Tasks", "Revert", "Change History", "History", "Close"):
        assert english not in text, english


def test_the_history_list_asks_as_many_queries_however_many_changes(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    street_admin: User,
) -> None:
    """Each row names its object as it was (a report by its assignment's item and
    community): read once for the page, not once a row."""
    assignment = assignment_of(world, 1, community_one)
    report = file_report(assignment, community_one_staff, narrative="第一稿")
    client.force_login(street_admin)
    url = reverse("admin:tasks_progressreport_history", args=[report.pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    queries()  # the first request after logging in also renews the session
    few = queries()
    for number in range(4):
        file_report(assignment, community_one_staff, narrative=f"第{number + 2}稿")
    assert queries() == few


# Login security (django-axes) ----------------------------------------------------------


def test_the_login_records_read_in_chinese_from_the_app_list_to_each_record(
    client: Client, security_admin: User, community_one_staff: User, community_two_staff: User
) -> None:
    failed_logins("one", 5)  # locked
    failed_logins("two", 2)  # 3 tries left
    login = AccessLog.objects.create(
        username="two", user_agent="test", path_info="/accounts/login/"
    )
    client.force_login(security_admin)
    attempt = AccessAttempt.objects.get(username="one")
    failure = AccessFailureLog.objects.filter(username="one", locked_out=True).first()
    assert failure is not None

    index = shown(client, reverse("admin:app_list", args=["axes"]))
    assert "登录安全" in index
    assert "登录失败计数" in index and "登录失败记录" in index and "登录记录" in index

    attempts = shown(client, reverse("admin:axes_accessattempt_changelist"))
    for chinese in ("登录时间", "IP 地址", "浏览器标识", "路径", "失败次数", "状态", "已锁定"):
        assert chinese in attempts, chinese
    assert "还可尝试 3 次" in attempts
    assert "清理已过期的登录失败计数" in attempts  # the action, in its select
    failures = shown(client, reverse("admin:axes_accessfailurelog_changelist"))
    assert "触发锁定" in failures
    logins = shown(client, reverse("admin:axes_accesslog_changelist"))
    assert "退出时间" in logins

    attempt_page = shown(client, reverse("admin:axes_accessattempt_change", args=[attempt.pk]))
    assert "one 的登录失败计数(" in attempt_page
    assert "表单数据" in attempt_page and "请求信息" in attempt_page
    failure_page = shown(client, reverse("admin:axes_accessfailurelog_change", args=[failure.pk]))
    assert "one 登录失败并被锁定(" in failure_page
    login_page = shown(client, reverse("admin:axes_accesslog_change", args=[login.pk]))
    assert "two 的登录(" in login_page

    for page in (index, attempts, failures, logins, attempt_page, failure_page, login_page):
        for english in (
            "Axes",
            "Access attempt",
            "access attempt",
            "Access failure",
            "access failure",
            "Access log",
            "access log",
            "Attempt Time",
            "IP Address",
            "User Agent",
            "Failed Logins",
            "Locked Out",
            "Attempt Remaining",
            "Attempted Access",
            "Failed access",
            "Logout Time",
            "Access lock out",
            "Form Data",
            "Meta Data",
            "Status",
            "Path",
            "Model name",
        ):
            assert english not in page, english


def test_unlocking_by_deleting_the_attempts_and_cleaning_up_say_so_in_chinese(
    client: Client, security_admin: User, community_one_staff: User
) -> None:
    failed_logins("one", 5)
    attempt = AccessAttempt.objects.get(username="one")
    client.force_login(security_admin)

    confirm = shown(client, reverse("admin:axes_accessattempt_delete", args=[attempt.pk]))
    assert "one 的登录失败计数(" in confirm
    assert "Attempted Access" not in confirm and "access attempt" not in confirm
    deleted = client.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}, follow=True
    ).content.decode()
    assert "成功删除了 登录失败计数“one 的登录失败计数(" in deleted
    assert not AccessAttempt.objects.filter(username="one").exists()

    cleaned = client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "cleanup_expired_attempts", "_selected_action": ["0"]},
        follow=True,
    ).content.decode()
    assert "已清理 0 条过期的登录失败计数。" in cleaned
    assert "Cleaned up" not in cleaned


# The English interface -----------------------------------------------------------------


def test_the_english_interface_keeps_these_pages_english(
    submitted_report: ProgressReport, security_admin: User, community_one_staff: User
) -> None:
    failed_logins("one", 5)
    client = english_client(security_admin)

    history = shown(
        client, reverse("admin:tasks_progressreport_history", args=[submitted_report.pk])
    )
    assert "View history" in history and "Changes" in history
    assert "Workflow state: Draft → Submitted" in history
    attempts = shown(client, reverse("admin:axes_accessattempt_changelist"))
    for english in ("Access attempts", "Attempt Time", "IP Address", "Failed Logins"):
        assert english in attempts, english
    for chinese in ("修改内容", "草稿", "登录时间", "浏览器标识", "失败次数"):
        assert chinese not in history + attempts, chinese
