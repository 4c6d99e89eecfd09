"""Faults of the database end well (issue 15): an outage answers the Chinese page
"系统暂时不可用" with status 503 and is logged; on SQLite, the development default, a handful
of people saving drafts at once wait their turn instead of seeing "database is locked"."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection, connections, transaction
from django.test import Client

from communities.models import Community
from tasks.models import Checklist, ProgressReport
from tasks.services import progress_report_save
from tests.conftest import assignment_of
from tests.filing import complete_values, time_travel

ON_SQLITE = connection.vendor == "sqlite"


def _dead_port() -> int:
    """A port nothing listens on: bound, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def database_down(django_db_blocker: Any, tmp_path: Path) -> Iterator[None]:
    """The default connection points at a database that cannot be reached: a dead port on
    PostgreSQL, a file in a missing folder on SQLite. Put back afterwards."""
    default = connections["default"]
    saved = dict(default.settings_dict)
    with django_db_blocker.unblock():
        default.close()
        if default.vendor == "postgresql":
            default.settings_dict.update(HOST="127.0.0.1", PORT=str(_dead_port()))
        else:
            default.settings_dict["NAME"] = str(tmp_path / "gone" / "yijia.sqlite3")
        try:
            yield
        finally:
            default.close()
            default.settings_dict.clear()
            default.settings_dict.update(saved)


@pytest.mark.urls("tests.layout_urls")
def test_a_database_outage_answers_503_in_chinese_and_is_logged(
    database_down: None, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client(raise_request_exception=False)

    with caplog.at_level(logging.ERROR, logger="yijia.errors"):
        response = client.get("/test-errors/server-error/")

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    html = response.content.decode()
    assert "系统暂时不可用" in html
    assert "错误代码 503" in html
    assert "门户暂时连不上数据库" in html
    assert 'href="/static/css/yijia.css"' in html or "yijia.css" in html  # the portal's look
    [record] = [r for r in caplog.records if r.name == "yijia.errors"]
    assert "Database unavailable" in record.getMessage()
    assert record.exc_info is not None


def test_signing_in_while_the_database_is_down_answers_503(database_down: None) -> None:
    client = Client(raise_request_exception=False)

    response = client.post("/accounts/login/", {"username": "someone", "password": "x" * 12})

    assert response.status_code == 503
    assert "系统暂时不可用" in response.content.decode()


@pytest.mark.urls("tests.layout_urls")
def test_a_bug_is_still_a_500_not_a_503(db: None) -> None:
    """Only a database that cannot be reached is 503: the view's own error stays 500."""
    client = Client(raise_request_exception=False)

    response = client.get("/test-errors/server-error/")

    assert response.status_code == 500
    assert "系统出错了" in response.content.decode()


@pytest.mark.skipif(not ON_SQLITE, reason="SQLite's locking; PostgreSQL locks rows")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_people_saving_drafts_at_once_on_sqlite_all_get_saved(
    world: Checklist, community_one: Community, community_one_staff: User
) -> None:
    """Eight people press 保存 at the same moment, each on an item of their own: every
    save reads the report first, then writes. Without a busy timeout and ``BEGIN
    IMMEDIATE`` two of them upgrade their read lock at once and one fails with "database
    is locked"."""
    assignments = [assignment_of(world, number, community_one) for number in range(1, 9)]
    start = threading.Barrier(len(assignments))
    errors: list[BaseException] = []

    def save(index: int) -> None:
        try:
            start.wait()
            for month in (7, 7, 7):  # saved again and again, as a person fixing a figure
                with transaction.atomic():
                    existing = ProgressReport.objects.filter(
                        assignment=assignments[index], year=2017, month=month
                    ).first()
                    progress_report_save(
                        assignment=assignments[index],
                        year=2017,
                        month=month,
                        by=community_one_staff,
                        status=ProgressReport.Status.IN_PROGRESS,
                        narrative=f"第 {index} 人的草稿",
                        values=complete_values(assignments[index]),
                        version=existing.version if existing else None,
                    )
        except BaseException as error:  # noqa: BLE001 (reported by the test below)
            errors.append(error)
        finally:
            connections.close_all()

    with time_travel(2017, 8, 3):
        threads = [threading.Thread(target=save, args=(i,)) for i in range(len(assignments))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

    assert errors == []
    saved = ProgressReport.objects.filter(assignment__in=assignments, year=2017, month=7)
    assert saved.count() == len(assignments)
    assert {report.version for report in saved} == {3}


def test_sqlite_uses_wal_and_waits_for_the_lock(db: None) -> None:
    if not ON_SQLITE:
        pytest.skip("SQLite's settings")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 10_000


@pytest.mark.skipif(not ON_SQLITE, reason="SQLite's locking; PostgreSQL locks rows")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_save_waits_its_turn_however_long_the_others_keep_saving(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The 50-user load test (docs/load-test.md): under the development server, saves
    kept coming, and one writer kept losing the free lock to newer ones for longer than
    the busy timeout: "database is locked". Here the busy timeout is half a second and each
    of four people holds the lock 0.3 s, twice: whoever waits longest waits well over the
    timeout, and still saves (the process's writers queue, ``core.sqlite3``)."""
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "timeout", 0.5)
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def save(index: int) -> None:
        try:
            start.wait()
            for turn in range(2):
                with transaction.atomic():
                    User.objects.create(username=f"writer-{index}-{turn}")
                    time.sleep(0.3)  # a save slowed down by every other request
        except BaseException as error:  # noqa: BLE001 (reported by the test below)
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [str(error) for error in errors] == []
    assert User.objects.filter(username__startswith="writer-").count() == 8
