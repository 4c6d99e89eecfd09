"""What production adds around the pages: security headers on every response, /healthz for
the load balancer and monitoring, static files served by whitenoise under hashed names, and
the security log in a file of its own (docs/deployment.md)."""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path
from unittest.mock import ANY

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from pytest_django.fixtures import Settings

from notifications.models import OutboxMessage

ROOT = Path(__file__).resolve().parent.parent


def _csp(response: object) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]  # type: ignore[attr-defined]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


# Headers ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/accounts/login/", "/", "/dashboard/", "/admin/", "/admin/auth/user/", "/no-such-page/"],
)
def test_every_page_has_a_content_security_policy_without_inline_code(
    client: Client, street_admin: User, path: str
) -> None:
    if path != "/accounts/login/":
        client.force_login(street_admin)
    response = client.get(path)
    assert response.status_code in (200, 404), response.status_code
    policy = _csp(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    header = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "geolocation=()" in response.headers["Permissions-Policy"]


@pytest.mark.django_db
def test_signed_in_pages_are_not_stored_by_the_browser_or_a_proxy(
    client: Client, community_one_staff: User
) -> None:
    # A page anyone may open (the password reset form) may be cached when signed out…
    signed_out = client.get("/accounts/password_reset/")
    assert signed_out.status_code == 200
    assert "no-store" not in signed_out.headers.get("Cache-Control", "")

    # …and is not, nor is any other page, once someone is signed in.
    client.force_login(community_one_staff)
    for path in ("/accounts/password_reset/", "/", "/workspace/", "/no-such-page/"):
        response = client.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)
        cache_control = response.headers["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control, path


def test_the_pages_load_htmx_without_its_inline_style() -> None:
    """htmx adds a <style> element, and copies style attributes when it settles a swap,
    unless told not to; the CSP would refuse both."""
    base = (ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    config = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", base)
    assert config is not None
    htmx_config = json.loads(config.group(1))
    assert htmx_config["includeIndicatorStyles"] is False
    assert "style" not in htmx_config["attributesToSettle"]


# /healthz --------------------------------------------------------------------------------


def _beat_ran(seconds_ago: int) -> None:
    PeriodicTask.objects.filter(enabled=True).update(
        last_run_at=timezone.now() - timedelta(seconds=seconds_ago)
    )


@pytest.mark.django_db
def test_healthz_answers_200_without_signing_in_when_all_is_well(client: Client) -> None:
    _beat_ran(30)
    OutboxMessage.objects.create(task="notifications.outbox_relay", published_at=timezone.now())
    OutboxMessage.objects.create(task="notifications.outbox_relay")  # just asked for

    response = client.get("/healthz")

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "beat", "outbox"}
    assert all(check["ok"] for check in body["checks"].values())
    assert 25 <= body["checks"]["beat"]["last_run_seconds_ago"] <= 60
    assert body["checks"]["outbox"]["waiting"] == 1
    assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.django_db
def test_healthz_answers_503_when_the_beat_has_stopped(client: Client) -> None:
    _beat_ran(settings.HEALTHZ_BEAT_MAX_AGE_SECONDS + 60)

    response = client.get("/healthz")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["beat"]["ok"] is False
    assert checks["database"]["ok"] and checks["broker"]["ok"] and checks["outbox"]["ok"]
    # A load balancer that asks about the database alone keeps the server in service.
    assert client.get("/healthz?check=database").status_code == 200


@pytest.mark.django_db
def test_healthz_answers_503_when_the_outbox_is_stuck(client: Client) -> None:
    _beat_ran(5)
    stuck = timezone.now() - timedelta(seconds=settings.HEALTHZ_OUTBOX_MAX_AGE_SECONDS + 60)
    OutboxMessage.objects.create(task="notifications.outbox_relay", created_at=stuck)

    response = client.get("/healthz")

    assert response.status_code == 503
    outbox = response.json()["checks"]["outbox"]
    assert outbox["ok"] is False and outbox["waiting"] == 1
    assert outbox["oldest_seconds"] >= settings.HEALTHZ_OUTBOX_MAX_AGE_SECONDS


@pytest.mark.django_db
def test_healthz_answers_503_when_the_broker_is_unreachable_and_tells_no_address(
    client: Client, settings: Settings
) -> None:
    _beat_ran(5)
    # A port nothing listens on; a password that must never be shown.
    settings.CELERY_BROKER_URL = "redis://:s3cret-word@127.0.0.1:1/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    broker = response.json()["checks"]["broker"]
    assert broker["ok"] is False and broker["error"]
    text = response.content.decode()
    assert "s3cret-word" not in text and "127.0.0.1" not in text


def test_healthz_answers_503_when_the_database_is_down() -> None:
    """A portal whose PostgreSQL does not answer (a port nothing listens on)."""
    script = (
        "import django, json; django.setup(); from django.test import Client; "
        "r = Client().get('/healthz'); print(r.status_code, r.content.decode())"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {
        "DATABASE_URL": "postgres://yijia:pw-never-shown@127.0.0.1:1/yijia",
        "DJANGO_SETTINGS_MODULE": "yijia.settings",
        "DEBUG": "True",
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    status, _, body = result.stdout.strip().splitlines()[-1].partition(" ")
    assert status == "503", result.stderr[-2000:]
    checks = json.loads(body)["checks"]
    assert checks["database"] == {"ok": False, "error": "OperationalError", "ms": ANY}
    assert checks["broker"]["ok"] is True
    assert "pw-never-shown" not in body


@pytest.mark.django_db
def test_healthz_refuses_an_unknown_check(client: Client) -> None:
    response = client.get("/healthz?check=everything")
    assert response.status_code == 400
    assert response.json()["unknown_checks"] == ["everything"]


# Static files ----------------------------------------------------------------------------

SERVE_HASHED = textwrap.dedent(
    """
    import json, django
    from django.core.management import call_command
    django.setup()
    from django.templatetags.static import static
    from django.test import Client
    call_command("collectstatic", interactive=False, verbosity=0)
    url = static("css/yijia.css")
    client = Client()
    plain = client.get(url, secure=True)
    gzipped = client.get(url, secure=True, headers={"accept-encoding": "gzip"})
    missing = client.get("/static/css/no-such-file.css", secure=True)
    print(json.dumps({
        "url": url,
        "status": plain.status_code,
        "cache_control": plain.headers.get("Cache-Control", ""),
        "body": b"".join(plain.streaming_content).decode(),
        "gzip_encoding": gzipped.headers.get("Content-Encoding", ""),
        "missing": missing.status_code,
    }))
    """
)


def test_production_serves_static_files_under_hashed_names_compressed(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DATABASE_URL")}
    env |= {
        "DEBUG": "False",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        "ALLOW_SQLITE": "True",
        "VAR_DIR": str(tmp_path),
        "STATIC_ROOT": str(tmp_path / "static"),
        "LOG_DIR": str(tmp_path / "log"),
        "DJANGO_SETTINGS_MODULE": "yijia.settings",
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", SERVE_HASHED],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    served = json.loads(result.stdout.strip().splitlines()[-1])

    # The name carries the content's hash: a new release is a new address.
    assert re.fullmatch(r"/static/css/yijia\.[0-9a-f]{12}\.css", served["url"]), served["url"]
    assert served["status"] == 200
    assert served["body"] == (ROOT / "static" / "css" / "yijia.css").read_text(encoding="utf-8")
    # Cached for good (the name changes with the content), and sent compressed when asked.
    assert "immutable" in served["cache_control"] and "max-age=" in served["cache_control"]
    assert served["gzip_encoding"] == "gzip"
    assert served["missing"] == 404
    assert (tmp_path / "static" / "staticfiles.json").exists()


# Logs ------------------------------------------------------------------------------------


def test_security_events_go_to_their_own_log_file() -> None:
    marker = f"login refused for test-{secrets.token_hex(8)}"
    logging.getLogger("yijia.security").warning(marker)
    logging.getLogger("tasks").warning("not a security event %s", marker[-8:])

    log_dir = Path(settings.LOG_DIR)
    security = (log_dir / "security.log").read_text(encoding="utf-8")
    assert marker in security
    assert f"not a security event {marker[-8:]}" not in security
    # The general log has everything, security events included.
    general = (log_dir / "yijia.log").read_text(encoding="utf-8")
    assert marker in general and f"not a security event {marker[-8:]}" in general
