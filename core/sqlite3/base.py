"""Django's SQLite backend, with the writers of one process taking turns in a queue.

SQLite takes one writer at a time. A connection that finds the write lock taken polls for
it (the busy handler: sleeps of 1 to 100 ms, up to ``timeout`` seconds), and polling is not
a queue: whoever polls at the moment the lock comes free takes it. Under the development
server (one process, a thread per request) with a few dozen people saving, the thread that
holds the lock also shares the interpreter with every other request, so a 0.1 s save holds
the lock for seconds, and a writer could keep losing to newer ones for longer than the
timeout: "database is locked" (issue 15's load test, docs/load-test.md: 1 save in 107 with
50 users and the 20 s timeout).

Here the threads of one process wait for each other on a lock of the process, which wakes
one waiter when the lock comes free instead of letting them poll, before SQLite's lock is
asked for: a transaction's ``BEGIN IMMEDIATE`` takes it until ``COMMIT`` or ``ROLLBACK``,
a write outside a transaction (``last_login``, a login record) for its one statement. The
busy timeout still governs the wait for other processes (the Celery worker, a
``manage.py`` command). PostgreSQL, which production runs on, locks rows and needs none of
this.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base

# A write outside a transaction (Django's autocommit): one statement, its own transaction.
WRITE_STATEMENT = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
# Never forever: a transaction a bug left open stops its own process's writers this long,
# and they then fail as SQLite itself would have.
QUEUE_TIMEOUT = 300.0

_queues: dict[str, threading.Lock] = {}
_queues_guard = threading.Lock()


def writer_queue(name: str) -> threading.Lock:
    """The process's lock for the writers of the database file ``name``."""
    with _queues_guard:
        return _queues.setdefault(name, threading.Lock())


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer_turn = False
        self.execute_wrappers.append(self._write_in_turn)

    def _take_turn(self) -> None:
        if not writer_queue(str(self.settings_dict["NAME"])).acquire(timeout=QUEUE_TIMEOUT):
            raise OperationalError("database is locked (waited for this process's writers)")
        self._writer_turn = True

    def _end_turn(self) -> None:
        if self._writer_turn:
            self._writer_turn = False
            writer_queue(str(self.settings_dict["NAME"])).release()

    def _start_transaction_under_autocommit(self) -> None:
        self._take_turn()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private, not in the stubs
        except BaseException:
            self._end_turn()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]  # private, not in the stubs
        finally:
            self._end_turn()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]  # private, not in the stubs
        finally:
            self._end_turn()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]  # private, not in the stubs
        finally:
            self._end_turn()

    def _write_in_turn(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        """A write outside a transaction waits for its turn too, for its one statement."""
        if self._writer_turn or not WRITE_STATEMENT.match(sql):
            return execute(sql, params, many, context)
        self._take_turn()
        try:
            return execute(sql, params, many, context)
        finally:
            self._end_turn()
