"""The production cache (``core.redis_cache.RedisCache``, ``CACHE_URL=redis://…``) against a
real Redis: what one process stores another reads, sessions live in it, and the Redis client
is made once per pool rather than once per call. Skipped where no Redis answers (a fresh
machine without one); ``.ci/run`` has one."""

from __future__ import annotations

import os
import socket
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.test import Client
from pytest_django.fixtures import Settings

from core.redis_cache import RedisCache


def _redis_url() -> str:
    broker = os.environ.get("CELERY_BROKER_URL", "")
    base = broker if broker.startswith("redis://") else "redis://127.0.0.1:6379/0"
    parts = urlsplit(base)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 1).close()
    except OSError:
        pytest.skip("no Redis answers here")
    return f"{parts.scheme}://{parts.netloc}/15"


@pytest.fixture
def redis_url() -> str:
    return _redis_url()


def test_two_processes_share_values_and_reuse_one_client(redis_url: str) -> None:
    one = RedisCache(redis_url, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    other = RedisCache(redis_url, {"KEY_PREFIX": one.key_prefix})
    one.set("figures", {"received": 3}, 60)
    one.set_many({"a": 1, "b": 2}, 60)
    assert other.get("figures") == {"received": 3}
    assert other.get_many(["a", "b", "c"]) == {"a": 1, "b": 2}
    assert other.add("a", 5) is False and other.incr("a") == 2
    other.delete_many(["a", "b", "figures"])
    assert one.get_many(["a", "b", "figures"]) == {}
    clients: Any = one._cache  # type: ignore[attr-defined]  # Django's private client wrapper
    assert clients.get_client(write=True) is clients.get_client()  # one pool, one client


@pytest.mark.django_db
def test_a_signed_in_session_is_kept_in_redis(
    redis_url: str, settings: Settings, street_admin: User
) -> None:
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "core.redis_cache.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        },
    }
    client = Client()
    client.force_login(street_admin)
    assert client.get("/").status_code == 200
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert caches["default"].get(f"django.contrib.sessions.cached_db{session_key}") is not None
    assert client.get("/dashboard/").status_code == 200
