"""Tokens and throttling: ``manage.py api_token`` issues a user's token (and renews it);
a token of an inactive user or a wrong one is refused; requests beyond the configured rate
per user are answered 429."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from pytest_django.fixtures import Settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.api import token_client
from yijia.settings import envrate


def _command(*args: str) -> str:
    out = StringIO()
    call_command("api_token", *args, stdout=out)
    return out.getvalue().strip()


@pytest.mark.django_db
def test_the_command_prints_the_user_s_token_and_renews_it_on_request(
    community_one_staff: User,
) -> None:
    key = _command("one")
    assert key == Token.objects.get(user=community_one_staff).key
    assert _command("one") == key

    renewed = _command("one", "--renew")

    assert renewed != key
    old = APIClient()
    old.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert old.get("/api/v1/checklists/").status_code == 401
    new = APIClient()
    new.credentials(HTTP_AUTHORIZATION=f"Token {renewed}")
    assert new.get("/api/v1/checklists/").status_code == 200
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        _command("nobody")


@pytest.mark.django_db
def test_an_inactive_user_s_token_is_refused(community_one_staff: User) -> None:
    client = token_client(community_one_staff)
    community_one_staff.is_active = False
    community_one_staff.save(update_fields=["is_active"])
    response = client.get("/api/v1/checklists/")
    assert response.status_code == 401
    assert response.json()["detail"] == "用户未激活或者已删除。"
    with pytest.raises(CommandError, match="已停用"):
        _command("one")


@pytest.mark.django_db
def test_requests_beyond_the_rate_are_throttled_per_user(
    settings: Settings, community_one_staff: User, community_two_staff: User
) -> None:
    settings.API_THROTTLE_RATE = "3/minute"
    one, two = token_client(community_one_staff), token_client(community_two_staff)
    assert [one.get("/api/v1/checklists/").status_code for _ in range(3)] == [200] * 3

    refused = one.get("/api/v1/checklists/")

    assert refused.status_code == 429
    assert "Retry-After" in refused
    assert two.get("/api/v1/checklists/").status_code == 200  # another user's own count


@pytest.mark.django_db
def test_writes_have_their_own_rate(settings: Settings, community_one_staff: User) -> None:
    settings.API_WRITE_THROTTLE_RATE = "1/minute"
    client = token_client(community_one_staff)
    assert client.post("/api/v1/reports/", {}, format="json").status_code == 400
    assert client.post("/api/v1/reports/", {}, format="json").status_code == 429
    assert client.get("/api/v1/reports/").status_code == 200  # reading goes on


def test_a_rate_that_does_not_read_like_one_is_refused_at_startup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("API_THROTTLE_RATE", "1000 per hour")
    with pytest.raises(ImproperlyConfigured, match="1000/hour"):
        envrate("API_THROTTLE_RATE", "2000/hour")
    monkeypatch.setenv("API_THROTTLE_RATE", "20/minute")
    assert envrate("API_THROTTLE_RATE", "2000/hour") == "20/minute"
