"""Benchmark: every main page, as each role that uses it, at 30 and 6,000 communities, in
one table; then the gunicorn throughput ratios and the reminder run (issue 14).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yijia python bench/pages.py
    python bench/pages.py --sizes 30 3000 --runs 10 --skip-throughput --skip-reminders

Each size has a database of its own on the server of ``DATABASE_URL``, named after the
data it holds: ``yijia_pages_<N>_<version>``, the version a hash of the migrations (by
name), ``demo/scale_data.py`` and ``bench/dashboard.py`` (which builds it: migrate, the
2017 checklist counting all twelve months, ``generate_scale_data --communities N
--through-month 12``). A database of the same version is reused; ``--rebuild`` builds it
again (6,000 communities take a few minutes). Before measuring, each is migrated and
VACUUM ANALYZEd (``bench/review.py``'s ``prepare``).

One process holds a test client per role and size (the users ``generate_scale_data``
creates: ``syn-c00001-1`` a community's staff, ``syn-u01-1`` a lead unit's, ``syn-admin``,
``syn-leader``) and switches the default connection between the databases: request i of
every page is made at each size in turn, so the load of the (shared) machine falls on all
sizes alike. The pages read June or December 2017 (the data's year); "workspace" is
本月填报, the month ledger is the xlsx download of a community's own rows.

Prints per page and role: p50 in milliseconds at each size, the largest ÷ the smallest
(the goal: ≤ 1.5, ✗ when over), the queries per request at each size, and at which size
a plan of one of the page's queries reads a large table whole (a sequential scan of the
reports, the assignments or the summary rows; on the 30-community tables PostgreSQL may
rightly prefer one). Then, unless skipped, ``bench/throughput.py`` (gunicorn requests per
second ÷ a bare view, on a database of its own) and ``bench/reminders.py``
(``--reminder-sizes``) run as they are, their output printed after the table.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

# The development settings for Django (DEBUG is off unless asked for: docs/deployment.md).
os.environ.setdefault("DEBUG", "True")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from django.test import Client

GOAL = 1.5
MONTH = 6


def data_version() -> str:
    """What the databases were built from: the migrations (by name) and the generator."""
    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("*/migrations/[0-9]*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
    for path in (ROOT / "demo" / "scale_data.py", ROOT / "bench" / "dashboard.py"):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


def database_url(base: str, size: int) -> str:
    parts = urlsplit(base)
    prefix = parts.path.rstrip("/").rsplit("/", 1)[0]
    return urlunsplit(parts._replace(path=f"{prefix}/yijia_pages_{size}_{data_version()}"))


def run_script(command: list[str], url: str) -> None:
    """Runs one of the other benchmarks as it is, its output passed through."""
    print(f"\n$ {' '.join(command)}", flush=True)
    environment = {**os.environ, "DATABASE_URL": url}
    subprocess.run([sys.executable, *command], cwd=ROOT, env=environment, check=False)  # noqa: S603


def main() -> None:  # noqa: C901, PLR0915 (one table, built in one place)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 6000])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-reminders", action="store_true")
    parser.add_argument("--reminder-sizes", default="30,300", help="bench/reminders.py --sizes")
    parser.add_argument(
        "--only", nargs="+", default=[], metavar="PAGE", help="only the pages named (e.g. ranking)"
    )
    parser.add_argument(
        "--database",
        nargs="+",
        default=[],
        metavar="SIZE=NAME",
        help="an existing database for that size (a copy: createdb -T), migrated, not built",
    )
    options = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("bench/pages.py measures PostgreSQL: set DATABASE_URL=postgres://…")
    from bench.review import prepare, sequential_scans

    sizes = options.sizes
    urls = {size: database_url(base, size) for size in sizes}
    given = dict(entry.split("=", 1) for entry in options.database)
    for size in sizes:
        if str(size) in given:
            urls[size] = urlunsplit(urlsplit(base)._replace(path=f"/{given[str(size)]}"))
            subprocess.run(  # noqa: S603 (our own)
                [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
                cwd=ROOT,
                env={**os.environ, "DATABASE_URL": urls[size]},
                check=True,
            )
            subprocess.run(["psql", urls[size], "-qc", "ANALYZE"], check=True)  # noqa: S603, S607
        else:
            prepare(urls[size], size, options.rebuild)

    os.environ["DATABASE_URL"] = urls[sizes[0]]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yijia.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from assessments.scoring import scheme_default
    from bench.machine import machine_line, uptime
    from communities.models import Community
    from tasks.models import Checklist, Item, ProgressReport

    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    names = {size: urls[size].rsplit("/", 1)[1] for size in sizes}

    def use(size: int) -> None:
        connection.close()
        connection.settings_dict["NAME"] = names[size]

    june = f"year=2017&month={MONTH}"
    pages: dict[int, list[tuple[str, str, Client, str]]] = {}
    facts: dict[int, tuple[int, int]] = {}
    for size in sizes:
        use(size)
        scheme_default(checklist=Checklist.objects.get(year=2017))
        community = Community.objects.get(memberships__user__username="syn-c00001-1")
        item = Item.objects.get(checklist__year=2017, number=8)
        lead_unit = item.ordered_lead_units()[0]
        item_lead = User.objects.filter(username__startswith="syn-u", memberships__unit=lead_unit)[
            0
        ]
        report = ProgressReport.objects.filter(
            assignment__item=item, assignment__community=community, year=2017, month=12
        ).first() or ProgressReport.objects.filter(assignment__item=item).latest("pk")
        clients: dict[str, Client] = {}
        for role, user in (
            ("community", User.objects.get(username="syn-c00001-1")),
            ("lead unit", User.objects.get(username="syn-u01-1")),
            ("street admin", User.objects.get(username="syn-admin")),
            ("leader", User.objects.get(username="syn-leader")),
            ("item's lead unit", item_lead),
        ):
            clients[role] = Client()
            clients[role].force_login(user)
        item_page = f"/items/{item.pk}/?period=2017-12"
        listing: list[tuple[str, str, str]] = [
            ("home", "community", "/"),
            ("home", "lead unit", "/"),
            ("home", "street admin", "/"),
            ("home", "leader", "/"),
            ("workspace", "community", "/workspace/"),
            ("review queue", "lead unit", "/review/"),
            ("review queue", "street admin", "/review/"),
            ("report page", "item's lead unit", f"/reports/{report.pk}/"),
            ("report page", "street admin", f"/reports/{report.pk}/"),
            ("item page", "street admin", item_page),
            ("item page", "item's lead unit", item_page),
            ("item page", "community", item_page),
            ("community page", "street admin", f"/communities/{community.pk}/"),
            ("community page", "community", f"/communities/{community.pk}/"),
            ("dashboard", "street admin", f"/dashboard/?{june}"),
            ("dashboard", "leader", f"/dashboard/?{june}"),
            ("matrix", "street admin", f"/dashboard/matrix/?{june}"),
            ("matrix", "leader", f"/dashboard/matrix/?{june}"),
            ("briefing", "street admin", f"/dashboard/briefing/?{june}"),
            ("briefing", "leader", f"/dashboard/briefing/?{june}"),
            ("ranking", "street admin", f"/assessments/?{june}"),
            ("ranking", "leader", f"/assessments/?{june}"),
            ("score sheet", "street admin", f"/assessments/communities/{community.pk}/?{june}"),
            ("score sheet", "community", f"/assessments/communities/{community.pk}/?{june}"),
            ("month ledger (xlsx)", "community", f"/ledger/month/?{june}"),
            ("meetings", "community", "/meetings/"),
            ("meetings", "street admin", "/meetings/"),
            ("inbox", "community", "/notifications/"),
            ("inbox", "lead unit", "/notifications/"),
        ]
        pages[size] = [
            (page, role, clients[role], address)
            for page, role, address in listing
            if not options.only or page in options.only
        ]
        facts[size] = (Community.objects.count(), ProgressReport.objects.count())

    def request(client: Client, address: str) -> float:
        started = time.perf_counter()
        response = client.get(address)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (address, response.status_code)
        return elapsed

    count = len(pages[sizes[0]])
    queries: dict[tuple[int, int], int] = {}
    scans: dict[tuple[int, int], set[str]] = {}
    for size in sizes:
        use(size)
        for index, (_page, _role, client, address) in enumerate(pages[size]):
            for _ in range(2):  # warm-up
                request(client, address)
            with CaptureQueriesContext(connection) as captured:
                request(client, address)
            queries[size, index] = len(captured)
            scans[size, index] = sequential_scans(captured.captured_queries)

    samples: dict[tuple[int, int], list[float]] = {key: [] for key in queries}
    for _ in range(options.runs):
        for index in range(count):
            for size in sizes:  # interleaved: each size in turn, page by page
                use(size)
                _page, _role, client, address = pages[size][index]
                samples[size, index].append(request(client, address))

    small, large = sizes[0], sizes[-1]
    print(machine_line())
    print(f"load: {uptime()}")
    for size in sizes:
        communities, reports = facts[size]
        print(f"  {size}: {communities:,} communities, {reports:,} reports ({names[size]})")
    print(f"{options.runs} timed requests per page, role and size, interleaved; milliseconds")
    header = (
        f"{'page':<20} {'as':<17}"
        + "".join(f" {f'p50 @{size}':>10}" for size in sizes)
        + f" {f'{large}÷{small}':>10}"
        + "".join(f" {f'q @{size}':>7}" for size in sizes)
        + "  seq scans"
    )
    print(header)
    misses = []
    for index, (page, role, _client, _address) in enumerate(pages[small]):
        p50 = {size: statistics.median(samples[size, index]) for size in sizes}
        ratio = p50[large] / p50[small]
        mark = " " if ratio <= GOAL else "✗"
        if ratio > GOAL:
            misses.append(f"{page} ({role}) {ratio:.2f}×")
        full = "; ".join(
            f"@{size}: {', '.join(sorted(scans[size, index]))}"
            for size in sizes
            if scans[size, index]
        )
        print(
            f"{page:<20} {role:<17}"
            + "".join(f" {p50[size]:>10.1f}" for size in sizes)
            + f" {ratio:>9.2f}{mark}"
            + "".join(f" {queries[size, index]:>7}" for size in sizes)
            + f"  {full or 'none'}"
        )
    print(f"over {GOAL}×: {'; '.join(misses) or 'none'}")
    print(f"load: {uptime()}", flush=True)
    connection.close()

    if not options.skip_throughput:
        run_script(["bench/throughput.py"], database_url(base, 0).replace("_0_", "_tp_"))
    if not options.skip_reminders:
        run_script(
            ["bench/reminders.py", "--sizes", options.reminder_sizes],
            database_url(base, 0).replace("_0_", "_reminders_"),
        )


if __name__ == "__main__":
    main()
