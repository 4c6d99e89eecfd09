"""Run the reminder job once, here and now, without Celery (cron, or by hand)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from reminders.services import reminders_run


class Command(BaseCommand):
    help = "存下到期的提醒,每人汇成一条消息并发出(与定时任务相同,可重复运行)。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--at",
            help="按这一时刻计算到期事项,ISO 格式,如 2017-08-04T09:00+08:00(默认现在)。",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options["at"]:
            try:
                now = datetime.datetime.fromisoformat(options["at"])
            except ValueError:
                raise CommandError(f"时刻格式不对:{options['at']}") from None
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        counts = reminders_run(now=now)
        self.stdout.write(
            "到期提醒 {due} 条,新消息 {composed} 条,发出 {sent} 条。".format(**counts)
        )
