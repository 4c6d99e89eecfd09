from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tasks.services import assignments_generate, checklist_load_file


class Command(BaseCommand):
    help = "载入一个年度目标任务清单(YAML),并按责任单位范围生成任务分派。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="如 fixtures/checklist_2017.yaml")

    def handle(self, *args: Any, path: Path, **options: Any) -> None:
        try:
            checklist = checklist_load_file(path=path)
        except ValidationError as error:
            raise CommandError("；".join(error.messages)) from None
        created = assignments_generate(checklist=checklist)
        self.stdout.write(
            f"已载入 {checklist}:{checklist.items.count()} 项任务,新生成 {created} 条任务分派。"
        )
