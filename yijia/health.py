"""``/healthz``: is this server fit to answer, for a load balancer and for monitoring.

Four checks, each timed: the database answers a query; the Celery broker takes a connection;
the beat has run a schedule lately (django-celery-beat records each run); the outbox
(tasks the pages asked for, published to the broker by the beat's relay) has nothing waiting
for long. The answer is JSON, 200 when every check passes and 503 otherwise. No sign-in is
needed, so it says nothing secret: no address, user name or error text, only each check's
outcome, figures and the error's class; the error itself goes to the log.

``?check=database`` (repeatable) runs only the checks named: a load balancer that should
take a server out of service only when its database is gone asks for that one
(docs/deployment.md).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.db.models import Max, Min
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_celery_beat.models import PeriodicTask
from kombu import Connection

from notifications.models import OutboxMessage

logger = logging.getLogger(__name__)

Result = dict[str, Any]


def check_database() -> Result:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def check_broker() -> Result:
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        # The development broker: a folder on this machine.
        folder = Path(str(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]))
        return {"ok": folder.is_dir()}
    with Connection(url, connect_timeout=3) as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)
    return {"ok": True}


def check_beat() -> Result:
    last_run = PeriodicTask.objects.filter(enabled=True).aggregate(last=Max("last_run_at"))["last"]
    if last_run is None:
        return {"ok": False, "last_run_seconds_ago": None}
    age = max(0, round((timezone.now() - last_run).total_seconds()))
    return {"ok": age <= settings.HEALTHZ_BEAT_MAX_AGE_SECONDS, "last_run_seconds_ago": age}


def check_outbox() -> Result:
    waiting = OutboxMessage.objects.filter(published_at__isnull=True).aggregate(
        oldest=Min("created_at")
    )["oldest"]
    count = OutboxMessage.objects.filter(published_at__isnull=True).count() if waiting else 0
    age = max(0, round((timezone.now() - waiting).total_seconds())) if waiting else 0
    return {
        "ok": age <= settings.HEALTHZ_OUTBOX_MAX_AGE_SECONDS,
        "waiting": count,
        "oldest_seconds": age,
    }


CHECKS: dict[str, Callable[[], Result]] = {
    "database": check_database,
    "broker": check_broker,
    "beat": check_beat,
    "outbox": check_outbox,
}


def _run(name: str, check: Callable[[], Result]) -> Result:
    started = time.perf_counter()
    try:
        result = check()
    except Exception as error:  # every failure is an answer, never a 500
        logger.warning("healthz: %s failed", name, exc_info=True)
        result = {"ok": False, "error": type(error).__name__}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


@login_not_required
@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    asked = request.GET.getlist("check") or list(CHECKS)
    unknown = [name for name in asked if name not in CHECKS]
    if unknown:
        return JsonResponse({"status": "error", "unknown_checks": unknown}, status=400)
    checks = {name: _run(name, CHECKS[name]) for name in asked}
    healthy = all(result["ok"] for result in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks},
        status=200 if healthy else 503,
    )
