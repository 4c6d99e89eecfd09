"""Hand the outbox's waiting tasks to Celery once (the beat does this every 10 s)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from notifications.services import outbox_relay


class Command(BaseCommand):
    help = "把待投递的任务交给 Celery(broker 不可用时保留,下次再试)。"

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"投递 {outbox_relay()} 个任务。")
