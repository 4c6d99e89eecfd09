"""Settings come from the environment and fail loudly on a bad value."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from yijia.settings import envbool, envint

ROOT = Path(__file__).resolve().parent.parent


def test_envbool_refuses_anything_but_true_or_false(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured):
        envbool("SOME_FLAG", "False")
    monkeypatch.setenv("SOME_FLAG", "True")
    assert envbool("SOME_FLAG", "False") is True


def test_envint_refuses_a_word(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured):
        envint("SOME_NUMBER", "1")


# The variables these tests decide; the rest of the environment (the test database's
# DATABASE_URL, the broker) is passed on.
DECIDED = (
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # the browser tests' own (tests/browser/conftest.py)
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "ALLOW_SQLITE",
    "VAR_DIR",
    "MEDIA_ROOT",
    "STATIC_ROOT",
    "LOG_DIR",
)
PRODUCTION_ENV = ROOT / "deploy" / "yijia.env.example"


def _manage(
    *args: str, env: dict[str, str], var: Path | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in DECIDED}
    if var is not None:
        clean |= {
            "VAR_DIR": str(var),
            "MEDIA_ROOT": str(var / "media"),
            "STATIC_ROOT": str(var / "static"),
            "LOG_DIR": str(var / "log"),
        }
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def _python(code: str, *, env: dict[str, str], var: Path) -> subprocess.CompletedProcess[str]:
    """``code`` run as gunicorn or Celery would import the portal: without manage.py."""
    clean = {k: v for k, v in os.environ.items() if k not in DECIDED}
    clean |= {"VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "yijia.settings"}
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def _check_with(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return _manage("check", env=env)


def _documented_production_variables() -> dict[str, str]:
    """deploy/yijia.env.example, as an operator fills it in: a real secret key."""
    variables = {}
    for line in PRODUCTION_ENV.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            variables[name.strip()] = value.strip()
    return variables | {"SECRET_KEY": secrets.token_urlsafe(50)}


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = _check_with({"DEBUG": "False", "ALLOWED_HOSTS": "yijia.example"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_the_placeholder_secret_key_of_the_example() -> None:
    variables = _documented_production_variables()
    example_key = variables["SECRET_KEY"] = "change-me-to-50-random-characters-change-me-to-50-rand"
    result = _check_with(variables)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert example_key not in result.stderr


def test_debug_is_off_unless_asked_for(tmp_path: Path) -> None:
    """With no DEBUG set the portal as served (gunicorn's yijia.wsgi) runs
    as production: it asks for a secret key. manage.py, the developer's tool, asks for
    DEBUG itself, so its commands work on a fresh clone with nothing set."""
    result = _python("import yijia.wsgi", env={}, var=tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr

    result = _manage("makemigrations", "--check", "--dry-run", env={}, var=tmp_path)
    assert result.returncode == 0, result.stderr

    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(f'DEBUG={settings.DEBUG}')",
        env={"DEBUG": "True"},
        var=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "DEBUG=True" in result.stdout.split()


def test_production_refuses_sqlite_and_says_why(tmp_path: Path) -> None:
    production = {"DEBUG": "False", "ALLOWED_HOSTS": "yijia.example", "SECRET_KEY": "x" * 50}
    sqlite = {"DATABASE_URL": f"sqlite:///{tmp_path / 'yijia.sqlite3'}"}

    refused = _manage("check", env=production | sqlite, var=tmp_path)
    assert refused.returncode != 0
    assert "SQLite" in refused.stderr
    assert "database is locked" in refused.stderr
    assert "ALLOW_SQLITE=True" in refused.stderr

    allowed = _manage("check", env=production | sqlite | {"ALLOW_SQLITE": "True"}, var=tmp_path)
    assert allowed.returncode == 0, allowed.stderr


def test_production_starts_with_a_secret_key_and_hosts(tmp_path: Path) -> None:
    result = _manage(
        "check",
        env={
            "DEBUG": "False",
            "ALLOWED_HOSTS": "yijia.example",
            "SECRET_KEY": "x" * 50,
            "DATABASE_URL": "postgres://yijia@127.0.0.1:5432/yijia",
        },
        var=tmp_path,
    )
    assert result.returncode == 0, result.stderr


def test_check_deploy_is_clean_with_the_documented_production_variables(tmp_path: Path) -> None:
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env=_documented_production_variables(),
        var=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_without_hsts(tmp_path: Path) -> None:
    """The check above can fail: without HSTS, Django's deployment check warns."""
    variables = _documented_production_variables() | {"SECURE_HSTS_SECONDS": "0"}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=variables, var=tmp_path)
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr
