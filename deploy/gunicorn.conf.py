"""gunicorn's settings for the portal (`make run-prod`, deploy/systemd, deploy/compose.yaml).

Read from the environment: GUNICORN_BIND (default 127.0.0.1:8000, behind nginx) and
WEB_CONCURRENCY (gunicorn's own variable; default two workers per core plus one).
"""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", str(multiprocessing.cpu_count() * 2 + 1)))
# A ledger export of the whole street takes a few seconds; a minute is the ceiling.
timeout = 60
graceful_timeout = 30
# A worker is replaced after this many requests (with jitter, not all at once): a slow leak
# never grows for long.
max_requests = 2000
max_requests_jitter = 200
# The access log on stdout (systemd's journal, docker logs); the portal's own log is in
# LOG_DIR (yijia/settings.py).
accesslog = "-"
errorlog = "-"
# Only nginx on this machine may tell gunicorn the request's scheme and address.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
