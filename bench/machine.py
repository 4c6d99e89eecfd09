"""What a benchmark prints about where it ran: the machine, Python, the database and the load."""

from __future__ import annotations

import os
import platform
import subprocess

from django.db import connection


def database_name() -> str:
    """'PostgreSQL 15.19' or the vendor's name (sqlite)."""
    if connection.vendor != "postgresql":
        return connection.vendor
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"


def uptime() -> str:
    """The machine's load (in UTC: Django sets TZ to Shanghai for its process)."""
    return subprocess.run(
        ["uptime"],  # noqa: S607
        capture_output=True,
        text=True,
        env={**os.environ, "TZ": "UTC"},
        check=False,
    ).stdout.strip()


def machine_line() -> str:
    return (
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {database_name()}"
    )
