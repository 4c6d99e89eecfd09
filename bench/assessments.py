"""Benchmark: the ranking (``/assessments/``) and a score sheet against the completion
dashboard, at 30 and 300 communities (and more), all measured interleaved in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yijia python bench/assessments.py
    python bench/assessments.py --sizes 30 300 3000 --runs 15

Each size has a database of its own, ``<name>_bench_<N>`` on the same server, built on
first use as ``bench/dashboard.py`` builds it (migrations, the 2017 checklist counting all
twelve months, ``generate_scale_data --communities N --through-month 12``); ``--rebuild``
builds it again; then ``ANALYZE``. The year gets the default scheme
(``scheme_default``: one criterion per item) if it has none.

One worker process per size serves the requests (Django's test client as a street admin:
middleware, session, permissions, queries, template), the scores of June as of the day
the bench runs. The parent asks them in turn: one request of each page at each size per
round, so that every size and page sees the same machine load. It prints p50 and p95 in
milliseconds, each page's query count, the page ÷ the dashboard at the same size, and
the page at N ÷ the same page at the smallest size.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

# The development settings for Django (DEBUG is off unless asked for: docs/deployment.md).
os.environ.setdefault("DEBUG", "True")

ROOT = Path(__file__).resolve().parent.parent
MONTH = 6
PAGES = ("dashboard", "ranking", "sheet")


def _dashboard_bench() -> Any:
    """``bench/dashboard.py``, for its database builder (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location("bench_dashboard", ROOT / "bench/dashboard.py")
    assert spec is not None and spec.loader is not None  # noqa: S101 (our own file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def serve() -> None:
    """A worker: answers one line per request on stdin with its time on stdout."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yijia.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from assessments.scoring import scheme_default
    from communities.models import Community
    from communities.roles import Role
    from tasks.models import Checklist, ProgressReport

    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    checklist = Checklist.objects.get(year=2017)
    scheme = scheme_default(checklist=checklist)
    user, _ = User.objects.get_or_create(username="bench-admin")
    user.groups.add(Group.objects.get(name=Role.STREET_ADMIN))
    client = Client()
    client.force_login(user)
    first = Community.objects.filter(code__startswith="SYN-").order_by("code").first()
    assert first is not None  # noqa: S101 (generated above)
    addresses = {
        "dashboard": f"/dashboard/?year=2017&month={MONTH}",
        "ranking": f"/assessments/?year=2017&month={MONTH}",
        "sheet": f"/assessments/communities/{first.pk}/?year=2017&month={MONTH}",
    }
    queries = {}
    for page, address in addresses.items():
        for _ in range(2):
            assert client.get(address).status_code == 200  # noqa: S101
        with CaptureQueriesContext(connection) as captured:
            client.get(address)
        queries[page] = len(captured)
    facts = {
        "communities": Community.objects.count(),
        "reports": ProgressReport.objects.count(),
        "criteria": scheme.criteria.count(),
        "queries": queries,
    }
    print(json.dumps(facts), flush=True)
    for line in sys.stdin:
        address = addresses[line.strip()]
        started = time.perf_counter()
        response = client.get(address)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200  # noqa: S101
        print(json.dumps(elapsed), flush=True)


def analyse(url: str) -> None:
    """Fresh planner statistics: the summary rebuild at the end of ``generate_scale_data``
    leaves none for the tables it filled (as autovacuum would have by the next day)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("ANALYZE")


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 300])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve:
        serve()
        return
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("bench/assessments.py measures PostgreSQL: set DATABASE_URL=postgres://…")
    dashboard = _dashboard_bench()
    workers: dict[int, subprocess.Popen[str]] = {}
    facts: dict[int, dict[str, Any]] = {}
    for size in options.sizes:
        url = dashboard.database_url(base, size)
        dashboard.build(url, size, options.rebuild)
        analyse(url)
        worker = subprocess.Popen(  # noqa: S603 (this script, serving)
            [sys.executable, __file__, "--serve"],
            env={**os.environ, "DATABASE_URL": url},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert worker.stdin is not None and worker.stdout is not None  # noqa: S101
        workers[size] = worker
        facts[size] = json.loads(worker.stdout.readline())
    samples: dict[tuple[int, str], list[float]] = {(s, p): [] for s in workers for p in PAGES}
    for _ in range(options.runs):
        for page in PAGES:
            for size, worker in workers.items():
                assert worker.stdin is not None and worker.stdout is not None  # noqa: S101
                worker.stdin.write(page + "\n")
                worker.stdin.flush()
                samples[(size, page)].append(json.loads(worker.stdout.readline()))
    for worker in workers.values():
        assert worker.stdin is not None  # noqa: S101
        worker.stdin.close()
        worker.wait()
    load = os.getloadavg()
    print(f"machine: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"load average at the end: {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}")
    print(f"{options.runs} requests per page and size, interleaved; milliseconds; June")
    print(
        f"{'communities':>11} {'reports':>9} {'page':<9} {'p50':>8} {'p95':>8} {'queries':>7}"
        f" {'÷ dashboard':>11} {'÷ smallest':>10}"
    )
    smallest = min(workers)
    for size in workers:
        for page in PAGES:
            p50, p95 = percentiles(samples[(size, page)])
            by_dashboard = p50 / percentiles(samples[(size, "dashboard")])[0]
            by_smallest = p50 / percentiles(samples[(smallest, page)])[0]
            print(
                f"{facts[size]['communities']:>11,} {facts[size]['reports']:>9,} {page:<9}"
                f" {p50:>8.1f} {p95:>8.1f} {facts[size]['queries'][page]:>7}"
                f" {by_dashboard:>11.2f} {by_smallest:>10.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
