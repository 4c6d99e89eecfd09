from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.data import DEMO_PASSWORD, demo_load
from tasks.models import Checklist


class Command(BaseCommand):
    help = "载入示例数据(示例社区、小区、各角色演示账号和几个月的月报),仅供试用,生产环境不要运行。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, default=2017)

    def handle(self, *args: Any, year: int, **options: Any) -> None:
        try:
            checklist = Checklist.objects.get(year=year)
        except Checklist.DoesNotExist:
            raise CommandError(f"还没有 {year} 年度的清单,请先运行 load_checklist。") from None
        logins = demo_load(checklist=checklist)
        # The year's assessment scheme, 600 points shared out over the items, so that 考核
        # shows the demo's scores (the street admin edits it in the admin).
        from assessments.scoring import scheme_default

        scheme_default(checklist=checklist)
        self.stdout.write(f"示例数据已载入。演示账号(密码均为 {DEMO_PASSWORD}):")
        for login in logins:
            place = f"({login.place})" if login.place else ""
            self.stdout.write(f"  {login.username:<12} {login.role}{place}")
