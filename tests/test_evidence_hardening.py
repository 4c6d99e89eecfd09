"""Evidence that would harm the person who opens it is refused at the field: an Office
document that unpacks to a zip bomb, a PDF that runs JavaScript or a program. A PDF is
shown in the browser only when clean; anything else downloads."""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django.fixtures import Settings

from tasks.models import Assignment, Evidence, ProgressReport
from tests.filing import MINIMAL_PDF, page_forms, stored_files
from tests.test_evidence_files import content_of, docx_bytes, download, item_8, upload

__all__ = ["item_8"]  # the fixture, used by name


def office_bytes(*parts: tuple[str, bytes]) -> bytes:
    """A Word document (content types and document part) with extra parts, deflated."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(docx_bytes())) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for name in source.namelist():
            archive.writestr(name, source.read(name))
        for name, data in parts:
            archive.writestr(name, data)
    return buffer.getvalue()


def pdf_with(body: bytes) -> bytes:
    return b"%PDF-1.7\n" + body + b"\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def object_stream(dictionaries: bytes) -> bytes:
    """A PDF 1.5 object stream (Flate) holding ``dictionaries``: where a PDF may hide the
    names a scan of its plain text would find."""
    packed = zlib.compress(b"1 0 " + dictionaries)
    return (
        b"5 0 obj<</Type/ObjStm/N 1/First 4/Filter/FlateDecode/Length "
        + str(len(packed)).encode()
        + b">>stream\n"
        + packed
        + b"\nendstream\nendobj\n"
    )


JAVASCRIPT = b"<</Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>>>"
DANGEROUS_PDFS = {
    "JavaScript opening the document": pdf_with(b"1 0 obj" + JAVASCRIPT + b"endobj"),
    "JavaScript spelt with #xx escapes": pdf_with(
        b"1 0 obj<</Type/Catalog/OpenAction<</S/J#61vaScript/J#53(app.alert(1))>>>>endobj"
    ),
    "a launch action": pdf_with(
        b"1 0 obj<</Type/Catalog/OpenAction<</S/Launch/F(cmd.exe)>>>>endobj"
    ),
    "an embedded file": pdf_with(b"1 0 obj<</Type/Catalog/Names<</EmbeddedFiles 2 0 R>>>>endobj"),
    "JavaScript inside a compressed object stream": pdf_with(object_stream(JAVASCRIPT)),
}


@pytest.mark.parametrize("kind", list(DANGEROUS_PDFS), ids=list(DANGEROUS_PDFS))
def test_a_pdf_that_would_run_something_is_refused_at_the_field_and_the_figures_are_kept(
    kind: str,
    client: Client,
    item_8: Assignment,
    community_one_staff: User,
    evidence_root: Path,
    august_3rd_2017: Any,
) -> None:
    client.force_login(community_one_staff)

    response = upload(
        client, item_8, SimpleUploadedFile("通知.pdf", DANGEROUS_PDFS[kind]), fill_targets=True
    )

    assert response.status_code == 400
    [form] = [form for form in page_forms(response) if form.assignment == item_8]
    [error] = form.errors["evidence_files"]
    assert str(error).startswith("文件“通知.pdf”含有脚本、启动程序或嵌入文件")
    # What the person typed is still in the form, to send again with another file.
    assert 'value="9"' in response.content.decode()
    assert not Evidence.objects.exists()
    assert not ProgressReport.objects.exists()
    assert stored_files(evidence_root) == []


def test_a_clean_pdf_with_object_streams_is_accepted_and_opens_in_the_browser(
    client: Client,
    item_8: Assignment,
    community_one_staff: User,
    evidence_root: Path,
    august_3rd_2017: Any,
) -> None:
    # Compressed bytes may hold anything, even "/JS " by chance: a page's content stream
    # is not searched, only the dictionaries (here in an object stream).
    content = b"3 0 obj<</Length 12>>stream\n/JS /Launch \nendstream\nendobj\n"
    clean = pdf_with(content + object_stream(b"<</Type/Catalog/Pages 2 0 R>>"))
    client.force_login(community_one_staff)

    assert upload(client, item_8, SimpleUploadedFile("纪要.pdf", clean)).status_code == 302

    response = download(client, Evidence.objects.get())
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert content_of(response) == clean


def test_a_pdf_with_javascript_stored_before_the_check_downloads_instead_of_opening(
    client: Client,
    item_8: Assignment,
    community_one_staff: User,
    evidence_root: Path,
    august_3rd_2017: Any,
) -> None:
    client.force_login(community_one_staff)
    assert upload(client, item_8, SimpleUploadedFile("纪要.pdf", MINIMAL_PDF)).status_code == 302
    evidence = Evidence.objects.get()
    assert download(client, evidence)["Content-Disposition"].startswith("inline")
    # A file kept from before the portal inspected PDFs.
    evidence.file.save("old.pdf", ContentFile(DANGEROUS_PDFS["JavaScript opening the document"]))

    response = download(client, evidence)

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    content_of(response)


ZIP_BOMBS = {
    "a part that unpacks beyond the limit": office_bytes(("word/media/a.bin", b"\0" * 3_000_000)),
    "too many parts": office_bytes(*((f"word/p{n}.xml", b"<p/>") for n in range(30))),
}


@pytest.mark.parametrize("bomb", list(ZIP_BOMBS), ids=list(ZIP_BOMBS))
def test_an_office_document_that_is_a_zip_bomb_is_refused(
    bomb: str,
    client: Client,
    item_8: Assignment,
    community_one_staff: User,
    evidence_root: Path,
    settings: Settings,
    august_3rd_2017: Any,
) -> None:
    settings.EVIDENCE_MAX_UNZIPPED_MEGABYTES = 2
    settings.EVIDENCE_MAX_ZIP_ENTRIES = 20
    assert len(ZIP_BOMBS[bomb]) < 100_000  # small on the wire
    client.force_login(community_one_staff)

    response = upload(client, item_8, SimpleUploadedFile("总结.docx", ZIP_BOMBS[bomb]))

    assert response.status_code == 400
    assert "文件“总结.docx”解压后超过 2 MB 或包含过多部件" in response.content.decode()
    assert not Evidence.objects.exists()
    assert stored_files(evidence_root) == []


def test_an_office_document_lying_about_its_sizes_is_refused(
    client: Client,
    item_8: Assignment,
    community_one_staff: User,
    evidence_root: Path,
    august_3rd_2017: Any,
) -> None:
    """Declared sizes alone would let a bomb through: the central directory says 10 bytes
    for a part that unpacks to 3 MB. Reading the part finds the lie."""
    honest = office_bytes(("word/media/a.bin", b"\0" * 3_000_000))
    lying = honest.replace((3_000_000).to_bytes(4, "little"), (10).to_bytes(4, "little"))
    assert lying != honest
    client.force_login(community_one_staff)

    response = upload(client, item_8, SimpleUploadedFile("总结.docx", lying))

    assert response.status_code == 400
    assert not Evidence.objects.exists()


def test_an_ordinary_word_document_is_still_accepted(
    client: Client,
    item_8: Assignment,
    community_one_staff: User,
    evidence_root: Path,
    settings: Settings,
    august_3rd_2017: Any,
) -> None:
    settings.EVIDENCE_MAX_UNZIPPED_MEGABYTES = 2
    document = office_bytes(("word/media/photo.bin", b"\1\2\3" * 100_000))
    client.force_login(community_one_staff)

    assert upload(client, item_8, SimpleUploadedFile("总结.docx", document)).status_code == 302
    assert Evidence.objects.get().size == len(document)
