"""Benchmark: one month's filing reminders for a city, delivered to a real SMTP server.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yijia python bench/reminders.py
    python bench/reminders.py --sizes 30,300 --workers 2

For each size (30, 300 and 6,000 communities by default) it builds a throw-away database
as ``bench/reminder_run.py`` does (3 staff with an email address per community, January
to June filed, July by half of the communities), starts an SMTP server on loopback in a
process of its own (``tests/smtp.py``: aiosmtpd, keeping what it accepted), and times the
reminder run three days before the deadline as the workers run it: plan and compose in
this process, then delivery fanned out over ``--workers`` processes that each run
``notifications.services.messages_deliver`` (what each Celery worker's
``notifications.messages_deliver`` task runs), until the last message is marked sent. It
then runs the same moment again (nothing new may be sent), and the escalation run with
one of the workers killed (SIGKILL) in the middle of a batch, the rest sent by a sweep
once the claim's lease (``--lease`` seconds here) has passed. Every email the server
accepted is counted per (recipient, subject, body): "duplicates" are the ones it accepted
more than once.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

# The development settings for Django (DEBUG is off unless asked for: docs/deployment.md).
os.environ.setdefault("DEBUG", "True")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yijia.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, connections  # noqa: E402

from bench.machine import machine_line, uptime  # noqa: E402
from bench.reminder_run import SHANGHAI, STAFF_PER_COMMUNITY, build  # noqa: E402

FORK = multiprocessing.get_context("fork")


def smtp_server(pipe: multiprocessing.connection.Connection) -> None:
    """The SMTP server's process: answers "port", "count" and "stop" on the pipe."""
    import logging

    from tests.smtp import SMTPServer

    logging.getLogger("mail.log").setLevel(logging.WARNING)

    server = SMTPServer()
    server.start()
    while True:
        command = pipe.recv()
        if command == "port":
            pipe.send(server.port)
        elif command == "count":
            mails = server.mails
            seen = collections.Counter((tuple(m.to), m.subject, m.body) for m in mails)
            pipe.send((len(mails), sum(n - 1 for n in seen.values())))
        elif command == "stop":
            server.stop()
            pipe.send(None)
            return


class Server:
    def __init__(self) -> None:
        self.pipe, theirs = FORK.Pipe()
        self.process = FORK.Process(target=smtp_server, args=(theirs,), daemon=True)
        self.process.start()
        self.pipe.send("port")
        self.port: int = self.pipe.recv()

    def count(self) -> tuple[int, int]:
        """(emails accepted, duplicates among them) so far."""
        self.pipe.send("count")
        accepted, duplicates = self.pipe.recv()
        return accepted, duplicates

    def stop(self) -> None:
        self.pipe.send("stop")
        self.pipe.recv()
        self.process.join(10)


def deliver_in_worker() -> None:
    from notifications.services import messages_deliver

    messages_deliver()
    connections.close_all()


def deliver_as_before_in_worker() -> None:
    """Delivery as it was before issue 14, for the comparison: the waiting ids, then per
    message a claim, a SELECT and a mark, each its own flushed commit, and a new SMTP
    connection per email (the connection was never opened for the batch)."""
    from django.utils import timezone

    from notifications import channels
    from notifications.models import Message
    from notifications.services import message_claim

    ids = Message.objects.claimable(now=timezone.now()).order_by("pk")
    for message_id in list(ids.values_list("pk", flat=True)):
        now = timezone.now()
        if not message_claim(message_id=message_id, now=now):
            continue
        message = Message.objects.select_related("recipient", "webhook").get(pk=message_id)
        channels.email_send(message, connection=channels.email_connection())
        Message.objects.filter(pk=message_id, claimed_at=now).update(
            delivery_state=Message.Delivery.SENT, delivered_at=timezone.now()
        )
    connections.close_all()


def compare(server: Server, workers: int) -> None:
    """The first run's messages delivered again, as before and in batches, one after the
    other on the same data: the ratio of the two."""
    from notifications.models import Message

    digests = Message.objects.filter(kind=Message.Kind.DIGEST, delivery_state="sent")
    times = {}
    for name, target in [("as before", deliver_as_before_in_worker), ("in batches", None)]:
        ids = list(digests.values_list("pk", flat=True))
        Message.objects.filter(pk__in=ids).update(
            delivery_state=Message.Delivery.PENDING, claimed_at=None, attempts=0
        )
        accepted_before = server.count()[0]
        started = time.perf_counter()
        for process in workers_start(workers, target=target):
            process.join()
        times[name] = time.perf_counter() - started
        print(
            f"  the same {len(ids)} messages delivered again {name:<11} "
            f"{times[name]:6.1f} s  emails {server.count()[0] - accepted_before}",
            flush=True,
        )
    print(f"  as before ÷ in batches: {times['as before'] / times['in batches']:.1f}", flush=True)


def workers_start(count: int, target: Any = None) -> list[Any]:
    connections.close_all()  # the children must open their own connections
    processes = [FORK.Process(target=target or deliver_in_worker) for _ in range(count)]
    for process in processes:
        process.start()
    return processes


def counts() -> tuple[int, int, int]:
    from notifications.models import Message
    from reminders.models import Reminder

    return (
        Reminder.objects.count(),
        Message.objects.count(),
        Message.objects.exclude(
            delivery_state__in=[Message.Delivery.SENT, Message.Delivery.SKIPPED]
        ).count(),
    )


def run(
    name: str,
    moment: datetime.datetime,
    server: Server,
    workers: int,
    *,
    kill_after: int | None = None,
) -> dict[str, float]:
    """One reminder run at ``moment``; with ``kill_after``, the first worker is killed once
    the server has accepted that many of the run's emails, and a sweep after the lease
    sends what it left."""
    from reminders.services import digests_compose, reminders_plan

    reminders_before, messages_before, _ = counts()
    accepted_before, duplicates_before = server.count()
    started = time.perf_counter()
    reminders_plan(now=moment)
    planned = time.perf_counter()
    digests_compose(now=moment)
    composed = time.perf_counter()
    processes = workers_start(workers)
    killed = ""
    if kill_after is not None:
        while server.count()[0] - accepted_before < kill_after and processes[0].is_alive():
            time.sleep(0.01)
        if processes[0].is_alive():
            os.kill(processes[0].pid, signal.SIGKILL)
            killed = f"worker killed after {server.count()[0] - accepted_before} emails; "
    for process in processes:
        process.join()
    delivered = time.perf_counter()
    swept = 0.0
    if kill_after is not None:
        time.sleep(settings.REMINDER_CLAIM_SECONDS + 0.5)
        sweep_started = time.perf_counter()
        from notifications.services import messages_deliver

        messages_deliver()
        swept = time.perf_counter() - sweep_started
        killed += f"sweep after the {settings.REMINDER_CLAIM_SECONDS} s lease {swept:.1f} s; "
    reminders_after, messages_after, unsent = counts()
    accepted, duplicates = server.count()
    print(
        f"{name:<26} plan {planned - started:5.1f} s  compose {composed - planned:5.1f} s  "
        f"deliver {delivered - composed:5.1f} s  total {delivered - started:5.1f} s  "
        f"reminders +{reminders_after - reminders_before:<6} "
        f"messages +{messages_after - messages_before:<6} "
        f"emails {accepted - accepted_before:<6} duplicates {duplicates - duplicates_before}  "
        f"{killed}left unsent {unsent}",
        flush=True,
    )
    return {"total": delivered - started, "duplicates": duplicates - duplicates_before}


def one_size(communities: int, workers: int, kill: bool, lease: int, compare_up_to: int) -> None:
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    usual_lease = settings.REMINDER_CLAIM_SECONDS
    server = Server()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = (
        "127.0.0.1",
        server.port,
        False,
    )
    try:
        started = time.perf_counter()
        # The reminders read no summary table: the build does not keep the dashboard's
        # summaries (as a bulk load would, without the rebuild at its end).
        from tasks import signals

        token = signals._deferred.set(True)
        try:
            build(communities)
        finally:
            signals._deferred.reset(token)
        print(
            f"{communities} communities, {communities * STAFF_PER_COMMUNITY} community staff "
            f"(built in {time.perf_counter() - started:.0f} s), {workers} delivery workers",
            flush=True,
        )
        run("3 days before (Fri 4 Aug)", at(8, 4, 9), server, workers)
        run("same run again", at(8, 4, 9, 15), server, workers)
        if communities <= compare_up_to:
            compare(server, workers)
        if kill:
            settings.REMINDER_CLAIM_SECONDS = lease  # the workers are forked after this
            run(
                "escalation, a worker killed",
                at(8, 10, 9),
                server,
                workers,
                kill_after=max(5, communities // 4),
            )
    finally:
        settings.REMINDER_CLAIM_SECONDS = usual_lease
        server.stop()
        connections.close_all()
        connection.creation.destroy_test_db(name, verbosity=0)


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2017, month, day, hour, minute, tzinfo=SHANGHAI)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--sizes", default="30,300,6000")
    parser.add_argument("--workers", type=int, default=2, help="delivery processes")
    parser.add_argument(
        "--lease", type=int, default=10, help="REMINDER_CLAIM_SECONDS in the killed run"
    )
    parser.add_argument(
        "--compare-up-to",
        type=int,
        default=300,
        help="at sizes up to this, deliver the first run again as before and in batches",
    )
    parser.add_argument("--no-kill", action="store_true", help="skip the escalation run")
    arguments = parser.parse_args()

    settings.DEBUG = False
    print(f"{machine_line()}; {uptime()}", flush=True)
    for size in [int(size) for size in arguments.sizes.split(",")]:
        one_size(
            size,
            arguments.workers,
            not arguments.no_kill,
            arguments.lease,
            arguments.compare_up_to,
        )
    print(uptime())


if __name__ == "__main__":
    main()
