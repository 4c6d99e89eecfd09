from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import ProtectedError

from dashboards.summaries import summaries_vacuum
from demo.scale_data import (
    CODE_PREFIX,
    DEFAULT_PASSWORD,
    USERNAME_PREFIX,
    GeneratedDataExists,
    Totals,
    scale_data_generate,
    scale_data_remove,
)
from tasks.models import Checklist, ProgressReport
from tasks.services import checklist_load_file
from tasks.signals import progress_deferred


class Command(BaseCommand):
    help = (
        "生成大规模的模拟数据(社区、住宅小区、账号、任务分派、会议记录和一年的月报),"
        "用于性能测试。"
        f"生成的社区编号以 {CODE_PREFIX} 开头,账号用户名以 {USERNAME_PREFIX} 开头。"
        "不要在生产环境运行。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--communities", type=int, required=True, help="社区数,如 30、300、6000"
        )
        parser.add_argument("--year", type=int, default=2017, help="清单年度(默认 2017)")
        parser.add_argument(
            "--through-month",
            type=int,
            default=12,
            help="生成应报月份中到这个月为止的月报(默认 12;清单生效前的月份不生成)",
        )
        parser.add_argument("--seed", type=int, default=1, help="随机种子,相同种子生成相同数据")
        parser.add_argument(
            "--replace", action="store_true", help="先删除之前生成的社区、账号及其数据"
        )
        parser.add_argument(
            "--password", default=DEFAULT_PASSWORD, help="所有生成账号的密码(默认见代码)"
        )

    def handle(
        self,
        *args: Any,
        communities: int,
        year: int,
        through_month: int,
        seed: int,
        replace: bool,
        password: str,
        **options: Any,
    ) -> None:
        if communities < 1:
            raise CommandError("--communities 至少为 1。")
        if not 1 <= through_month <= 12:
            raise CommandError("--through-month 应在 1 到 12 之间。")
        checklist = self._checklist(year)
        if replace:
            try:
                scale_data_remove(log=self.stdout.write)
            except ProtectedError as error:
                raise CommandError(f"无法删除之前生成的数据:{error.args[0]}") from None
        started = time.perf_counter()
        try:
            # The dashboards' summary tables are recomputed once at the end, not row by row.
            with progress_deferred(checklist_id=checklist.pk):
                totals = scale_data_generate(
                    checklist=checklist,
                    communities=communities,
                    through_month=through_month,
                    seed=seed,
                    password=password,
                    log=self.stdout.write,
                )
                generated = time.perf_counter()
        except GeneratedDataExists as error:
            raise CommandError(f"{error} 加 --replace 先删除它们再生成。") from None
        rebuilt = time.perf_counter()
        # The rebuild replaced the summary rows and ANALYZEd them; VACUUM (outside its
        # transaction) marks their pages all-visible, so the dashboards' covering index
        # answers without visiting the table.
        summaries_vacuum()
        self._summary(totals, generated - started, password)
        self.stdout.write(
            f"看板汇总表已重建,用时 {rebuilt - generated:.1f} s;"
            f"VACUUM ANALYZE {time.perf_counter() - rebuilt:.1f} s。"
        )

    def _checklist(self, year: int) -> Checklist:
        checklist = Checklist.objects.filter(year=year).first()
        if checklist is not None:
            return checklist
        path = settings.BASE_DIR / "fixtures" / f"checklist_{year}.yaml"
        if not path.exists():
            raise CommandError(f"还没有 {year} 年度的清单,也没有 {path} 可以载入。")
        checklist = checklist_load_file(path=path)
        self.stdout.write(f"已载入 {checklist}")
        return checklist

    def _summary(self, totals: Totals, seconds: float, password: str) -> None:
        states = "、".join(
            f"{label} {totals.reports[state]:,}"
            for state, label in ProgressReport.WorkflowState.choices
        )
        self.stdout.write(
            f"完成,用时 {seconds:.1f} s:社区 {totals.communities:,},住宅小区 {totals.compounds:,},"
            f"账号 {totals.users:,},任务分派 {totals.assignments:,},"
            f"月报 {sum(totals.reports.values()):,}({states};未填报 {totals.missing:,}),"
            f"指标值 {totals.values:,},会议记录 {totals.meetings:,}。"
        )
        self.stdout.write(
            f"账号:{USERNAME_PREFIX}c00001-1 … (社区人员)、{USERNAME_PREFIX}u01-1 … (牵头单位)、"
            f"{USERNAME_PREFIX}admin、{USERNAME_PREFIX}leader,密码均为 {password}"
        )
