"""``manage.py backup`` then ``manage.py restore`` onto an empty database finds every
report, every figure and every evidence file (issue 15; docs/operations.md): on
PostgreSQL with pg_dump/pg_restore, and on SQLite through its backup API.

The tests commit (pg_dump is another process and reads only committed rows)."""

from __future__ import annotations

import io
import os
import sqlite3
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from communities.models import Community
from tasks.models import Checklist, Evidence, ProgressReport, TargetValue
from tasks.services import evidence_add
from tests.filing import MINIMAL_PDF, file_item_report, time_travel

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ON_POSTGRESQL = connection.vendor == "postgresql"


def _file_reports(world: Checklist, community: Community, by: User) -> list[Evidence]:
    """Two reports with their figures, each with an evidence file of its own bytes."""
    with time_travel(2017, 8, 3):
        evidence = []
        for number, item in enumerate((1, 8), start=1):
            report = file_item_report(world, item, community, by, submit=False)
            evidence.append(
                evidence_add(
                    report=report,
                    upload=SimpleUploadedFile(
                        f"会议记录{number}.pdf",
                        MINIMAL_PDF + f"% report {report.pk}\n".encode(),
                        content_type="application/pdf",
                    ),
                    kind=Evidence.Kind.MINUTES,
                    by=by,
                )
            )
    return evidence


def _what_was_filed() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    reports = list(
        ProgressReport.objects.order_by("pk").values_list("pk", "assignment_id", "narrative")
    )
    values = list(
        TargetValue.objects.order_by("pk").values_list(
            "pk", "report_id", "numerator", "denominator", "quantity", "achieved_on", "is_done"
        )
    )
    return reports, values


@pytest.fixture
def empty_postgresql_database() -> Iterator[str]:
    """A database created empty for the restore, dropped afterwards; its URL."""
    settings_dict = connection.settings_dict
    name = f"h7_restore_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(
        host=settings_dict["HOST"] or None,
        port=settings_dict["PORT"] or None,
        user=settings_dict["USER"] or None,
        password=settings_dict["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    admin.execute(f'CREATE DATABASE "{name}"')
    user = settings_dict["USER"]
    password = f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else ""
    host = settings_dict["HOST"] or "127.0.0.1"
    port = settings_dict["PORT"] or 5432
    try:
        yield f"postgres://{user}{password}@{host}:{port}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _count(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url.replace("postgres://", "postgresql://")) as other:
        return other.execute(sql).fetchall()


@pytest.mark.skipif(not ON_POSTGRESQL, reason="pg_dump and pg_restore: PostgreSQL only")
def test_a_backup_restored_onto_an_empty_postgresql_database_holds_every_report_and_file(
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    tmp_path: Path,
    settings: object,
    empty_postgresql_database: str,
) -> None:
    evidence = _file_reports(world, community_one, community_one_staff)
    reports, values = _what_was_filed()
    archive = tmp_path / "backup.tar.gz"

    call_command("backup", output=archive)
    restored_media = tmp_path / "restored-media"
    call_command(
        "restore",
        str(archive),
        "--no-input",
        database_url=empty_postgresql_database,
        media_root=restored_media,
    )

    url = empty_postgresql_database
    assert _count(
        url, "SELECT id, assignment_id, narrative FROM tasks_progressreport ORDER BY id"
    ) == [tuple(row) for row in reports]
    assert _count(
        url,
        "SELECT id, report_id, numerator, denominator, quantity, achieved_on, is_done "
        "FROM tasks_targetvalue ORDER BY id",
    ) == [tuple(row) for row in values]
    assert len(values) >= len(reports) >= 2
    names: dict[int, str] = dict(_count(url, "SELECT id, file FROM tasks_evidence"))
    for original in evidence:
        restored = restored_media / "evidence" / names[original.pk]
        assert restored.read_bytes() == Path(original.file.path).read_bytes()


def test_a_backup_holds_the_files_and_round_trips_on_sqlite(
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    tmp_path: Path,
    settings: object,
) -> None:
    """The same round trip with the engine the suite runs on; on SQLite the copy is taken
    through the backup API while the portal's connection is open."""
    evidence = _file_reports(world, community_one, community_one_staff)
    reports, values = _what_was_filed()
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", output=archive)
    with tarfile.open(archive) as opened:
        stored = set(opened.getnames())
    assert "manifest.json" in stored
    assert {f"media/evidence/{item.file.name}" for item in evidence} <= stored

    if ON_POSTGRESQL:
        return  # restored by the test above
    target = tmp_path / "restored.sqlite3"
    restored_media = tmp_path / "restored-media"
    (restored_media / "left-over.txt").parent.mkdir()
    (restored_media / "left-over.txt").write_text("not in the backup")
    call_command(
        "restore",
        str(archive),
        "--no-input",
        database_url=f"sqlite:///{target}",
        media_root=restored_media,
    )

    with sqlite3.connect(target) as restored:
        assert restored.execute(
            "SELECT id, assignment_id, narrative FROM tasks_progressreport ORDER BY id"
        ).fetchall() == [tuple(row) for row in reports]
        got = restored.execute(
            "SELECT id, report_id, numerator, denominator, quantity, achieved_on, is_done "
            "FROM tasks_targetvalue ORDER BY id"
        ).fetchall()
        names = dict(restored.execute("SELECT id, file FROM tasks_evidence").fetchall())
    expected = [
        (pk, report, num, den, qty, str(day) if day else None, None if done is None else int(done))
        for pk, report, num, den, qty, day, done in values
    ]
    assert got == expected
    for original in evidence:
        assert (restored_media / "evidence" / names[original.pk]).read_bytes() == Path(
            original.file.path
        ).read_bytes()
    assert not (restored_media / "left-over.txt").exists()


def test_a_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path, world: Checklist) -> None:
    archive = tmp_path / "not-a-backup.tar.gz"
    with tarfile.open(archive, "w:gz") as opened:
        note = tmp_path / "note.txt"
        note.write_text("hello")
        opened.add(note, arcname="note.txt")
    with pytest.raises(CommandError, match="不是本门户的备份文件"):
        call_command("restore", str(archive), "--no-input")
    assert Checklist.objects.filter(pk=world.pk).exists()


def test_a_restore_reports_a_missing_evidence_file(
    request: pytest.FixtureRequest,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    tmp_path: Path,
) -> None:
    """A backup whose media folder lost a file (a disk error, a hand-made archive) is
    restored, and the restore says which file is missing instead of saying all is well."""
    evidence = _file_reports(world, community_one, community_one_staff)
    lost = evidence[0].file.name
    os.remove(evidence[0].file.path)
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", output=archive)
    target = (
        request.getfixturevalue("empty_postgresql_database")
        if ON_POSTGRESQL
        else f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    )
    errors = io.StringIO()
    with pytest.raises(CommandError, match="缺少 1 个文件"):
        call_command(
            "restore",
            str(archive),
            "--no-input",
            database_url=target,
            media_root=tmp_path / "restored-media",
            stderr=errors,
        )
    assert f"缺少文件:evidence/{lost}" in errors.getvalue()
