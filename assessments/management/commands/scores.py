"""``manage.py scores --rebuild``: compute and store every month of each scheme's scores
(``assessments.summary``), after a bulk load or to repair; ``--check``: compare the stored
scores with a computation from scratch, exiting non-zero on a difference."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.models import Scheme
from assessments.summary import scores_differences, scores_rebuild

SHOWN = 50


class Command(BaseCommand):
    help = "重新计算并保存考核得分汇总(--rebuild),或与重新计算的结果核对(--check)。"

    def add_arguments(self, parser: CommandParser) -> None:
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--rebuild", action="store_true", help="重新计算并保存。")
        action.add_argument("--check", action="store_true", help="与重新计算的结果核对。")
        parser.add_argument("--year", type=int, help="只处理这一年度的考核方案(默认全部)。")

    def handle(self, *args: Any, **options: Any) -> None:
        schemes = Scheme.objects.select_related("checklist").order_by("checklist__year")
        if options["year"]:
            schemes = schemes.filter(checklist__year=options["year"])
        differences = 0
        for scheme in schemes:
            started = time.perf_counter()
            if options["rebuild"]:
                written = scores_rebuild(scheme=scheme)
                self.stdout.write(
                    f"{scheme}:写入 {written} 行,用时 {time.perf_counter() - started:.1f} 秒。"
                )
                continue
            found = scores_differences(scheme=scheme)
            differences += len(found)
            for difference in found[:SHOWN]:
                self.stdout.write(f"  {difference}")
            self.stdout.write(
                f"{scheme}:{len(found)} 处不一致,用时 {time.perf_counter() - started:.1f} 秒。"
            )
        if differences:
            raise CommandError(f"共 {differences} 处不一致。")
