from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tasks.models import Assignment, Checklist, Target
from tasks.services import checklist_roll_over


class Command(BaseCommand):
    help = (
        "由一个年度的目标任务清单生成新年度清单(草稿):复制板块、任务、目标和任务分派,"
        "并将原年度清单归档(只能查看)。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source_year", type=int, help="作为底稿的年度,如 2017")
        parser.add_argument("new_year", type=int, help="要生成的年度,如 2018")
        parser.add_argument(
            "--keep-open",
            action="store_true",
            help="暂不归档原年度清单(12月进展次年1月才截止;报齐后再用 archive 归档)",
        )

    def handle(
        self, *args: Any, source_year: int, new_year: int, keep_open: bool, **options: Any
    ) -> None:
        source = Checklist.objects.filter(year=source_year).first()
        if source is None:
            raise CommandError(f"没有{source_year}年度清单。")
        try:
            checklist = checklist_roll_over(
                source=source, year=new_year, by=None, archive=not keep_open
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        items = checklist.items.count()
        targets = Target.objects.filter(item__checklist=checklist).count()
        assignments = Assignment.objects.filter(item__checklist=checklist).count()
        self.stdout.write(
            f"已生成{checklist}(草稿):{items} 项任务、{targets} 个目标、"
            f"{assignments} 条任务分派。请在管理后台核对修改,填写文号和发文日期后改为“执行中”。"
            + (
                f"{source_year}年度清单仍可填报,报齐后请在管理后台归档。"
                if keep_open
                else f"{source_year}年度清单已归档,只能查看。"
            )
        )
