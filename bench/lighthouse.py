"""Lighthouse accessibility scores of the main pages, as the roles they concern, at the
desktop and the mobile form factor, on the demo data.

    .venv/bin/python bench/lighthouse.py
    .venv/bin/python bench/lighthouse.py --only workspace review --form-factors mobile
    .venv/bin/python bench/lighthouse.py --database-url postgres://postgres@127.0.0.1:5432/yijia_lh

Lighthouse is not one of the portal's dependencies: the first run installs the npm package
(``npm install --prefix var/lighthouse lighthouse@12``; ``var/`` is git-ignored) and it
drives Debian's Chromium (``CHROME_PATH=/usr/bin/chromium``, headless, no sandbox), so no
browser is downloaded. Nothing of this runs in the test suite: the axe-core test
(``tests/browser/test_accessibility.py``) is the guard.

The portal runs on a database of its own, ``var/lighthouse/yijia.sqlite3`` or
``--database-url`` (a PostgreSQL database is created when missing), built as ``make
setup`` builds one (migrate, the 2017 checklist, the demo data, the summary tables) when
missing or with ``--rebuild``; ``runserver`` serves it on a free port. A signed-in page
is opened with the session of a demo login (``Client().force_login``), sent as a
``Cookie`` header with ``--extra-headers``, with ``Accept-Language: zh-CN`` as a browser
in Shanghai sends it.

Prints the score of each page × form factor, then every audit that failed with the
elements it found; the JSON and HTML reports and a screenshot of each page as Lighthouse
saw it go to ``test-artifacts/lighthouse/``. Exits
with 1 when a score is under ``--threshold`` (95) or an audit failed, even one that
Lighthouse weighs 0.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

# The development settings for Django (DEBUG is off unless asked for: docs/deployment.md).
os.environ.setdefault("DEBUG", "True")

ROOT = Path(__file__).resolve().parent.parent
HOME = ROOT / "var" / "lighthouse"
LIGHTHOUSE = HOME / "node_modules" / ".bin" / "lighthouse"
LIGHTHOUSE_PACKAGE = "lighthouse@12"
REPORTS = ROOT / "test-artifacts" / "lighthouse"
CHROME = "/usr/bin/chromium"
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --no-first-run"
FORM_FACTORS = ("desktop", "mobile")


@dataclass(frozen=True)
class Case:
    name: str  # the page, as the issue names it
    path: str
    role: str
    username: str | None  # a demo login; None: signed out

    @property
    def variant(self) -> str:
        """The query, in the reports' file names: ``-show-todo``."""
        query = self.path.partition("?")[2]
        return "".join(f"-{part}" for part in query.replace("=", "-").split("&") if part)


CASES = [
    Case("login", "/accounts/login/", "anonymous", None),
    Case("home", "/", "社区人员", "shequ1"),
    Case("home", "/", "牵头单位人员", "fangguansuo"),
    Case("home", "/", "街道管理员", "admin"),
    Case("home", "/", "街道领导", "lingdao"),
    Case("workspace", "/workspace/", "社区人员", "shequ1"),
    # The home page's button: the items to file, each form open (closed <details> are
    # hidden, and neither Lighthouse nor axe audits what is hidden).
    Case("workspace", "/workspace/?show=todo", "社区人员", "shequ1"),
    # November: the items offered last month's figures (沿用上月), forms open.
    Case("workspace", "/workspace/?year=2017&month=11&show=todo", "社区人员", "shequ1"),
    Case("review", "/review/", "牵头单位人员", "fangguansuo"),
    Case("dashboard", "/dashboard/", "街道管理员", "admin"),
    Case("dashboard", "/dashboard/", "街道领导", "lingdao"),
]


def manage(*arguments: str) -> None:
    command = [sys.executable, "manage.py", *arguments]
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)  # noqa: S603


def install_lighthouse() -> None:
    if LIGHTHOUSE.exists():
        return
    HOME.mkdir(parents=True, exist_ok=True)
    print(f"npm install --prefix {HOME} {LIGHTHOUSE_PACKAGE}", flush=True)
    subprocess.run(  # noqa: S603
        ["npm", "install", "--prefix", str(HOME), "--no-audit", "--no-fund", LIGHTHOUSE_PACKAGE],  # noqa: S607
        check=True,
    )


def build_database(url: str, rebuild: bool) -> None:
    """The demo data, as ``make setup`` loads it, in a database of this benchmark's own
    (created when missing, dropped and built again with ``--rebuild``); only the
    migrations when it is there."""
    os.environ["DATABASE_URL"] = url
    if url.startswith("sqlite:///"):
        database = Path(url.removeprefix("sqlite:///"))
        if rebuild:
            database.unlink(missing_ok=True)
        fresh = not database.exists()
        database.parent.mkdir(parents=True, exist_ok=True)
    else:
        import psycopg

        parts = urlsplit(url)
        name = parts.path.lstrip("/")
        with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as db:
            exists = db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if exists and rebuild:
                db.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            fresh = rebuild or not exists
            if fresh:
                db.execute(f'CREATE DATABASE "{name}"')
    manage("migrate", "--noinput")
    if fresh:
        print("loading the 2017 checklist and the demo data…", flush=True)
        manage("load_checklist", "fixtures/checklist_2017.yaml")
        manage("load_demo")
        manage("summaries", "--rebuild")


def sessions(usernames: set[str]) -> dict[str, str]:
    """A session cookie for each demo login, stored as a login stores it."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yijia.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.test import Client

    cookies = {}
    for username in sorted(usernames):
        client = Client()
        client.force_login(User.objects.get(username=username))
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        cookies[username] = f"{settings.SESSION_COOKIE_NAME}={session}"
    return cookies


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_portal(port: int) -> subprocess.Popen[bytes]:
    log = (HOME / "runserver.log").open("wb")
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "True"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5)  # noqa: S310
            return server
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.5)
    server.terminate()
    raise SystemExit(f"the portal did not answer on port {port}: see {HOME / 'runserver.log'}")


def lighthouse(url: str, headers: dict[str, str], form_factor: str, output: Path) -> dict[str, Any]:
    command = [
        str(LIGHTHOUSE),
        url,
        "--only-categories=accessibility",
        f"--chrome-flags={CHROME_FLAGS}",
        f"--extra-headers={json.dumps(headers)}",
        "--output=json",
        "--output=html",
        f"--output-path={output}",
        "--quiet",
    ]
    if form_factor == "desktop":
        command.append("--preset=desktop")
    subprocess.run(command, check=True, env={**os.environ, "CHROME_PATH": CHROME})  # noqa: S603
    report = json.loads(output.with_suffix(".report.json").read_text(encoding="utf-8"))
    # The page as Lighthouse saw it, to look at: <label>.webp beside the reports.
    screenshot = (report.get("fullPageScreenshot") or {}).get("screenshot", {}).get("data", "")
    kind, _, data = screenshot.partition(";base64,")
    if kind.startswith("data:image/"):
        output.with_suffix("." + kind.removeprefix("data:image/")).write_bytes(
            base64.b64decode(data)
        )
    return report


def failures(report: dict[str, Any]) -> list[str]:
    """Each failed audit, with up to four of its elements; those Lighthouse weighs 0 (axe
    rules it keeps out of the score, such as ``td-has-header``) are failures all the same."""
    weights = {
        ref["id"]: ref["weight"] for ref in report["categories"]["accessibility"]["auditRefs"]
    }
    lines = []
    for audit in report["audits"].values():
        if audit.get("scoreDisplayMode") not in ("binary", "numeric"):
            continue
        if audit.get("score") is None or audit["score"] >= 1:
            continue
        items = (audit.get("details") or {}).get("items") or []
        weight = weights.get(audit["id"], 0)
        lines.append(
            f"  {audit['id']} (weight {weight}): {audit['title']} ({len(items)} element(s))"
        )
        for item in items[:4]:
            node = item.get("node") or {}
            snippet = " ".join(str(node.get("snippet", "")).split())[:140]
            explanation = " ".join(str(node.get("explanation", "")).split())[:200]
            lines.append(f"      {node.get('selector', '')}  {snippet}")
            if explanation:
                lines.append(f"        {explanation}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=f"sqlite:///{HOME / 'yijia.sqlite3'}",
        help="the benchmark's own database (PostgreSQL: created when missing)",
    )
    parser.add_argument("--rebuild", action="store_true", help="build the demo database again")
    parser.add_argument("--only", nargs="*", help="page names: login home workspace review …")
    parser.add_argument("--form-factors", nargs="*", default=list(FORM_FACTORS))
    parser.add_argument("--threshold", type=int, default=95)
    arguments = parser.parse_args()

    install_lighthouse()
    build_database(arguments.database_url, arguments.rebuild)
    cases = [case for case in CASES if not arguments.only or case.name in arguments.only]
    cookies = sessions({case.username for case in cases if case.username})
    REPORTS.mkdir(parents=True, exist_ok=True)
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    version = subprocess.run(  # noqa: S603
        [str(LIGHTHOUSE), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    print(
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, Lighthouse {version}, "
        f"{shutil.which('chromium') or CHROME}, load average {' '.join(load)}",
        flush=True,
    )

    port = free_port()
    server = start_portal(port)
    scores: dict[tuple[Case, str], int] = {}
    failed: list[str] = []
    try:
        for case in cases:
            headers = {"Accept-Language": "zh-CN,zh;q=0.9"}
            if case.username:
                headers["Cookie"] = cookies[case.username]
            for form_factor in arguments.form_factors:
                label = f"{case.name}{case.variant}-{case.username or 'anonymous'}-{form_factor}"
                report = lighthouse(
                    f"http://127.0.0.1:{port}{case.path}", headers, form_factor, REPORTS / label
                )
                if report.get("runtimeError"):
                    raise SystemExit(f"{label}: {report['runtimeError']}")
                final = report.get("finalDisplayedUrl", "")
                if case.username and "/accounts/login/" in final:
                    raise SystemExit(f"{label}: sent to the login page, the session was refused")
                score = round(report["categories"]["accessibility"]["score"] * 100)
                scores[case, form_factor] = score
                print(f"{label}: {score}", flush=True)
                lines = failures(report)
                if lines:
                    failed.append(f"{case.path} as {case.role} ({form_factor}), {score}:")
                    failed.extend(lines)
    finally:
        server.terminate()
        server.wait(timeout=30)

    print()
    header = " | ".join(arguments.form_factors)
    print(f"| page | path | role | login | {header} |")
    print("| --- | --- | --- | --- |" + " --- |" * len(arguments.form_factors))
    for case in cases:
        figures = " | ".join(str(scores[case, factor]) for factor in arguments.form_factors)
        print(f"| {case.name} | `{case.path}` | {case.role} | {case.username or '—'} | {figures} |")
    print()
    print("\n".join(failed) if failed else "No failed audit.")
    print(f"Reports: {REPORTS.relative_to(ROOT)}/")
    below = any(score < arguments.threshold for score in scores.values())
    return 1 if below or failed else 0


if __name__ == "__main__":
    sys.exit(main())
