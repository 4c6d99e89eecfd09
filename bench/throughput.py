"""Benchmark: requests per second under gunicorn (2 sync workers, loopback), each page put
next to a bare Django view measured in the same run.

    python bench/throughput.py                       # SQLite, var/bench-throughput.sqlite3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yijia_tp python bench/throughput.py
    python bench/throughput.py --rounds 6 --seconds 3 --rebuild

The database is built on first use (``migrate``, the 2017 checklist and ``load_demo``;
``--rebuild`` builds it again). Gunicorn runs ``yijia.wsgi`` with ``DEBUG=False`` and
``BENCH_URLS=True``, which adds ``/bench/bare/``: a view that goes through the whole
middleware stack and returns two bytes (no session, no query, no template).

The load generator is a few Python threads on raw sockets (the sync worker closes the
connection after each response, so each request is a new connection, as with wrk against
it). The pages, as the role that uses them:

- bare: ``/bench/bare/``, anonymous;
- login GET: ``/accounts/login/``, anonymous;
- password page: ``/accounts/password_change/`` as ``shequ1``, the cheapest signed-in page
  (the header alone: session, user, unread count, navigation);
- inbox: ``/notifications/`` as a community's staff (``shequ1``);
- home: ``/`` as a community's staff (``shequ1``);
- dashboard: ``/dashboard/`` as the street admin (``admin``).

They are measured interleaved: ``--rounds`` rounds of ``--seconds`` seconds per page, so the
load of the (shared) machine falls on all alike. Prints requests per second and the ratio
to the bare view, and the CPU time the gunicorn workers spent per request (from /proc, on
Linux; PostgreSQL's and Redis's own CPU not counted) with the bare view's ÷ the page's: the
machine's load moves requests per second much more than the CPU a request costs. Every
response must be 200 (a redirect to the login page would be cheap and wrong): any other
status stops the run.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
# The demo's published password, read from demo/data.py (importing it needs Django set up).
DEMO_PASSWORD = re.search(
    r'DEMO_PASSWORD = "([^"]+)"', (ROOT / "demo" / "data.py").read_text(encoding="utf-8")
)[1]  # type: ignore[index]

HOST = "127.0.0.1"
SECRET = "bench-throughput-" + "x" * 40  # noqa: S105 (a throwaway key for a local run)


def environment(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DEBUG="False",
        SECRET_KEY=SECRET,
        ALLOWED_HOSTS=HOST,
        SECURE_COOKIES="False",
        # Plain HTTP on loopback: no redirect to HTTPS (production sits behind TLS).
        SECURE_SSL_REDIRECT="False",
        # The SQLite default is measured too (DEBUG=False refuses it unless asked).
        ALLOW_SQLITE="True",
        # DEBUG=False serves the collected static files (their manifest): collected here.
        STATIC_ROOT=str(ROOT / "var" / "bench-static"),
        BENCH_URLS="True",
        # As in production (.env.example): a connection kept per worker, not one a request.
        DATABASE_CONN_MAX_AGE=os.environ.get("DATABASE_CONN_MAX_AGE", "60"),
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="yijia.settings",
    )
    return env


def build(database_url: str, rebuild: bool) -> None:
    env = environment(database_url)
    python = sys.executable
    # The pages name their static files through the manifest collectstatic writes.
    subprocess.run(  # noqa: S603 (our own commands)
        [python, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    if database_url.startswith("sqlite"):
        path = Path(database_url.removeprefix("sqlite:///"))
        if path.exists() and not rebuild:
            return
        path.unlink(missing_ok=True)
    else:
        check = subprocess.run(  # noqa: S603 (our own commands)
            [
                python,
                "manage.py",
                "shell",
                "-c",
                "from django.contrib.auth.models import User;"
                "import sys; sys.exit(0 if User.objects.filter(username='shequ1').exists() else 3)",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
        )
        if check.returncode == 0 and not rebuild:
            # An existing database: brought up to the code's migrations.
            subprocess.run(  # noqa: S603 (our own commands)
                [python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
            )
            return
    print("building the database (migrate, load_demo)…", flush=True)
    migrate = [python, "manage.py", "migrate", "-v0"]
    subprocess.run(migrate, cwd=ROOT, env=env, check=True)  # noqa: S603 (our own commands)
    subprocess.run(  # noqa: S603 (our own commands)
        [python, "manage.py", "load_checklist", "fixtures/checklist_2017.yaml"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(  # noqa: S603 (our own commands)
        [python, "manage.py", "load_demo"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )


def request_bytes(method: str, path: str, cookies: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}", "User-Agent: bench-throughput"]
    if cookies:
        lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
    if body:
        lines.append("Content-Type: application/x-www-form-urlencoded")
        lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def fetch(port: int, raw: bytes) -> tuple[int, bytes, bytes]:
    """One request on a new connection; (status, headers, body)."""
    with socket.create_connection((HOST, port)) as sock:
        sock.sendall(raw)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    data = b"".join(chunks)
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), head, body


def set_cookies(head: bytes) -> dict[str, str]:
    found = re.findall(rb"(?im)^Set-Cookie:\s*([^=;]+)=([^;\r\n]*)", head)
    return {k.decode(): v.decode() for k, v in found}


def login(port: int, username: str) -> dict[str, str]:
    status, head, body = fetch(port, request_bytes("GET", "/accounts/login/", {}))
    cookies = set_cookies(head)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    assert status == 200 and token, status
    form = urlencode(
        {"username": username, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token[1]}
    ).encode()
    status, head, _ = fetch(port, request_bytes("POST", "/accounts/login/", cookies, form))
    assert status == 302, f"login of {username}: {status}"
    cookies.update(set_cookies(head))
    return cookies


def hammer(port: int, raw: bytes, seconds: float, threads: int) -> tuple[int, float]:
    """Requests completed by ``threads`` clients in ``seconds``; (count, elapsed)."""
    counts = [0] * threads
    failures: list[str] = []
    stop = time.perf_counter() + seconds

    def client(i: int) -> None:
        while time.perf_counter() < stop:
            status, _, _ = fetch(port, raw)
            if status != 200:
                failures.append(str(status))
                return
            counts[i] += 1

    started = time.perf_counter()
    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"non-200 responses: {failures[:3]}")
    return sum(counts), elapsed


def workers_cpu(master: int) -> float:
    """CPU seconds (user + system) the gunicorn workers have used so far (Linux /proc; 0
    elsewhere). Per request, it hardly depends on what else the machine is doing, where
    requests per second do."""
    clock = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        return 0.0
    used = 0
    for pid in children:
        try:
            # After the command's ")": state is field 3, utime and stime fields 14 and 15.
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used += int(fields[11]) + int(fields[12])
    return used / clock


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()

    database_url = os.environ.get(
        "DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench-throughput.sqlite3'}"
    )
    build(database_url, args.rebuild)
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 (our own commands)
        [
            sys.executable,
            "-m",
            "gunicorn",
            "yijia.wsgi",
            "--workers",
            "2",
            "--bind",
            f"{HOST}:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=environment(database_url),
    )
    try:
        for _ in range(100):
            try:
                fetch(port, request_bytes("GET", "/bench/bare/", {}))
                break
            except OSError:
                time.sleep(0.2)
        community = login(port, "shequ1")
        admin = login(port, "admin")
        pages = {
            "bare": request_bytes("GET", "/bench/bare/", {}),
            "login GET": request_bytes("GET", "/accounts/login/", {}),
            "password page (shequ1)": request_bytes("GET", "/accounts/password_change/", community),
            "inbox (shequ1)": request_bytes("GET", "/notifications/", community),
            "home (shequ1)": request_bytes("GET", "/", community),
            "dashboard (admin)": request_bytes("GET", "/dashboard/", admin),
        }
        for raw in pages.values():  # warm: templates compiled, connections open
            for _ in range(4):
                status, _, _ = fetch(port, raw)
                assert status == 200, status
        totals: dict[str, list[float]] = {name: [0, 0.0, 0.0] for name in pages}
        for _ in range(args.rounds):
            for name, raw in pages.items():
                cpu = workers_cpu(server.pid)
                count, elapsed = hammer(port, raw, args.seconds, args.threads)
                totals[name][0] += count
                totals[name][1] += elapsed
                totals[name][2] += workers_cpu(server.pid) - cpu
    finally:
        server.terminate()
        server.wait(timeout=30)

    bare = totals["bare"][0] / totals["bare"][1]
    bare_cpu = totals["bare"][2] / totals["bare"][0]
    print(
        f"database: {database_url.split('@')[-1]}; gunicorn 2 sync workers; "
        f"{args.threads} client threads; {args.rounds} rounds × {args.seconds:g} s per page; "
        f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    # req/s and its ratio move with the machine's load; the workers' CPU per request (and
    # the bare view's ÷ the page's, a ratio of the same kind) much less so.
    print(f"{'page':<24} {'req/s':>8} {'÷ bare':>8} {'CPU ms/req':>11} {'bare ÷':>8}")
    for name, (done, seconds, cpu) in totals.items():
        rate = done / seconds
        per_request = cpu / done if done else 0.0
        cpu_ratio = bare_cpu / per_request if per_request else 0.0
        print(
            f"{name:<24} {rate:>8.1f} {rate / bare:>8.3f} {per_request * 1000:>11.2f} "
            f"{cpu_ratio:>8.3f}"
        )


if __name__ == "__main__":
    main()
