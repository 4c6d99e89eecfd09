"""Backup and restore of the whole portal: the database and the uploaded files (evidence,
meeting attachments, everything under ``MEDIA_ROOT``) in one ``.tar.gz``
(``manage.py backup``, ``manage.py restore``; docs/operations.md).

The archive holds:

- ``manifest.json``: the format, the database engine, when it was made, and the number of
  rows of every table the portal's models own, so that a restore can say it found them all;
- ``database.pgdump`` (PostgreSQL: ``pg_dump --format=custom``, restored with
  ``pg_restore``) or ``database.sqlite3`` (SQLite: a consistent copy through SQLite's
  backup API, taken while the portal runs);
- ``media/``: the files under ``MEDIA_ROOT``.

A restore writes into the configured database (or another one named by a URL, to check a
backup without touching the live one) and the media folder, then counts the rows again and
looks for every file a row names: ``RestoreReport`` says what it found and what is missing.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import FileField
from django.db.utils import ConnectionHandler

FORMAT = 1
MANIFEST = "manifest.json"
PG_DUMP = "database.pgdump"
SQLITE_COPY = "database.sqlite3"
MEDIA = "media"


class BackupError(Exception):
    """A backup or restore that cannot be done, with the reason for the operator."""


def _engine(settings_dict: Mapping[str, Any]) -> str:
    engine = str(settings_dict["ENGINE"])
    if engine.endswith("postgresql"):
        return "postgresql"
    if engine.endswith("sqlite3"):
        return "sqlite"
    raise BackupError(f"只能备份 PostgreSQL 或 SQLite 数据库,不支持 {engine}。")


def _pg_arguments(settings_dict: Mapping[str, Any]) -> tuple[list[str], dict[str, str]]:
    """The connection arguments of pg_dump/pg_restore, and their environment (the password
    goes through PGPASSWORD, never the command line)."""
    arguments = []
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            arguments.append(f"{option}={settings_dict[key]}")
    environment = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        environment["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return arguments, environment


def _run(command: list[str], environment: dict[str, str]) -> None:
    try:
        subprocess.run(command, env=environment, check=True, capture_output=True, text=True)  # noqa: S603
    except FileNotFoundError:
        raise BackupError(
            f"没有安装 {command[0]}(Debian:apt-get install postgresql-client)。"
        ) from None
    except subprocess.CalledProcessError as error:
        raise BackupError(f"{command[0]} 失败:{error.stderr.strip()}") from None


def _model_tables() -> list[str]:
    """The tables of the installed models (no proxies, no unmanaged ones), sorted."""
    return sorted(
        {
            model._meta.db_table
            for model in apps.get_models(include_auto_created=True)
            if model._meta.managed and not model._meta.proxy
        }
    )


def _row_counts(connection: BaseDatabaseWrapper) -> dict[str, int]:
    present = set(connection.introspection.table_names())
    counts = {}
    with connection.cursor() as cursor:
        for table in _model_tables():
            if table in present:
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
                counts[table] = cursor.fetchone()[0]
    return counts


def _under_media_root(model_field: FileField) -> str:
    """Where the field's storage keeps its files, relative to ``MEDIA_ROOT`` (evidence and
    attachments: ``evidence/``). A storage elsewhere would not be in the backup."""
    location = Path(getattr(model_field.storage, "location", settings.MEDIA_ROOT)).absolute()
    try:
        return location.relative_to(Path(settings.MEDIA_ROOT).absolute()).as_posix()
    except ValueError:
        raise BackupError(
            f"{model_field} 的文件存放在 {location},不在 MEDIA_ROOT 之下,无法备份。"
        ) from None


def _stored_files(connection: BaseDatabaseWrapper) -> list[str]:
    """Every file a row names in a ``FileField``, as a path relative to ``MEDIA_ROOT``."""
    names: list[str] = []
    present = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if model._meta.db_table not in present:
                continue
            for model_field in model._meta.concrete_fields:
                if isinstance(model_field, FileField):
                    table = connection.ops.quote_name(model._meta.db_table)
                    column = connection.ops.quote_name(model_field.column)
                    cursor.execute(f"SELECT {column} FROM {table} WHERE {column} <> ''")  # noqa: S608
                    folder = _under_media_root(model_field)
                    names.extend(
                        (Path(folder) / row[0]).as_posix() for row in cursor.fetchall() if row[0]
                    )
    return sorted(names)


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    engine: str
    rows: int
    files: int


def backup_create(destination: Path, *, media_root: Path | None = None) -> BackupSummary:
    """Write the database and the media folder to ``destination`` (a ``.tar.gz``)."""
    media_root = Path(media_root or settings.MEDIA_ROOT)
    connection = connections["default"]
    engine = _engine(connection.settings_dict)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="yijia-backup-") as work:
        workdir = Path(work)
        counts = _row_counts(connection)
        if engine == "postgresql":
            database = workdir / PG_DUMP
            arguments, environment = _pg_arguments(connection.settings_dict)
            _run(
                [
                    "pg_dump",
                    *arguments,
                    "--format=custom",
                    "--compress=0",  # the archive is gzipped once, as a whole
                    "--no-owner",
                    "--no-privileges",
                    f"--file={database}",
                    str(connection.settings_dict["NAME"]),
                ],
                environment,
            )
        else:
            database = workdir / SQLITE_COPY
            connection.ensure_connection()
            target = sqlite3.connect(database)
            try:
                connection.connection.backup(target)
            finally:
                target.close()
        files = (
            [path for path in media_root.rglob("*") if path.is_file()]
            if media_root.exists()
            else []
        )
        manifest = {
            "format": FORMAT,
            "engine": engine,
            "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "rows": counts,
            "files": len(files),
        }
        (workdir / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
        partial = destination.with_name(destination.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(workdir / MANIFEST, arcname=MANIFEST)
            archive.add(database, arcname=database.name)
            for path in sorted(files):
                archive.add(path, arcname=f"{MEDIA}/{path.relative_to(media_root).as_posix()}")
        partial.replace(destination)  # a backup is either whole or absent
    return BackupSummary(destination, engine, sum(counts.values()), len(files))


@dataclass
class RestoreReport:
    """What a restore found: the rows of each table against the manifest's, and the files
    the rows name that are not in the media folder."""

    engine: str
    created: str
    rows: int = 0
    files: int = 0
    tables_differing: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    files_missing: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.tables_differing and not self.files_missing


@contextmanager
def _target_connection(database_url: str | None) -> Iterator[BaseDatabaseWrapper]:
    """The configured database, or the one ``database_url`` names (its own connection)."""
    if not database_url:
        yield connections["default"]
        return
    import dj_database_url

    handler = ConnectionHandler({"default": dj_database_url.parse(database_url)})
    connection = handler["default"]
    try:
        yield connection
    finally:
        connection.close()


def _safe_members(archive: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = []
    for member in archive.getmembers():
        name = Path(member.name)
        if name.is_absolute() or ".." in name.parts or not (member.isfile() or member.isdir()):
            raise BackupError(f"备份文件中有不安全的条目:{member.name!r}。")
        members.append(member)
    return members


def backup_read_manifest(source: Path) -> dict[str, Any]:
    try:
        with tarfile.open(source, "r:gz") as archive:
            member = archive.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            manifest: dict[str, Any] = json.loads(member.read())
    except (OSError, KeyError, tarfile.TarError, json.JSONDecodeError) as error:
        raise BackupError(f"{source} 不是本门户的备份文件({error})。") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"{source} 的备份格式是 {manifest.get('format')!r},本版本只能恢复格式 {FORMAT}。"
        )
    return manifest


def backup_restore(
    source: Path, *, database_url: str | None = None, media_root: Path | None = None
) -> RestoreReport:
    """Replace the database's contents and the media folder with the backup's, then check
    that every row and file is there."""
    manifest = backup_read_manifest(source)
    media_root = Path(media_root or settings.MEDIA_ROOT)
    with _target_connection(database_url) as connection:
        engine = _engine(connection.settings_dict)
        if engine != manifest["engine"]:
            raise BackupError(
                f"这是 {manifest['engine']} 数据库的备份,不能恢复到 {engine} 数据库。"
            )
        with tempfile.TemporaryDirectory(prefix="yijia-restore-") as work:
            workdir = Path(work)
            with tarfile.open(source, "r:gz") as archive:
                archive.extractall(workdir, members=_safe_members(archive))  # noqa: S202
            if engine == "postgresql":
                _restore_postgresql(connection, workdir / PG_DUMP)
            else:
                _restore_sqlite(connection, workdir / SQLITE_COPY)
            _restore_media(workdir / MEDIA, media_root)
        connection.close()
        counts = _row_counts(connection)
        names = _stored_files(connection)
    report = RestoreReport(engine=engine, created=str(manifest.get("created", "")))
    report.rows = sum(counts.values())
    report.files = sum(1 for path in media_root.rglob("*") if path.is_file())
    for table, expected in manifest["rows"].items():
        found = counts.get(table)
        if found != expected:
            report.tables_differing[table] = (expected, found)
    report.files_missing = [name for name in names if not (media_root / name).is_file()]
    return report


def _restore_postgresql(connection: BaseDatabaseWrapper, dump: Path) -> None:
    connection.close()  # pg_restore drops the tables this connection may hold locks on
    arguments, environment = _pg_arguments(connection.settings_dict)
    _run(
        [
            "pg_restore",
            *arguments,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={connection.settings_dict['NAME']}",
            str(dump),
        ],
        environment,
    )


def _restore_sqlite(connection: BaseDatabaseWrapper, copy: Path) -> None:
    """Copy the backup over the database through SQLite's backup API: pages are replaced
    in one go under the database's lock, and the WAL stays consistent."""
    connection.close()
    name = str(connection.settings_dict["NAME"])
    Path(name).parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(copy)
    target = sqlite3.connect(name, timeout=60)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _restore_media(extracted: Path, media_root: Path) -> None:
    """The media folder becomes the backup's: files the backup does not hold are removed
    (they belong to rows the restore took back)."""
    media_root.mkdir(parents=True, exist_ok=True)
    for child in media_root.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    if extracted.exists():
        for child in extracted.iterdir():
            shutil.move(str(child), media_root / child.name)
