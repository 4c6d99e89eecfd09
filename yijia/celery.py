"""The Celery application. Jobs live in each app's ``jobs.py`` (``tasks`` is a Django app)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yijia.settings")

app = Celery("yijia")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")
