"""Evidence files (佐证材料): what is accepted is judged by the bytes, stored privately,
and served only to people who may see the report."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django.fixtures import Settings

from communities.models import Community
from tasks.models import Assignment, Checklist, Evidence, ProgressReport
from tasks.services import progress_report_submit
from tests.conftest import assignment_of
from tests.filing import (
    JULY,
    MINIMAL_PDF,
    REGISTER_REASON,
    field,
    file_report,
    form_data,
    page_forms,
    stored_files,
)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def png_bytes() -> bytes:
    """A real 1×1 PNG: signature, IHDR, IDAT and IEND chunks with their CRCs."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        checksum = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + checksum

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1×1, 8-bit RGB
    pixels = zlib.compress(b"\x00\xff\x00\x00")  # filter byte + one red pixel
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def docx_bytes() -> bytes:
    """The smallest Word document: a zip with the content types and the document part."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>会议记录</w:t></w:r></w:p>'
            "</w:body></w:document>",
        )
    return buffer.getvalue()


def upload(
    client: Client,
    assignment: Assignment,
    *files: SimpleUploadedFile,
    kind: str = "photo",
    fill_targets: bool = False,
) -> Any:
    """Choose files for one item on the July page and press 保存草稿."""
    page = client.get(JULY)
    data = form_data(page, "save")
    data[f"a{assignment.pk}-evidence_kind"] = kind
    data[f"a{assignment.pk}-evidence_files"] = list(files)
    if fill_targets:
        for target in assignment.targets():
            data[field(assignment, target, "numerator")] = "9"
            data[field(assignment, target, "denominator")] = "10"
            # Item 8's denominator is the register's count of eligible compounds (2).
            data[field(assignment, target, "denominator_reason")] = REGISTER_REASON
    return client.post(JULY, data)


def download(client: Client, evidence: Evidence) -> Any:
    return client.get(f"/evidence/{evidence.pk}/")


def content_of(response: Any) -> bytes:
    # The test client closes the response (and the file) once the content is read; closing
    # it by hand would send request_finished and close the test's database connection.
    return b"".join(response.streaming_content)


@pytest.fixture
def item_8(world: Checklist, community_one: Community) -> Assignment:
    """Community one's assignment of item 8, which 房管所 leads and reviews."""
    return assignment_of(world, 8, community_one)


def test_a_photo_and_a_pdf_are_stored_listed_and_served_to_the_community_and_its_reviewer(
    client: Client,
    item_8: Assignment,
    community_one_staff: User,
    community_two_staff: User,
    housing_staff: User,
    evidence_root: Path,
    august_3rd_2017: Any,
) -> None:
    png = png_bytes()
    client.force_login(community_one_staff)
    response = upload(
        client,
        item_8,
        # The browser's word for the type is ignored; the bytes decide.
        SimpleUploadedFile("小区照片.png", png, content_type="application/octet-stream"),
        SimpleUploadedFile("会议纪要.pdf", MINIMAL_PDF, content_type="application/pdf"),
        fill_targets=True,
    )

    assert response.status_code == 302
    photo, minutes = Evidence.objects.filter(report__assignment=item_8).order_by("pk")
    assert (photo.original_name, photo.content_type, photo.size) == (
        "小区照片.png",
        "image/png",
        len(png),
    )
    assert (minutes.original_name, minutes.content_type) == ("会议纪要.pdf", "application/pdf")
    assert photo.uploaded_by == community_one_staff
    # Stored under a random name in the private evidence folder, never under the original.
    assert len(stored_files(evidence_root)) == 2
    assert "小区照片" not in photo.file.name
    assert (evidence_root / photo.file.name).read_bytes() == png

    page = client.get(JULY).content.decode()
    assert f'href="/evidence/{photo.pk}/"' in page and "小区照片.png" in page
    assert f'href="/evidence/{minutes.pk}/"' in page and "会议纪要.pdf" in page

    response = download(client, photo)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert content_of(response) == png
    response = download(client, minutes)
    assert response["Content-Type"] == "application/pdf"
    assert content_of(response) == MINIMAL_PDF

    # The lead unit sees nothing of a draft, and the files once it is submitted.
    client.force_login(housing_staff)
    assert download(client, photo).status_code == 404
    progress_report_submit(report=photo.report, by=community_one_staff)
    response = download(client, photo)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert content_of(response) == png

    # Once submitted, the community still finds them on the page, read only.
    client.force_login(community_one_staff)
    page = client.get(JULY).content.decode()
    assert f'href="/evidence/{photo.pk}/"' in page
    assert f"/evidence/{photo.pk}/delete/" not in page

    client.force_login(community_two_staff)
    assert download(client, photo).status_code == 404

    client.logout()
    response = download(client, photo)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/evidence/{photo.pk}/"


LIES = {
    "a web page named photo.jpg": (
        "photo.jpg",
        b"<html><body><script>alert('x')</script></body></html>",
        "文件“photo.jpg”的内容不是可接受的类型",
    ),
    "a PDF named photo.jpg": (
        "photo.jpg",
        MINIMAL_PDF,
        "文件“photo.jpg”的内容是PDF,与扩展名“.jpg”不符",
    ),
    "a program named report.pdf": (
        "report.pdf",
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64 + b"PE\x00\x00",
        "文件“report.pdf”的内容不是可接受的类型",
    ),
    "an empty file": ("空白.pdf", b"", "文件“空白.pdf”是空的。"),
}


@pytest.mark.parametrize("lie", list(LIES), ids=list(LIES))
def test_a_file_that_is_not_what_it_claims_is_refused_and_nothing_is_stored(
    lie: str,
    client: Client,
    item_8: Assignment,
    community_one_staff: User,
    evidence_root: Path,
    august_3rd_2017: Any,
) -> None:
    name, content, message = LIES[lie]
    client.force_login(community_one_staff)

    response = upload(client, item_8, SimpleUploadedFile(name, content, "image/jpeg"))

    assert response.status_code == 400
    [form] = [form for form in page_forms(response) if form.assignment == item_8]
    assert len(form.errors["evidence_files"]) == 1
    assert str(form.errors["evidence_files"][0]).startswith(message)
    assert message in response.content.decode()
    assert not Evidence.objects.exists()
    assert not ProgressReport.objects.exists()
    assert stored_files(evidence_root) == []


def test_a_file_over_the_size_limit_is_refused(
    client: Client,
    item_8: Assignment,
    community_one_staff: User,
    evidence_root: Path,
    settings: Settings,
    august_3rd_2017: Any,
) -> None:
    settings.EVIDENCE_MAX_MEGABYTES = 1
    big = MINIMAL_PDF + b"%" * (1_100_000 - len(MINIMAL_PDF))
    client.force_login(community_one_staff)

    response = upload(client, item_8, SimpleUploadedFile("扫描件.pdf", big))

    assert response.status_code == 400
    assert "文件“扫描件.pdf”超过 1 MB,请压缩后再上传。" in response.content.decode()
    assert not Evidence.objects.exists()
    assert stored_files(evidence_root) == []


def test_a_word_document_is_accepted_and_downloads_as_an_attachment(
    client: Client,
    item_8: Assignment,
    community_one_staff: User,
    evidence_root: Path,
    august_3rd_2017: Any,
) -> None:
    document = docx_bytes()
    client.force_login(community_one_staff)

    response = upload(client, item_8, SimpleUploadedFile("会议记录.docx", document), kind="minutes")

    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert (evidence.kind, evidence.content_type) == ("minutes", DOCX)
    response = download(client, evidence)
    assert response["Content-Type"] == DOCX
    assert response["Content-Disposition"].startswith("attachment")
    assert content_of(response) == document


def test_a_file_is_deleted_from_a_draft_but_not_from_a_submitted_report(
    client: Client,
    item_8: Assignment,
    community_one_staff: User,
    community_two_staff: User,
    housing_staff: User,
    evidence_root: Path,
    django_capture_on_commit_callbacks: Any,
    august_3rd_2017: Any,
) -> None:
    client.force_login(community_one_staff)
    upload(
        client,
        item_8,
        SimpleUploadedFile("照片一.png", png_bytes()),
        SimpleUploadedFile("照片二.png", png_bytes()),
        fill_targets=True,
    )
    first, second = Evidence.objects.order_by("pk")
    assert len(stored_files(evidence_root)) == 2

    client.force_login(community_two_staff)
    assert client.post(f"/evidence/{first.pk}/delete/").status_code == 404

    client.force_login(community_one_staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/evidence/{first.pk}/delete/", follow=True)
    assert response.redirect_chain[0][0] == JULY
    assert "已删除材料“照片一.png”" in response.content.decode()
    assert list(Evidence.objects.all()) == [second]
    assert stored_files(evidence_root) == [evidence_root / second.file.name]

    progress_report_submit(report=second.report, by=community_one_staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/evidence/{second.pk}/delete/", follow=True)
    assert "这份月报已提交或已审核,不能再删除材料。" in response.content.decode()
    client.force_login(housing_staff)  # the reviewer sees the file, and may not remove it
    assert client.post(f"/evidence/{second.pk}/delete/").status_code == 403
    assert list(Evidence.objects.all()) == [second]
    assert stored_files(evidence_root) == [evidence_root / second.file.name]


def test_an_upload_with_an_item_saved_while_another_is_refused_is_kept_with_its_item(
    client: Client,
    world: Checklist,
    item_8: Assignment,
    community_one: Community,
    community_one_staff: User,
    evidence_root: Path,
    august_3rd_2017: Any,
) -> None:
    item_11 = assignment_of(world, 11, community_one)
    file_report(item_11, community_one_staff)
    client.force_login(community_one_staff)
    page = client.get(JULY)
    data = form_data(page, "save")
    data[f"a{item_8.pk}-evidence_files"] = SimpleUploadedFile("照片.png", png_bytes())
    data[f"a{item_11.pk}-narrative"] = "又成立了一个专业委员会"
    file_report(item_11, community_one_staff, narrative="同事先保存了")  # the page is stale

    response = client.post(JULY, data)

    # Each item saves on its own: item 8 and its photo are saved, item 11 (edited by a
    # colleague meanwhile) is refused, what was typed for it shown again, nothing of it lost.
    assert response.status_code == 400
    page_text = response.content.decode()
    assert "已被他人修改" in page_text
    assert "又成立了一个专业委员会" in page_text
    report_8 = ProgressReport.objects.get(assignment=item_8)
    assert [e.original_name for e in Evidence.objects.filter(report=report_8)] == ["照片.png"]
    assert len(stored_files(evidence_root)) == 1
    assert ProgressReport.objects.get(assignment=item_11).narrative == "同事先保存了"


def test_a_file_gone_from_storage_is_not_found_rather_than_an_error(
    caplog: pytest.LogCaptureFixture,
    client: Client,
    item_8: Assignment,
    community_one_staff: User,
    evidence_root: Path,
    august_3rd_2017: Any,
) -> None:
    client.force_login(community_one_staff)
    upload(client, item_8, SimpleUploadedFile("照片.png", png_bytes()))
    evidence = Evidence.objects.get()
    (evidence_root / evidence.file.name).unlink()

    response = download(client, evidence)

    assert response.status_code == 404
    assert f"Evidence {evidence.pk}: its file {evidence.file.name} is missing" in caplog.text
