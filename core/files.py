"""Private files (evidence, meeting attachments, spreadsheets): served by the portal after
its own permission check, never from a public URL, and never cached by a proxy."""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO, TypeVar

from django.http import FileResponse, HttpResponse, HttpResponseBase
from django.utils.http import content_disposition_header

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Response = TypeVar("Response", bound=HttpResponseBase)


def _private(response: Response) -> Response:
    """What every private download says: no other type may be guessed from its bytes, and
    no shared cache keeps a copy."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def private_file_response(stored: IO[bytes], *, filename: str, content_type: str) -> FileResponse:
    """Serve a private upload (evidence, a meeting's attachment) with the type read from
    its bytes at upload: images and a clean PDF (no JavaScript, launch action or embedded
    file, ``pdf_active_content``) open in the browser, the rest download. The headers stop
    a browser from guessing another type or running anything in it, and keep the file out
    of shared caches."""
    inline = content_type.startswith("image/") or (
        content_type == "application/pdf" and pdf_is_clean(stored)
    )
    response = FileResponse(
        stored, as_attachment=not inline, filename=filename, content_type=content_type
    )
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    )
    _private(response)
    return response


def xlsx_response(content: bytes, *, filename: str) -> HttpResponse:
    """A spreadsheet download (a ledger, the assessment results): always an attachment,
    private and ``no-store``, its Chinese file name kept (``filename*=utf-8''…``, RFC 5987),
    and logged to the security log as a data export."""
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    disposition = content_disposition_header(True, filename)
    assert disposition is not None  # noqa: S101 (always set for an attachment)
    response["Content-Disposition"] = disposition
    # Written to the security log as an export (core.security.PermissionDeniedLogMiddleware).
    response.security_export = filename  # type: ignore[attr-defined]
    return _private(response)


# --- What a file carries besides its content -------------------------------------------
#
# A PDF can run JavaScript (/JS, /JavaScript), start a program (/Launch), carry other files
# (/EmbeddedFile) or Flash (/RichMedia) when it is opened. These are names in the PDF's
# dictionaries, which sit either in the file's plain text or inside object streams
# (/Type /ObjStm, Flate-compressed since PDF 1.5). A byte scan of both finds them; a name
# may spell its letters as #xx escapes (/J#61vaScript), so names are decoded first. No PDF
# library is needed for this (and none is pinned): the scan reads no content, only names.

PDF_ACTIVE_NAMES = frozenset(
    {b"JS", b"JavaScript", b"Launch", b"EmbeddedFile", b"EmbeddedFiles", b"RichMedia"}
)
# What each name is called in a refusal, the most telling first.
_PDF_ACTIVE_LABELS = (
    (b"JavaScript", "JavaScript"),
    (b"JS", "JavaScript"),
    (b"Launch", "Launch"),
    (b"EmbeddedFile", "EmbeddedFile"),
    (b"EmbeddedFiles", "EmbeddedFile"),
    (b"RichMedia", "RichMedia"),
)
# Names are delimited by whitespace and the PDF delimiters ( ) < > [ ] { } / %.
_PDF_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]+)")
_PDF_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_STREAM = re.compile(rb"(?<!end)stream\r?\n")
# A stream's dictionary: the text between the last ``obj`` and ``stream``.
_PDF_OBJ = re.compile(rb"\d+\s+\d+\s+obj\b")
# The most an object stream is inflated to, all of a file's together: their dictionaries
# are small; more than this is a compression bomb or not a document.
PDF_MAX_INFLATED_BYTES = 64 * 1024 * 1024


class UninspectablePdf(Exception):
    """A PDF whose object streams cannot be read (encrypted, another filter, a bomb)."""


def _pdf_names(data: bytes) -> set[bytes]:
    return {
        _PDF_HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), name)
        for name in _PDF_NAME.findall(data)
    }


def _pdf_streams(data: bytes) -> Iterator[tuple[int, int, int]]:
    """(keyword start, body start, body end) of each stream: from ``stream`` to
    ``endstream``. A body is skipped, not searched: binary bytes are no keywords."""
    position = 0
    while (match := _PDF_STREAM.search(data, position)) is not None:
        end = data.find(b"endstream", match.end())
        end = len(data) if end < 0 else end
        yield match.start(), match.end(), end
        position = end + len(b"endstream")


def _pdf_parts(data: bytes) -> Iterator[bytes]:
    """The text of the file outside its streams, then the inflated content of every
    object stream (within PDF_MAX_INFLATED_BYTES): where a PDF's dictionaries are.
    Content streams and images are not read: a name in them is no action, and a name
    matched by chance in compressed bytes would refuse a clean file."""
    outside: list[bytes] = []
    object_streams: list[tuple[int, int]] = []
    position = 0
    for keyword, body, end in _pdf_streams(data):
        before = data[position:keyword]
        outside.append(before)
        objects = list(_PDF_OBJ.finditer(before))
        head = before[objects[-1].end() :] if objects else before[-4096:]
        names = _pdf_names(head)
        if b"ObjStm" in names:
            if b"FlateDecode" not in names or b"DecodeParms" in names:
                raise UninspectablePdf
            object_streams.append((body, end))
        position = end
    outside.append(data[position:])
    text = b"\n".join(outside)
    if b"/Encrypt" in text and object_streams:
        raise UninspectablePdf  # the object streams are encrypted
    yield text
    budget = PDF_MAX_INFLATED_BYTES
    view = memoryview(data)
    for body, end in object_streams:
        try:
            content = zlib.decompressobj().decompress(view[body:end], budget + 1)
        except zlib.error:
            raise UninspectablePdf from None
        budget -= len(content)
        if budget < 0:
            raise UninspectablePdf
        yield content


def pdf_active_content(stream: IO[bytes]) -> str | None:
    """What a PDF would do when opened, beyond showing pages — JavaScript, launching a
    program, embedded files — as the first such name found (``"JavaScript"``), or None for a
    clean PDF. Raises UninspectablePdf when its object streams cannot be read."""
    stream.seek(0)
    data = stream.read()
    stream.seek(0)
    for part in _pdf_parts(data):
        found = _pdf_names(part) & PDF_ACTIVE_NAMES
        if found:
            return next(label for name, label in _PDF_ACTIVE_LABELS if name in found)
    return None


def pdf_is_clean(stream: IO[bytes]) -> bool:
    try:
        return pdf_active_content(stream) is None
    except UninspectablePdf:
        return False


# --- Zip archives (Office documents, spreadsheets to import) ----------------------------


class ArchiveTooLarge(Exception):
    """A zip that unpacks to more than allowed, or holds too many entries: a zip bomb."""


# What reading a damaged zip raises (a checksum that fails, a truncated entry, …).
DAMAGED_ARCHIVE_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    ValueError,
    EOFError,
    NotImplementedError,
)


def archive_check(stream: IO[bytes], *, max_bytes: int, max_entries: int) -> None:
    """Raise ArchiveTooLarge when the zip in ``stream`` holds more than ``max_entries``
    entries or unpacks to more than ``max_bytes``; one of DAMAGED_ARCHIVE_ERRORS when it is
    not a readable zip. Every entry is read (in chunks, stopping at the limit), not only its
    declared size: an archive lying about its sizes fails its checksum."""
    stream.seek(0)
    budget = max_bytes
    try:
        with zipfile.ZipFile(stream) as archive:
            entries = archive.infolist()
            if len(entries) > max_entries:
                raise ArchiveTooLarge
            if sum(entry.file_size for entry in entries) > budget:
                raise ArchiveTooLarge
            for entry in entries:
                with archive.open(entry) as part:
                    while chunk := part.read(1024 * 1024):
                        budget -= len(chunk)
                        if budget < 0:
                            raise ArchiveTooLarge
    finally:
        stream.seek(0)
