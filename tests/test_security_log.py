"""The security log (logger ``yijia.security``): logins that succeed or fail, a lockout
and the street admin's unlock, a request refused with 403 and every data export, each a
record with who, from which address and what. A locked-out colleague is unlocked from
the users' list in the admin, in Chinese."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from communities.models import Community
from tasks.models import Checklist

pytestmark = pytest.mark.django_db

PASSWORD = "Xincheng-2017"
OFFICE_ADDRESS = "10.20.30.40"


@pytest.fixture
def alice(django_user_model: type[User]) -> User:
    return django_user_model.objects.create_user("alice", password=PASSWORD)


@pytest.fixture
def security_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="yijia.security")
    return caplog


def events(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str, str | None]]:
    """(event, user, address) of each security record, in order."""
    return [
        (record.security_event, record.security_user, record.security_ip)  # type: ignore[attr-defined]
        for record in caplog.records
        if record.name == "yijia.security"
    ]


def details(caplog: pytest.LogCaptureFixture, event: str) -> list[dict[str, Any]]:
    return [
        record.security_details  # type: ignore[attr-defined]
        for record in caplog.records
        if record.name == "yijia.security" and record.security_event == event  # type: ignore[attr-defined]
    ]


def log_in(client: Client, username: str, password: str) -> Any:
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=OFFICE_ADDRESS,
    )


def test_a_login_and_a_failed_login_are_logged_with_user_and_address(
    client: Client, alice: User, security_log: pytest.LogCaptureFixture
) -> None:
    assert log_in(client, "alice", "wrong-password").status_code == 200
    assert log_in(client, "alice", PASSWORD).status_code == 302

    assert events(security_log) == [
        ("login_failed", "alice", OFFICE_ADDRESS),
        ("login", "alice", OFFICE_ADDRESS),
    ]
    [failed] = [r for r in security_log.records if r.name == "yijia.security"][:1]
    assert failed.levelno == logging.WARNING
    assert failed.getMessage().startswith("login_failed user=alice ip=10.20.30.40")
    assert PASSWORD not in security_log.text and "wrong-password" not in security_log.text


def test_a_lockout_is_logged_and_the_street_admin_unlocks_it_in_the_admin(
    client: Client, alice: User, street_admin: User, security_log: pytest.LogCaptureFixture
) -> None:
    for _ in range(5):
        log_in(client, "alice", "wrong-password")
    assert log_in(client, "alice", PASSWORD).status_code == 429
    assert ("lockout", "alice", OFFICE_ADDRESS) in events(security_log)
    security_log.clear()

    office = Client()
    office.force_login(street_admin)
    users = office.get(reverse("admin:auth_user_changelist")).content.decode()
    assert "解除所选用户的登录锁定" in users
    response = office.post(
        reverse("admin:auth_user_changelist"),
        {"action": "unlock_login", "_selected_action": [alice.pk]},
        follow=True,
    )

    assert "已解除 alice 的登录锁定,现在可以重新登录。" in response.content.decode()
    assert ("unlock", "admin", "127.0.0.1") in events(security_log)
    assert details(security_log, "unlock")[0]["account"] == "alice"
    assert log_in(client, "alice", PASSWORD).status_code == 302


def test_unlocking_someone_not_locked_says_so(
    alice: User, street_admin: User, security_log: pytest.LogCaptureFixture
) -> None:
    office = Client()
    office.force_login(street_admin)
    response = office.post(
        reverse("admin:auth_user_changelist"),
        {"action": "unlock_login", "_selected_action": [alice.pk]},
        follow=True,
    )
    assert "所选用户没有被锁定,也没有登录失败记录。" in response.content.decode()


def test_a_request_refused_with_403_is_logged(
    client: Client, world: Checklist, leader: User, security_log: pytest.LogCaptureFixture
) -> None:
    client.force_login(leader)
    community = Community.objects.first()
    assert community is not None

    response = client.post(f"/assessments/communities/{community.pk}/adjust/?year=2017", {})

    assert response.status_code == 403
    denied = [event for event in events(security_log) if event[0] == "permission_denied"]
    assert denied == [("permission_denied", "leader", "127.0.0.1")]
    assert details(security_log, "permission_denied")[0]["path"] == (
        f"/assessments/communities/{community.pk}/adjust/"
    )


def test_a_ledger_and_an_admin_export_are_logged(
    client: Client,
    world: Checklist,
    street_admin: User,
    admin_client: Client,
    community_one: Community,
    security_log: pytest.LogCaptureFixture,
) -> None:
    client.force_login(street_admin)
    assert client.get("/ledger/month/", {"year": "2017", "month": "7"}).status_code == 200
    export = admin_client.post(
        reverse("admin:communities_compound_export"), {"format": "0", "resource": "0"}
    )
    assert export.status_code == 200

    assert [event for event in events(security_log) if event[0] == "export"] == [
        ("export", "admin", "127.0.0.1"),
        ("export", "admin", "127.0.0.1"),
    ]
    ledger, compounds = details(security_log, "export")
    assert ledger["path"] == "/ledger/month/" and ledger["what"].endswith(".xlsx")
    assert compounds["what"] == "admin:communities.compound"
