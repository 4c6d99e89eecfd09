"""Accounts as 等保 2.0 asks: lockout after failed logins, a log of every login, idle
sessions that end, strong passwords, and a header that says who is logged in."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group, User
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from pytest_django.fixtures import Settings

from communities.accounts import CharacterClassesValidator
from communities.models import Community, Membership
from communities.roles import Role
from tasks.models import Checklist

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse

SHANGHAI = ZoneInfo("Asia/Shanghai")
A_MONDAY_MORNING = datetime(2017, 6, 12, 9, 0, tzinfo=SHANGHAI)
PASSWORD = "Xincheng-2017"
OFFICE_ADDRESS = "10.20.30.40"  # the street office's one NAT address


@pytest.fixture
def alice(django_user_model: type[User]) -> User:
    return django_user_model.objects.create_user("alice", password=PASSWORD)


@pytest.fixture
def bob(django_user_model: type[User]) -> User:
    return django_user_model.objects.create_user("bob", password=PASSWORD)


def _log_in(
    client: Client, username: str, password: str, address: str = OFFICE_ADDRESS, **headers: Any
) -> _MonkeyPatchedWSGIResponse:
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        **headers,
    )


def _change_password(
    client: Client, old: str, new: str, *, follow: bool = False
) -> _MonkeyPatchedWSGIResponse:
    return client.post(
        "/accounts/password_change/",
        {"old_password": old, "new_password1": new, "new_password2": new},
        follow=follow,
    )


def _logged_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def test_a_wrong_password_shows_the_chinese_error_and_keeps_the_username(
    client: Client, alice: User
) -> None:
    response = _log_in(client, "alice", "wrong-password")
    page = response.content.decode()
    assert response.status_code == 200
    assert "请输入一个正确的用户名和密码。" in page
    assert 'value="alice"' in page
    assert _logged_in_user_id(client) is None


def test_five_wrong_passwords_lock_the_username_for_thirty_minutes(
    client: Client, alice: User, bob: User
) -> None:
    with time_machine.travel(A_MONDAY_MORNING, tick=False) as traveller:
        for _ in range(4):
            assert _log_in(client, "alice", "wrong-password").status_code == 200
        assert _log_in(client, "alice", "wrong-password").status_code == 429

        response = _log_in(client, "alice", PASSWORD)
        page = response.content.decode()
        assert response.status_code == 429
        assert "账号已锁定" in page
        assert "该账号连续 5 次登录失败,已被锁定 30 分钟。" in page
        assert "请联系街道管理员" in page
        assert _logged_in_user_id(client) is None

        # Counted per username: a colleague behind the same NAT address still logs in.
        colleague = Client()
        assert _log_in(colleague, "bob", PASSWORD).status_code == 302
        assert colleague.session["_auth_user_id"] == str(bob.pk)

        traveller.shift(timedelta(minutes=31))
        response = _log_in(client, "alice", PASSWORD)
        assert response.status_code == 302
        assert response["Location"] == "/"
        assert _logged_in_user_id(client) == str(alice.pk)


def test_failures_from_different_addresses_and_browsers_add_up(client: Client, alice: User) -> None:
    for number in range(1, 6):
        address, browser = f"10.0.0.{number}", f"browser {number}"
        _log_in(client, "alice", "wrong-password", address, HTTP_USER_AGENT=browser)
    assert AccessAttempt.objects.filter(username="alice").count() == 5
    assert _log_in(client, "alice", PASSWORD, "10.0.0.6").status_code == 429


def test_a_successful_login_forgets_the_earlier_failures(client: Client, alice: User) -> None:
    with time_machine.travel(A_MONDAY_MORNING, tick=False):
        for _ in range(4):
            _log_in(client, "alice", "wrong-password")
        assert _log_in(client, "alice", PASSWORD).status_code == 302
        assert not AccessAttempt.objects.filter(username="alice").exists()

        client.post("/accounts/logout/")
        for _ in range(4):
            assert _log_in(client, "alice", "wrong-password").status_code == 200
        assert _log_in(client, "alice", PASSWORD).status_code == 302


def test_every_login_is_logged_with_user_address_and_time(client: Client, alice: User) -> None:
    with time_machine.travel(A_MONDAY_MORNING, tick=False) as traveller:
        _log_in(client, "alice", "wrong-password")
        failure = AccessFailureLog.objects.get()
        assert (failure.username, failure.ip_address) == ("alice", OFFICE_ADDRESS)
        assert failure.attempt_time == A_MONDAY_MORNING
        assert failure.locked_out is False

        traveller.shift(timedelta(minutes=1))
        _log_in(client, "alice", PASSWORD)
        access = AccessLog.objects.get()
        assert (access.username, access.ip_address) == ("alice", OFFICE_ADDRESS)
        assert access.attempt_time == A_MONDAY_MORNING + timedelta(minutes=1)
        assert access.logout_time is None

        traveller.shift(timedelta(minutes=10))
        client.post("/accounts/logout/")
        access.refresh_from_db()
        assert access.logout_time == A_MONDAY_MORNING + timedelta(minutes=11)


def test_behind_a_proxy_the_log_records_the_address_the_proxy_forwarded(
    client: Client, alice: User, settings: Settings
) -> None:
    proxy = "10.0.0.1"
    # The browser put the first address there itself; only the proxy's entry is trusted.
    forwarded_for = "198.51.100.7, 203.0.113.9"

    _log_in(client, "alice", "wrong-password", address=proxy, HTTP_X_FORWARDED_FOR=forwarded_for)
    assert AccessFailureLog.objects.get().ip_address == proxy

    settings.PROXY_COUNT = 1
    _log_in(client, "alice", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR=forwarded_for)
    assert AccessLog.objects.get().ip_address == "203.0.113.9"


def test_a_session_ends_after_thirty_idle_minutes_and_each_request_renews_it(
    client: Client, alice: User
) -> None:
    with time_machine.travel(A_MONDAY_MORNING, tick=False) as traveller:
        _log_in(client, "alice", PASSWORD)
        assert client.session.get_expiry_age() == 1800
        assert client.cookies["sessionid"]["max-age"] == ""  # gone when the browser closes

        traveller.shift(timedelta(minutes=29))
        assert client.get("/accounts/password_change/").status_code == 200
        session = Session.objects.get(session_key=client.session.session_key)
        assert session.expire_date == A_MONDAY_MORNING + timedelta(minutes=29 + 30)

        traveller.shift(timedelta(minutes=31))
        response = client.get("/accounts/password_change/")
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/?next=/accounts/password_change/"


@pytest.mark.parametrize(
    ("weak_password", "message"),
    [
        ("12345678", "密码太短,至少需要 10 个字符。"),
        ("12345678", "密码只包含数字。"),
        ("password123", "这个密码太常见了。"),
        ("password123", "密码须包含小写字母、大写字母、数字、符号中的至少 3 类。"),
    ],
)
def test_a_weak_new_password_is_refused_in_chinese_and_nothing_changes(
    client: Client, alice: User, weak_password: str, message: str
) -> None:
    _log_in(client, "alice", PASSWORD)
    response = _change_password(client, PASSWORD, weak_password)
    assert response.status_code == 200
    assert message in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_a_strong_new_password_is_taken_and_the_user_stays_logged_in(
    client: Client, alice: User
) -> None:
    _log_in(client, "alice", PASSWORD)
    assert "密码须包含小写字母、大写字母、数字、符号中的至少 3 类。" in (
        client.get("/accounts/password_change/").content.decode()
    )
    response = _change_password(client, PASSWORD, "Jiading#2018", follow=True)
    assert response.redirect_chain == [("/accounts/password_change/done/", 302)]
    assert "密码已修改" in response.content.decode()
    assert _logged_in_user_id(client) == str(alice.pk)
    alice.refresh_from_db()
    assert alice.check_password("Jiading#2018")


def test_a_wrong_old_password_is_shown_at_its_field(client: Client, alice: User) -> None:
    _log_in(client, "alice", PASSWORD)
    response = _change_password(client, "not-it", "Jiading#2018")
    assert 'id="id_old_password_errors"' in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


@pytest.mark.parametrize("password", ["abcdefghij1", "ABCDEFGHIJ-", "社区工作人员的密码12"])
def test_a_password_of_fewer_than_three_kinds_of_character_is_refused(password: str) -> None:
    with pytest.raises(ValidationError) as refused:
        CharacterClassesValidator().validate(password)
    assert refused.value.messages == ["密码须包含小写字母、大写字母、数字、符号中的至少 3 类。"]


@pytest.mark.parametrize("password", ["Abcdefghij1", "abcdefghij-1", "Xincheng-2017", "社区a1"])
def test_a_password_of_three_kinds_of_character_is_taken(password: str) -> None:
    CharacterClassesValidator().validate(password)


def test_every_page_header_says_who_is_logged_in_in_which_role_and_where(
    client: Client, checklist_2017: Checklist, community_one: Community, alice: User
) -> None:
    alice.groups.add(Group.objects.get(name=Role.COMMUNITY_STAFF))
    Membership.objects.create(user=alice, community=community_one)
    response = _log_in(client, "alice", PASSWORD)
    page = client.get(response["Location"]).content.decode()
    assert '<li class="who">alice · 社区人员 · 示例社区一</li>' in page
    assert "修改密码" in page
