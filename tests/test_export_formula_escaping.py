"""Every export neutralises text a spreadsheet would run as a formula (CSV/formula
injection): a cell that begins with =, +, -, @, a tab or a carriage return is written with
a leading apostrophe, in xlsx and csv, from the admin too; imported back, it is the text
that was typed."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from import_export.formats.base_formats import CSV

from communities.models import Community, Compound
from communities.resources import CompoundResource
from tests.test_import_export import COMPOUND_IMPORT_URL, upload

pytestmark = pytest.mark.django_db

DANGEROUS = [
    '=HYPERLINK("http://example.com","点我")',
    "+86 21 5999 0000",
    "-1+2",
    "@SUM(A1:A2)",
    "\tcmd",
    "\rcmd",
]


@pytest.fixture
def booby_trapped(community_one: Community) -> list[Compound]:
    return [
        Compound.objects.create(
            community=community_one, name=f"小区{number}", address=text, property_manager=text
        )
        for number, text in enumerate(DANGEROUS)
    ]


def admin_export(admin_client: Client, file_format: str) -> bytes:
    response = admin_client.post(
        reverse("admin:communities_compound_export"), {"format": file_format, "resource": "0"}
    )
    return (
        b"".join(response.streaming_content)
        if isinstance(response, StreamingHttpResponse)
        else response.content
    )


def test_the_admins_xlsx_export_writes_formula_like_text_as_text(
    admin_client: Client, booby_trapped: list[Compound]
) -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(admin_export(admin_client, "0"))).active
    headers = [cell.value for cell in sheet[1]]
    rows = [
        dict(zip(headers, (cell.value for cell in row), strict=True))
        for row in sheet.iter_rows(min_row=2)
    ]
    addresses = sorted(row["地址"] for row in rows if row["小区名称"].startswith("小区"))
    # Written through lxml, a carriage return survives as itself.
    assert addresses == sorted("'" + text for text in DANGEROUS)
    # Nothing is stored as a formula: openpyxl reports a formula cell's type as "f".
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_a_csv_export_neutralises_every_cell_that_starts_like_a_formula(
    booby_trapped: list[Compound],
) -> None:
    rows = list(
        csv.DictReader(io.StringIO(CSV().export_data(CompoundResource().export()), newline=""))
    )
    trapped = [row for row in rows if row["小区名称"].startswith("小区")]
    assert sorted(row["地址"] for row in trapped) == sorted("'" + text for text in DANGEROUS)
    assert sorted(row["物业服务企业"] for row in trapped) == sorted("'" + t for t in DANGEROUS)


def test_plain_text_and_numbers_are_left_alone(community_one: Community) -> None:
    Compound.objects.create(
        community=community_one, name="新成小区", address="新成路 1 号", households=320
    )
    exported = CompoundResource().export(Compound.objects.filter(name="新成小区"))
    row = dict(zip(exported.headers, exported[0], strict=True))
    assert row["地址"] == "新成路 1 号"
    assert row["户数"] == "320"


def test_an_escaped_export_imports_back_as_the_text_that_was_typed(
    admin_client: Client, booby_trapped: list[Compound]
) -> None:
    content = admin_export(admin_client, "0")
    Compound.objects.update(address="", property_manager="")
    preview = upload(admin_client, COMPOUND_IMPORT_URL, content)
    confirm = preview.context["confirm_form"]
    admin_client.post(
        reverse("admin:communities_compound_process_import"),
        {name: confirm.initial[name] for name in confirm.fields},
    )
    stored = sorted(
        Compound.objects.filter(name__startswith="小区").values_list("address", flat=True)
    )
    assert stored == sorted(text.strip() for text in DANGEROUS)
