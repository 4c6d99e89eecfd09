"""A migration that makes a job's default beat schedule (celery-beat's PeriodicTask on a
crontab in Shanghai time), edited later in the admin (周期任务); undone by deleting it."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def crontab_schedule(
    *, name: str, task: str, description: str, minute: str, hour: str = "*"
) -> migrations.RunPython:
    """The operation: the schedule ``name`` running ``task`` at ``minute`` past ``hour``
    every day, unless one of that name exists already."""

    def create(apps: Any, schema_editor: Any) -> None:
        crontab, _ = apps.get_model("django_celery_beat", "CrontabSchedule").objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone="Asia/Shanghai",
        )
        apps.get_model("django_celery_beat", "PeriodicTask").objects.get_or_create(
            name=name, defaults={"task": task, "crontab": crontab, "description": description}
        )

    def remove(apps: Any, schema_editor: Any) -> None:
        apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=name).delete()

    return migrations.RunPython(create, remove)
