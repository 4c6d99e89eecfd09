"""Benchmark: the bulk work of issue 14 (part 4), before and after, in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yijia python bench/bulk.py
    python bench/bulk.py --communities 6000 --before HEAD --check

"Before" is the code at ``--before`` (a git revision, HEAD by default: the summaries'
row-by-row rebuild and the import-export ledger), loaded from git into this process
beside the working tree's ("after"). It times, on PostgreSQL:

1. **generation**: ``generate_scale_data --communities N`` into two fresh databases
   (``<name>_bulk_before_<N>`` and ``<name>_bulk_after_<N>``, dropped and created each
   run), once with the before rebuild and once with the after one (with its VACUUM);
   the same seed, so the same data;
2. **summary rebuild** on the after database: before (delete every row, recompute in
   Python); after into an emptied table (the bulk path of a load); after over a full
   table (a repair: only rows that differ are written); ``--check`` then proves with
   ``summaries_differences`` (row by row in Python) that the rows agree with the raw data;
3. **ledger export**: the month ledger of November as the street admin (every
   assignment), rows fetched and the xlsx written, before and after; the two files'
   cells are compared.

Prints, for each, rows, seconds and rows per second before and after, the ratio, the
process's CPU seconds (the machine is shared: ``uptime`` is printed at the start and the
end), and the after generation's whole command time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

# The development settings for Django (DEBUG is off unless asked for: docs/deployment.md).
os.environ.setdefault("DEBUG", "True")

ROOT = Path(__file__).resolve().parent.parent
LEDGER_MONTH = 11


def database_url(base: str, label: str, size: int) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}_bulk_{label}_{size}"))


def fresh_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"')
    environment = {**os.environ, "DATABASE_URL": url}
    subprocess.run(  # noqa: S603 (our own command)
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=environment,
        check=True,
    )


def phase(name: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run one phase in a process of its own (its own DATABASE_URL); its JSON result."""
    environment = {**os.environ, "DATABASE_URL": url}
    command = [sys.executable, __file__, "--phase", name, "--before", args.before]
    command += ["--communities", str(args.communities)]
    if args.check:
        command.append("--check")
    done = subprocess.run(  # noqa: S603 (our own script)
        command, cwd=ROOT, env=environment, check=True, capture_output=True, text=True
    )
    sys.stderr.write(done.stderr[-2000:] if done.returncode else "")
    return json.loads(done.stdout.strip().splitlines()[-1])


def before_module(revision: str, path: str, name: str) -> types.ModuleType:
    """The module at ``path`` as it was at ``revision``, loaded as ``name`` in its
    package (relative imports work), beside the working tree's."""
    source = subprocess.run(  # noqa: S603
        ["git", "show", f"{revision}:{path}"],  # noqa: S607
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType(name)
    module.__package__ = name.rpartition(".")[0]
    module.__file__ = f"{revision}:{path}"
    sys.modules[name] = module
    exec(compile(source, module.__file__, "exec"), module.__dict__)  # noqa: S102
    return module


def clocks() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def since(start: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = clocks()
    return round(wall - start[0], 2), round(cpu - start[1], 2)


def django_setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yijia.settings")
    import django

    django.setup()


def run_generate(args: argparse.Namespace, which: str) -> dict[str, Any]:
    django_setup()
    from django.core.management import call_command

    import dashboards.summaries as after
    from demo.management.commands import generate_scale_data

    rebuild = after.summaries_rebuild
    if which == "before":
        rebuild = before_module(
            args.before, "dashboards/summaries.py", "dashboards.bench_before_summaries"
        ).summaries_rebuild
        generate_scale_data.summaries_vacuum = lambda: None
    timed: dict[str, Any] = {}

    def timed_rebuild(**kwargs: Any) -> int:
        start = clocks()
        written = rebuild(**kwargs)
        timed["rebuild"], timed["rebuild_cpu"] = since(start)
        timed["rows"] = written
        return written

    after.summaries_rebuild = timed_rebuild  # the progress_loaded receiver's call
    start = clocks()
    with open(os.devnull, "w") as quiet:
        call_command("generate_scale_data", communities=args.communities, stdout=quiet)
    timed["whole"], timed["whole_cpu"] = since(start)
    return timed


def run_rebuild(args: argparse.Namespace) -> dict[str, Any]:
    django_setup()
    from django.db import connection

    from dashboards import summaries as after
    from dashboards.models import AssignmentMonth, PartyMonth
    from tasks.models import Checklist

    before = before_module(
        args.before, "dashboards/summaries.py", "dashboards.bench_before_summaries"
    )
    checklist = Checklist.objects.get(year=2017)
    result: dict[str, Any] = {}
    start = clocks()
    result["rows"] = before.summaries_rebuild(checklist=checklist)
    result["before"], result["before_cpu"] = since(start)
    with connection.cursor() as cursor:  # an emptied table: the bulk path of a load
        tables = f"{AssignmentMonth._meta.db_table}, {PartyMonth._meta.db_table}"
        cursor.execute(f"TRUNCATE {tables}")
    start = clocks()
    after.summaries_rebuild(checklist=checklist)
    result["after_empty"], result["after_empty_cpu"] = since(start)
    after.summaries_vacuum()
    start = clocks()
    after.summaries_rebuild(checklist=checklist)
    result["after_full"], result["after_full_cpu"] = since(start)
    if args.check:
        start = clocks()
        result["differences"] = len(after.summaries_differences(checklist=checklist))
        result["check"], _cpu = since(start)
    return result


def run_ledger(args: argparse.Namespace) -> dict[str, Any]:
    import io

    django_setup()
    import openpyxl
    from django.contrib.auth.models import User

    from dashboards import ledger as after

    before = before_module(args.before, "dashboards/ledger.py", "dashboards.bench_before_ledger")
    admin = User.objects.get(username="syn-admin")
    result: dict[str, Any] = {}
    files = {}
    for label, module in (("before", before), ("after", after), ("after2", after)):
        start = clocks()
        rows = module.month_ledger(user=admin, year=2017, month=LEDGER_MONTH)
        fetched = since(start)
        files[label] = module.ledger_workbook(rows)
        result[label], result[f"{label}_cpu"] = since(start)
        result[f"{label}_fetch"] = fetched[0]
        result["rows"] = len(rows)

    def cells(content: bytes) -> list[list[Any]]:
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        return [[cell.value for cell in row] for row in sheet.iter_rows()]

    result["same_cells"] = cells(files["before"]) == cells(files["after"])
    return result


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()  # noqa: S607


def line(what: str, rows: int, before: float, after: float, note: str = "") -> None:
    print(
        f"| {what} | {rows:,} | {before:.1f} | {after:.1f} | {rows / before:,.0f} | "
        f"{rows / after:,.0f} | {before / after:.1f}× | {note} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communities", type=int, default=300)
    parser.add_argument("--before", default="HEAD", help="the git revision measured as before")
    parser.add_argument("--check", action="store_true", help="summaries_differences at the end")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        runners = {
            "generate-before": lambda: run_generate(args, "before"),
            "generate-after": lambda: run_generate(args, "after"),
            "rebuild": lambda: run_rebuild(args),
            "ledger": lambda: run_ledger(args),
        }
        print(json.dumps(runners[args.phase]()))
        return
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("DATABASE_URL must name a PostgreSQL database (its server holds the bench's).")
    print(f"start: {uptime()}", flush=True)
    urls = {label: database_url(base, label, args.communities) for label in ("before", "after")}
    generated = {}
    for label in ("before", "after"):
        fresh_database(urls[label])
        generated[label] = phase(f"generate-{label}", urls[label], args)
        print(f"  generate ({label}): {generated[label]}", flush=True)
    rebuild = phase("rebuild", urls["after"], args)
    print(f"  rebuild: {rebuild}", flush=True)
    ledger = phase("ledger", urls["after"], args)
    print(f"  ledger: {ledger}", flush=True)
    print(f"end: {uptime()}")
    print()
    print(f"{args.communities:,} communities; before = {args.before}, after = the working tree")
    print()
    print("| what | rows | before s | after s | before rows/s | after rows/s | ratio | |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    b, a = generated["before"], generated["after"]
    line(
        "generate_scale_data, whole command",
        a["rows"],
        b["whole"],
        a["whole"],
        f"generation {b['whole'] - b['rebuild']:.1f} / {a['whole'] - a['rebuild']:.1f} s",
    )
    line("rebuild inside the command", a["rows"], b["rebuild"], a["rebuild"], "into empty tables")
    line(
        "rebuild, replacing every row",
        rebuild["rows"],
        rebuild["before"],
        rebuild["after_empty"],
        "after: bulk path (emptied table)",
    )
    line(
        "rebuild, repair of a full table",
        rebuild["rows"],
        rebuild["before"],
        rebuild["after_full"],
        "after: only rows that differ written",
    )
    line(
        f"ledger export, month {LEDGER_MONTH}",
        ledger["rows"],
        ledger["before"],
        ledger["after"],
        f"fetch {ledger['before_fetch']:.1f} / {ledger['after_fetch']:.1f} s; "
        f"CPU {ledger['before_cpu']:.1f} / {ledger['after_cpu']:.1f} s; "
        f"again {ledger['after2']:.1f} s; same cells: {ledger['same_cells']}",
    )
    if args.check:
        print(
            f"\nsummaries_differences after the rebuilds: {rebuild['differences']} "
            f"({rebuild['check']:.0f} s)"
        )


if __name__ == "__main__":
    main()
