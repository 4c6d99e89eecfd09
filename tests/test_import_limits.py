"""Admin imports within limits, in Chinese: a GBK CSV (what Excel saves on a Chinese
Windows) is read, a file that is no xlsx, an empty file, a file too large, too many rows
or an xlsx that unpacks to a bomb are refused at the file field with a Chinese reason,
and the preview of a long file lists its first rows only."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from communities.models import Community, Compound
from tests.test_import_export import COMPOUND_HEADERS, COMPOUND_IMPORT_URL, upload, xlsx

pytestmark = pytest.mark.django_db


def compound_rows(count: int) -> list[list[Any]]:
    return [
        ["示例社区一", f"新小区{n}", f"新成路{n}号", 10 + n, "丙物业", "是", "否"]
        for n in range(count)
    ]


def csv_text(rows: list[list[Any]]) -> str:
    return "\n".join(",".join(str(cell) for cell in row) for row in rows) + "\n"


def errors_at_the_file(response: Any) -> list[str]:
    return [str(error) for error in response.context["form"].errors.get("import_file", [])]


def test_a_gbk_csv_is_read_as_chinese_and_imported(
    admin_client: Client, community_one: Community
) -> None:
    content = csv_text([COMPOUND_HEADERS, *compound_rows(1)]).encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")

    preview = upload(admin_client, COMPOUND_IMPORT_URL, content, name="小区.csv")

    page = preview.content.decode()
    assert preview.status_code == 200
    assert "新成路0号" in page and "确认导入" in page
    confirm = preview.context["confirm_form"]
    admin_client.post(
        reverse("admin:communities_compound_process_import"),
        {name: confirm.initial[name] for name in confirm.fields},
    )
    assert Compound.objects.get(name="新小区0").address == "新成路0号"


def zip_bomb_xlsx() -> bytes:
    """A real workbook with one more part that unpacks to 3 MB of zeros."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx([COMPOUND_HEADERS]))) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for name in source.namelist():
            archive.writestr(name, source.read(name))
        archive.writestr("xl/media/filler.bin", b"\0" * 3_000_000)
    return buffer.getvalue()


REFUSED = {
    "a CSV saved as .xlsx": (
        "小区.xlsx",
        lambda: csv_text([COMPOUND_HEADERS]).encode(),
        "这个文件不是有效的 Excel 表格(xlsx)",
    ),
    "an empty file": ("小区.csv", lambda: b"", "所提交的是空文件。"),
    "a file over the size limit": (
        "小区.csv",
        lambda: csv_text([COMPOUND_HEADERS]).encode() + b"#" * 1_100_000,
        "文件超过 1 MB,请分成几个文件导入。",
    ),
    "a CSV of too many rows": (
        "小区.csv",
        lambda: csv_text([COMPOUND_HEADERS, *compound_rows(31)]).encode(),
        "文件超过 30 行数据,请分成几个文件导入。",
    ),
    "an xlsx of too many rows": (
        "小区.xlsx",
        lambda: xlsx([COMPOUND_HEADERS, *compound_rows(31)]),
        "文件超过 30 行数据,请分成几个文件导入。",
    ),
    "an xlsx that unpacks to a bomb": (
        "小区.xlsx",
        zip_bomb_xlsx,
        "表格解压后超过 2 MB,不像正常的表格,不能导入。",
    ),
}


@pytest.mark.parametrize("case", list(REFUSED), ids=list(REFUSED))
def test_a_file_that_cannot_be_imported_is_refused_in_chinese_at_the_field(
    case: str, admin_client: Client, community_one: Community, settings: Settings
) -> None:
    settings.IMPORT_MAX_MEGABYTES = 1
    settings.IMPORT_MAX_ROWS = 30
    settings.IMPORT_MAX_UNZIPPED_MEGABYTES = 2
    name, content, message = REFUSED[case]
    before = Compound.objects.count()

    response = upload(admin_client, COMPOUND_IMPORT_URL, content(), name=name)

    assert response.status_code == 200
    [error] = errors_at_the_file(response)
    assert error.startswith(message)
    page = response.content.decode()
    assert message in page
    assert "Error" not in page and "encountered" not in page  # nothing in English
    assert Compound.objects.count() == before


def test_the_preview_of_a_long_file_lists_its_first_rows_and_counts_them_all(
    admin_client: Client, community_one: Community, settings: Settings
) -> None:
    settings.IMPORT_PREVIEW_ROWS = 5
    content = xlsx([COMPOUND_HEADERS, *compound_rows(12)])

    preview = upload(admin_client, COMPOUND_IMPORT_URL, content)

    page = preview.content.decode()
    assert "共 12 行,下面只列出前 5 行。" in page
    assert "新成路4号" in page and "新成路5号" not in page
    confirm = preview.context["confirm_form"]
    admin_client.post(
        reverse("admin:communities_compound_process_import"),
        {name: confirm.initial[name] for name in confirm.fields},
    )
    # The confirm step imports the whole file, not the rows the preview listed.
    assert Compound.objects.filter(name__startswith="新小区").count() == 12
