"""``manage.py consistency --check``: every disagreement between two sources of one fact
(``dashboards.consistency``); exits non-zero when there is one."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from dashboards.consistency import checks_known, disagreements
from tasks.models import Checklist

SHOWN = 50


class Command(BaseCommand):
    help = (
        "核对同一事实的两个来源是否一致:汇总表与月报、应报月份、进展状态与指标、"
        "会议台账与月报;有不一致时以非零状态退出。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", required=True, help="逐项核对。")
        parser.add_argument("--year", type=int, help="只核对这一年度的清单(默认全部)。")
        parser.add_argument(
            "--only",
            choices=sorted(checks_known()),
            action="append",
            help="只做这一项核对(可重复)。",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        checklists = Checklist.objects.exclude(status=Checklist.Status.DRAFT).order_by("year")
        if options["year"]:
            checklists = checklists.filter(year=options["year"])
        checks = frozenset(options["only"]) if options["only"] else None
        today = timezone.localdate()
        total = 0
        for checklist in checklists:
            started = time.perf_counter()
            found = disagreements(checklist, today=today, checks=checks)
            total += len(found)
            for disagreement in found[:SHOWN]:
                self.stdout.write(f"  {disagreement}")
            if len(found) > SHOWN:
                self.stdout.write(f"  ……另有 {len(found) - SHOWN} 处")
            self.stdout.write(
                f"{checklist.year}年度:{len(found)} 处不一致,"
                f"用时 {time.perf_counter() - started:.1f} 秒。"
            )
        if total:
            raise CommandError(f"共 {total} 处不一致。")
