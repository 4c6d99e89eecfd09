"""``manage.py summaries --check`` proves the dashboards' summary tables agree with the raw
reports; ``--rebuild`` recomputes them (after an upgrade, or to repair)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dashboards.summaries import summaries_differences, summaries_rebuild, summaries_vacuum
from tasks.models import Checklist


class Command(BaseCommand):
    help = "核对或重建看板的汇总表(按任务分派 × 月份)。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, help="只处理这一年度的清单(默认全部)。")
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--check", action="store_true", help="与原始月报逐行核对。")
        action.add_argument("--rebuild", action="store_true", help="从原始月报重新计算。")

    def handle(self, *args: Any, **options: Any) -> None:
        checklists = Checklist.objects.order_by("year")
        if options["year"]:
            checklists = checklists.filter(year=options["year"])
        differences = 0
        for checklist in checklists:
            started = time.perf_counter()
            if options["rebuild"]:
                written = summaries_rebuild(checklist=checklist)
                self.stdout.write(
                    f"{checklist.year}年度:重建 {written} 行,"
                    f"用时 {time.perf_counter() - started:.1f} 秒。"
                )
                continue
            found = summaries_differences(checklist=checklist)
            differences += len(found)
            for difference in found[:20]:
                self.stdout.write(f"  {difference}")
            self.stdout.write(
                f"{checklist.year}年度:{len(found)} 处不一致,"
                f"用时 {time.perf_counter() - started:.1f} 秒。"
            )
        if options["rebuild"]:
            summaries_vacuum()  # the replaced rows' space, fresh statistics
        if differences:
            raise CommandError("汇总表与原始月报不一致,请运行 summaries --rebuild。")
