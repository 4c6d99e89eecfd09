"""``manage.py backup [--output FILE]``: the database and the media folder in one archive
(``yijia.backups``; docs/operations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from yijia.backups import BackupError, backup_create


class Command(BaseCommand):
    help = "把数据库和上传的文件(MEDIA_ROOT)备份到一个 .tar.gz 文件。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            help="备份文件(默认 var/backups/yijia-<时间>.tar.gz)。",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        output: Path | None = options["output"]
        if output is None:
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
            output = Path(settings.VAR_DIR) / "backups" / f"yijia-{stamp}.tar.gz"
        try:
            summary = backup_create(output)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"已备份 {summary.engine} 数据库 {summary.rows} 行、文件 {summary.files} 个,"
                f"写入 {summary.path}"
            )
        )
