"""Benchmark: the completion dashboard and the item × party matrix at 30, 300 and 6,000
communities (40 items × 12 months each), next to the raw SQL those pages stand for.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yijia python bench/dashboard.py
    python bench/dashboard.py --sizes 30 300 --runs 50

For each size it uses a database of its own, ``<name>_bench_<N>`` on the same server
(built on first use: migrate, the 2017 checklist, ``generate_scale_data`` for N
communities and a year of reports; ``--rebuild`` builds it again). The synthetic
checklist counts all twelve months (its issue date is moved to December 2016).

Then, in one process per size, it times with Django's test client (the whole request:
middleware, session, permissions, queries, template) as a street admin:

- the dashboard of June, and the matrix of June (first page of 30 communities);
- the raw SQL aggregate each page stands for, straight from the raw tables (reports
  joined to their assignments and items; a missing report found by an anti-join): the
  figures per item and per party for the dashboard, the cells of 30 communities for the
  matrix; and the same figures from the summary tables, as the page reads them.

Prints p50 and p95 in milliseconds, the page's query count, and page ÷ raw SQL.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

# The development settings for Django (DEBUG is off unless asked for: docs/deployment.md).
os.environ.setdefault("DEBUG", "True")

ROOT = Path(__file__).resolve().parent.parent
MONTH = 6

RAW_DASHBOARD_SQL = """
WITH expected AS (
    SELECT a.id, a.item_id, a.community_id, a.unit_id
    FROM tasks_assignment a JOIN tasks_item i ON i.id = a.item_id
    WHERE i.checklist_id = %(checklist)s
), month AS (
    SELECT e.item_id, e.community_id, e.unit_id, r.workflow_state,
           (r.first_submitted_at AT TIME ZONE 'Asia/Shanghai')::date AS first_on,
           r.id AS report_id
    FROM expected e
    LEFT JOIN tasks_progressreport r
      ON r.assignment_id = e.id AND r.year = %(year)s AND r.month = %(month)s
)
SELECT item_id, community_id, unit_id,
       count(*) AS expected,
       count(*) FILTER (WHERE first_on IS NOT NULL) AS received,
       count(*) FILTER (WHERE first_on <= %(deadline)s) AS on_time,
       count(*) FILTER (WHERE workflow_state = 'approved') AS approved,
       count(*) FILTER (WHERE workflow_state = 'returned') AS returned,
       count(*) FILTER (WHERE first_on IS NULL AND %(deadline)s < %(today)s) AS overdue
FROM month
GROUP BY GROUPING SETS ((item_id), (community_id, unit_id))
"""

RAW_MATRIX_SQL = """
SELECT a.id, a.item_id, a.community_id, r.id, r.workflow_state, r.status,
       r.first_submitted_at, count(v.id) AS values
FROM tasks_assignment a
JOIN tasks_item i ON i.id = a.item_id
LEFT JOIN tasks_progressreport r
  ON r.assignment_id = a.id AND r.year = %(year)s AND r.month = %(month)s
LEFT JOIN tasks_targetvalue v ON v.report_id = r.id
WHERE i.checklist_id = %(checklist)s AND a.community_id IN (
    SELECT id FROM communities_community ORDER BY "order", name LIMIT 30
)
GROUP BY a.id, r.id
"""

SUMMARY_DASHBOARD_SQL = """
SELECT item_id, count(*), count(*) FILTER (WHERE first_submitted_on IS NOT NULL),
       count(*) FILTER (WHERE first_submitted_on <= deadline),
       count(*) FILTER (WHERE state = 'approved'), count(*) FILTER (WHERE is_complete)
FROM assessments_assignmentmonth WHERE year = %(year)s AND month = %(month)s
GROUP BY item_id
"""


def database_url(base: str, size: int) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}_bench_{size}"))


def run(command: list[str], url: str) -> None:
    environment = {**os.environ, "DATABASE_URL": url}
    subprocess.run(command, cwd=ROOT, env=environment, check=True)  # noqa: S603 (our own)


def build(url: str, size: int, rebuild: bool) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if exists and not rebuild:
            return
        if exists:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    python = sys.executable
    started = time.perf_counter()
    run([python, "manage.py", "migrate", "--noinput", "-v0"], url)
    run([python, "manage.py", "load_checklist", "fixtures/checklist_2017.yaml"], url)
    run(
        [
            python,
            "manage.py",
            "shell",
            "-c",
            "from tasks.models import Checklist; import datetime; "
            "Checklist.objects.filter(year=2017).update(issued_on=datetime.date(2016, 12, 28), "
            "takes_effect_on=datetime.date(2016, 12, 28), status='active')",
        ],
        url,
    )
    run(
        [
            python,
            "manage.py",
            "generate_scale_data",
            "--communities",
            str(size),
            "--through-month",
            "12",
        ],
        url,
    )
    print(f"  built {name} in {time.perf_counter() - started:.0f} s", flush=True)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def measure(runs: int) -> dict[str, object]:
    """Runs inside the size's own process (DATABASE_URL points at its database)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yijia.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from communities.models import Community
    from communities.roles import Role
    from dashboards.models import AssignmentMonth
    from tasks.models import Checklist, ProgressReport

    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    checklist = Checklist.objects.get(year=2017)
    user, _ = User.objects.get_or_create(username="bench-admin")
    user.groups.add(Group.objects.get(name=Role.STREET_ADMIN))
    client = Client()
    client.force_login(user)
    params: dict[str, int | datetime.date] = {
        "checklist": checklist.pk,
        "year": 2017,
        "month": MONTH,
        "deadline": checklist.filing_deadline(2017, MONTH),
        "today": timezone.localdate(),
    }

    def time_page(url: str) -> tuple[float, float, int]:
        for _ in range(3):
            assert client.get(url).status_code == 200
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        return (*percentiles(samples), len(captured))

    def time_sql(sql: str) -> tuple[float, float]:
        with connection.cursor() as cursor:
            for _ in range(2):
                cursor.execute(sql, params)
                cursor.fetchall()
            samples = []
            for _ in range(runs):
                started = time.perf_counter()
                cursor.execute(sql, params)
                cursor.fetchall()
                samples.append((time.perf_counter() - started) * 1000)
        return percentiles(samples)

    dashboard = time_page(f"/dashboard/?year=2017&month={MONTH}")
    matrix = time_page(f"/dashboard/matrix/?year=2017&month={MONTH}")
    return {
        "communities": Community.objects.count(),
        "reports": ProgressReport.objects.count(),
        "summary_rows": AssignmentMonth.objects.count(),
        "dashboard": dashboard,
        "matrix": matrix,
        "raw_dashboard": time_sql(RAW_DASHBOARD_SQL),
        "raw_matrix": time_sql(RAW_MATRIX_SQL),
        "summary_dashboard": time_sql(SUMMARY_DASHBOARD_SQL),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 300, 6000])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.measure:
        print(json.dumps(measure(options.runs)))
        return
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("bench/dashboard.py measures PostgreSQL: set DATABASE_URL=postgres://…")
    print(f"machine: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{options.runs} timed requests per page after 3 warm-ups; milliseconds; month {MONTH}")
    header = (
        f"{'communities':>11} {'reports':>9} {'page':<9} {'p50':>7} {'p95':>7} {'queries':>7}"
        f" {'raw SQL p50':>11} {'p95':>7} {'page/raw':>8} {'summary SQL p50':>15}"
    )
    print(header)
    for size in options.sizes:
        url = database_url(base, size)
        build(url, size, options.rebuild)
        output = (
            subprocess.run(  # noqa: S603 (this script, measuring)
                [sys.executable, __file__, "--measure", "--runs", str(options.runs)],
                env={**os.environ, "DATABASE_URL": url},
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        figures = json.loads(output)
        for page, raw in (("dashboard", "raw_dashboard"), ("matrix", "raw_matrix")):
            p50, p95, queries = figures[page]
            raw50, raw95 = figures[raw]
            summary = figures["summary_dashboard"][0] if page == "dashboard" else float("nan")
            print(
                f"{figures['communities']:>11,} {figures['reports']:>9,} {page:<9} {p50:>7.1f}"
                f" {p95:>7.1f} {queries:>7} {raw50:>11.1f} {raw95:>7.1f} {p50 / raw50:>8.2f}"
                f" {summary:>15.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
