#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yijia.settings")
    # manage.py is the developer's tool: DEBUG unless the environment says otherwise, so
    # that `manage.py makemigrations`, `shell`, `test`… work on a fresh clone. The portal as
    # served (yijia/wsgi.py under gunicorn, the Celery app) stays production unless asked;
    # production's commands read DEBUG=False from deploy/yijia.env.example's file, as
    # `make run-prod` and the systemd units do (docs/deployment.md).
    os.environ.setdefault("DEBUG", "True")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
