"""``manage.py restore FILE``: put back a backup made by ``manage.py backup`` — the
database and the media folder — then check every row and file (``yijia.backups``;
docs/operations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from yijia.backups import BackupError, backup_read_manifest, backup_restore


class Command(BaseCommand):
    help = (
        "恢复备份:用备份替换数据库的全部内容和 MEDIA_ROOT 中的文件,然后核对每一行、每个文件都在。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path, help="manage.py backup 生成的 .tar.gz 文件。")
        parser.add_argument(
            "--database-url",
            help="恢复到这个数据库而不是配置的数据库(例如新建的空库,用来检验备份)。",
        )
        parser.add_argument("--media-root", type=Path, help="把文件恢复到这里而不是 MEDIA_ROOT。")
        parser.add_argument(
            "--no-input", action="store_false", dest="interactive", help="不询问确认。"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        archive: Path = options["archive"]
        try:
            manifest = backup_read_manifest(archive)
        except BackupError as error:
            raise CommandError(str(error)) from None
        target = options["database_url"] or "配置的数据库"
        media_root = options["media_root"] or settings.MEDIA_ROOT
        if options["interactive"]:
            answer = input(
                f"这将用 {manifest.get('created')} 的备份替换 {target} 和 {media_root} "
                "中的全部内容。输入 yes 继续:"
            )
            if answer != "yes":
                raise CommandError("已取消恢复。")
        try:
            report = backup_restore(
                archive, database_url=options["database_url"], media_root=options["media_root"]
            )
        except BackupError as error:
            raise CommandError(str(error)) from None
        for table, (expected, found) in sorted(report.tables_differing.items()):
            self.stderr.write(f"{table}:备份中 {expected} 行,恢复后 {found} 行")
        for name in report.files_missing[:20]:
            self.stderr.write(f"缺少文件:{name}")
        if not report.complete:
            raise CommandError(
                f"已恢复,但有 {len(report.tables_differing)} 张表行数不符、"
                f"缺少 {len(report.files_missing)} 个文件。"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"已恢复 {report.created} 的 {report.engine} 备份:{report.rows} 行、"
                f"文件 {report.files} 个,每一行、每个文件都在。"
            )
        )
