"""Settings come from the environment and fail loudly on a bad value."""

from __future__ import annotations

import os
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


def _check_with(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ALLOWED_HOSTS")}
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = _check_with({"DEBUG": "False", "ALLOWED_HOSTS": "yijia.example"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_starts_with_a_secret_key_and_hosts() -> None:
    result = _check_with(
        {"DEBUG": "False", "ALLOWED_HOSTS": "yijia.example", "SECRET_KEY": "x" * 50}
    )
    assert result.returncode == 0, result.stderr
