"""Two real PostgreSQL connections racing: the first holds its transaction open until the
second is seen waiting on one of its row locks, then commits."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from django.db import connection, connections, transaction


def someone_waits_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def race(first: Callable[[], object], second: Callable[[], object]) -> dict[str, object]:
    """Run ``first`` in a transaction, then ``second`` in another thread once ``first`` has
    written; ``first`` commits only when ``second`` waits on a lock (asserted). Returns
    what each returned, or the exception it raised, under "first" and "second"."""
    first_done, first_may_commit = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def run_first() -> None:
        try:
            with transaction.atomic():
                outcome["first"] = first()
                first_done.set()
                first_may_commit.wait(10)
        except Exception as error:  # reported by the caller's assertions
            outcome["first"] = error
        finally:
            first_done.set()
            connections.close_all()

    def run_second() -> None:
        first_done.wait(10)
        try:
            with transaction.atomic():
                outcome["second"] = second()
        except Exception as error:
            outcome["second"] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while not someone_waits_on_a_lock() and time.monotonic() < deadline:
        time.sleep(0.02)
    waited = someone_waits_on_a_lock()
    first_may_commit.set()
    for thread in threads:
        thread.join(10)
    assert waited, "the second transaction should wait for the first's row lock"
    return outcome
