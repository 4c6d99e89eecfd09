"""Private files (evidence, meeting attachments, spreadsheets): served by the portal after
its own permission check, never from a public URL, and never cached by a proxy."""

from __future__ import annotations

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
    its bytes at upload: images and PDF open in the browser, the rest download. The
    headers stop a browser from guessing another type or running anything in it, and
    keep the file out of shared caches."""
    inline = content_type.startswith("image/") or content_type == "application/pdf"
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
    private and ``no-store``, its Chinese file name kept (``filename*=utf-8''…``, RFC 5987)."""
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    disposition = content_disposition_header(True, filename)
    assert disposition is not None  # noqa: S101 (always set for an attachment)
    response["Content-Disposition"] = disposition
    return _private(response)
