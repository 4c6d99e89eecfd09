"""Benchmark: the review queue (/review/) and an item's page (/items/<pk>/) at 30 and 300
(and 3,000) communities, measured interleaved in one process, printed as ratios.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yijia python bench/review.py
    python bench/review.py --sizes 30 300 3000 --runs 20

Each size has a database of its own, ``<name>_bench_<N>``, built on first use as
``bench/dashboard.py`` builds it (migrate, the 2017 checklist counting all twelve months,
``generate_scale_data`` for N communities and a year of reports); the same databases
serve both benchmarks. Before measuring, each is migrated (this branch's indexes) and
VACUUM ANALYZEd, as autovacuum would have done on a server that has been running.

One process holds a test client per size and switches the default connection between
the databases: request i of every page is made at each size in turn, so that the load of
the (shared) machine falls on all sizes alike. As each role that uses the page:

- the queue as lead-unit staff (``syn-u01-1``) and as the street admin (``syn-admin``),
  by default (已提交) and with every state (``?state=``);
- item 8's page for December as the street admin, as staff of its lead unit, and as a
  community's staff (``syn-c00001-1``, who sees one row).

Prints p50 and p95 in milliseconds and the queries per request at each size, the ratio of
the p50s to the smallest size's, and at which size a plan of the page reads one of the
large tables whole (a sequential scan of the reports, the assignments or the summary rows:
there should be none at the larger sizes; on the 30-community tables of a few thousand
rows, PostgreSQL may rightly prefer one).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

# The development settings for Django (DEBUG is off unless asked for: docs/deployment.md).
os.environ.setdefault("DEBUG", "True")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LARGE_TABLES = ("tasks_progressreport", "tasks_assignment", "assessments_assignmentmonth")


def sequential_scans(captured: list[dict[str, str]]) -> set[str]:
    """The large tables that the plan of any captured SELECT reads whole."""
    from django.db import connection

    found: set[str] = set()
    with connection.cursor() as cursor:
        for query in captured:
            if query["sql"].lstrip().upper().startswith("SELECT"):
                cursor.execute(f"EXPLAIN {query['sql']}")
                plan = "\n".join(row[0] for row in cursor.fetchall())
                found |= set(re.findall(r"Seq Scan on (\w+)", plan)) & set(LARGE_TABLES)
    return found


def prepare(url: str, size: int, rebuild: bool) -> None:
    from bench import dashboard

    dashboard.build(url, size, rebuild)
    environment = {**os.environ, "DATABASE_URL": url}
    python = sys.executable
    subprocess.run(  # noqa: S603 (our own)
        [python, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=environment, check=True
    )
    subprocess.run(  # noqa: S603
        ["psql", url, "-qc", "VACUUM ANALYZE"],  # noqa: S607 (the server's client)
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 300])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--rebuild", action="store_true")
    options = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("bench/review.py measures PostgreSQL: set DATABASE_URL=postgres://…")
    from bench import dashboard

    urls = {size: dashboard.database_url(base, size) for size in options.sizes}
    for size, url in urls.items():
        prepare(url, size, options.rebuild)

    os.environ["DATABASE_URL"] = urls[options.sizes[0]]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yijia.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from communities.models import Community
    from tasks.models import Item, ProgressReport

    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    names = {size: urls[size].rsplit("/", 1)[1] for size in options.sizes}

    def use(size: int) -> None:
        connection.close()
        connection.settings_dict["NAME"] = names[size]

    pages: dict[int, list[tuple[str, Client, str]]] = {}
    facts: dict[int, tuple[int, int]] = {}
    for size in options.sizes:
        use(size)
        item = Item.objects.get(checklist__year=2017, number=8)
        lead_unit = item.ordered_lead_units()[0]
        lead = User.objects.filter(username__startswith="syn-u", memberships__unit=lead_unit)[0]
        clients = {}
        for role, user in (
            ("lead unit", User.objects.get(username="syn-u01-1")),
            ("street admin", User.objects.get(username="syn-admin")),
            ("item's lead unit", lead),
            ("community", User.objects.get(username="syn-c00001-1")),
        ):
            clients[role] = Client()
            clients[role].force_login(user)
        item_page = f"/items/{item.pk}/?period=2017-12"
        pages[size] = [
            ("queue 已提交, lead unit", clients["lead unit"], "/review/"),
            ("queue 已提交, street admin", clients["street admin"], "/review/"),
            ("queue all states, lead unit", clients["lead unit"], "/review/?state="),
            ("queue all states, street admin", clients["street admin"], "/review/?state="),
            ("item page, street admin", clients["street admin"], item_page),
            ("item page, its lead unit", clients["item's lead unit"], item_page),
            ("item page, community", clients["community"], item_page),
        ]
        facts[size] = (Community.objects.count(), ProgressReport.objects.count())

    def request(client: Client, address: str) -> float:
        started = time.perf_counter()
        response = client.get(address)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (address, response.status_code)
        return elapsed

    queries: dict[tuple[int, int], int] = {}
    scans: dict[tuple[int, int], set[str]] = {}
    for size in options.sizes:
        use(size)
        for index, (_label, client, address) in enumerate(pages[size]):
            for _ in range(2):  # warm-up
                request(client, address)
            with CaptureQueriesContext(connection) as captured:
                request(client, address)
            queries[size, index] = len(captured)
            scans[size, index] = sequential_scans(captured.captured_queries)

    samples: dict[tuple[int, int], list[float]] = {key: [] for key in queries}
    for _ in range(options.runs):
        for index in range(len(pages[options.sizes[0]])):
            for size in options.sizes:  # interleaved: each size in turn, page by page
                use(size)
                _label, client, address = pages[size][index]
                samples[size, index].append(request(client, address))

    load = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()  # noqa: S607
    print(f"machine: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"load: {load}")
    for size in options.sizes:
        communities, reports = facts[size]
        print(f"  {size}: {communities:,} communities, {reports:,} reports ({names[size]})")
    print(f"{options.runs} timed requests per page and size, interleaved; milliseconds")
    smallest = options.sizes[0]
    header = f"{'page':<32}" + "".join(
        f" {f'p50 @{size}':>10} {'p95':>7} {'q':>3}" for size in options.sizes
    )
    header += "".join(f" {f'{size}÷{smallest}':>9}" for size in options.sizes[1:])
    print(header + "  seq scans")
    for index, (label, _client, _address) in enumerate(pages[smallest]):
        line = f"{label:<32}"
        p50s = {}
        for size in options.sizes:
            ordered = sorted(samples[size, index])
            p50s[size] = statistics.median(ordered)
            p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
            line += f" {p50s[size]:>10.1f} {p95:>7.1f} {queries[size, index]:>3}"
        for size in options.sizes[1:]:
            line += f" {p50s[size] / p50s[smallest]:>9.2f}"
        full = "; ".join(
            f"@{size}: {', '.join(sorted(scans[size, index]))}"
            for size in options.sizes
            if scans[size, index]
        )
        print(line + "  " + (full or "none"))


if __name__ == "__main__":
    main()
