"""What the portal accepts as evidence (佐证材料): images, PDF and Office documents, judged
by their bytes, never by the name or the browser's word."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from core.files import (
    DAMAGED_ARCHIVE_ERRORS,
    ArchiveTooLarge,
    UninspectablePdf,
    archive_check,
    pdf_active_content,
)


@dataclass(frozen=True)
class EvidenceType:
    mime: str
    label: str
    extensions: tuple[str, ...]


EVIDENCE_TYPES = {
    t.mime: t
    for t in (
        EvidenceType("image/jpeg", "JPEG 图片", (".jpg", ".jpeg")),
        EvidenceType("image/png", "PNG 图片", (".png",)),
        EvidenceType("image/heic", "HEIC 照片", (".heic",)),
        EvidenceType("application/pdf", "PDF", (".pdf",)),
        EvidenceType("application/msword", "Word 文档", (".doc",)),
        EvidenceType("application/vnd.ms-excel", "Excel 表格", (".xls",)),
        EvidenceType(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "Word 文档",
            (".docx",),
        ),
        EvidenceType(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "Excel 表格",
            (".xlsx",),
        ),
        EvidenceType(
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "PowerPoint 演示文稿",
            (".pptx",),
        ),
    )
}
ALLOWED_LABEL = "图片(JPG、PNG、HEIC)、PDF 或 Office 文档(Word、Excel、PowerPoint)"
ACCEPT_ATTRIBUTE = ",".join(ext for t in EVIDENCE_TYPES.values() for ext in t.extensions)

# Office Open XML files are zip archives; filetype names them only when the first entry
# gives them away, so look inside the archive for the part that says which one it is.
_OOXML_PARTS = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


def _sniff(upload: UploadedFile) -> str | None:
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    mime = kind.mime if kind else None
    if mime in EVIDENCE_TYPES and not mime.startswith("application/vnd.openxml"):
        return mime
    if mime in ("application/zip", None) or (mime or "").startswith("application/vnd.openxml"):
        try:
            with zipfile.ZipFile(upload) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        finally:
            upload.seek(0)
        if "[Content_Types].xml" in names:
            for prefix, ooxml in _OOXML_PARTS.items():
                if any(name.startswith(prefix) for name in names):
                    return ooxml
    return None


def evidence_content_type(upload: UploadedFile) -> str:
    """The content type of an acceptable evidence file, or ValidationError with a Chinese
    message naming the file: too large, not an accepted type, or a name that lies about
    its content."""
    name = upload.name or "未命名文件"
    limit = settings.EVIDENCE_MAX_MEGABYTES
    if upload.size is not None and upload.size > limit * 1024 * 1024:
        raise ValidationError(f"文件“{name}”超过 {limit} MB,请压缩后再上传。")
    if not upload.size:
        raise ValidationError(f"文件“{name}”是空的。")
    mime = _sniff(upload)
    if mime is None:
        raise ValidationError(f"文件“{name}”的内容不是可接受的类型,只能上传{ALLOWED_LABEL}。")
    extension = PurePath(name).suffix.lower()
    evidence_type = EVIDENCE_TYPES[mime]
    if extension not in evidence_type.extensions:
        raise ValidationError(
            f"文件“{name}”的内容是{evidence_type.label},与扩展名“{extension or '无'}”不符,"
            "请确认后重新上传。"
        )
    if mime == "application/pdf":
        _check_pdf(upload, name)
    elif mime.startswith("application/vnd.openxml"):
        _check_archive(upload, name)
    return mime


def _check_pdf(upload: UploadedFile, name: str) -> None:
    """A PDF that would run something when opened is refused (``pdf_active_content``)."""
    try:
        active = pdf_active_content(upload)
    except UninspectablePdf:
        raise ValidationError(
            _("文件“%(name)s”是加密或无法检查的 PDF,请另存为普通 PDF 后再上传。") % {"name": name}
        ) from None
    if active is not None:
        raise ValidationError(
            _(
                "文件“%(name)s”含有脚本、启动程序或嵌入文件(%(what)s),不能作为佐证材料上传;"
                "请另存为普通 PDF 或打印为 PDF 后再上传。"
            )
            % {"name": name, "what": active}
        )


def _check_archive(upload: UploadedFile, name: str) -> None:
    """An Office document is a zip archive; one that unpacks to more than
    EVIDENCE_MAX_UNZIPPED_MEGABYTES or holds more than EVIDENCE_MAX_ZIP_ENTRIES parts is a
    zip bomb, not a document (``core.files.archive_check`` reads every part)."""
    limit_megabytes: int = settings.EVIDENCE_MAX_UNZIPPED_MEGABYTES
    try:
        archive_check(
            upload,
            max_bytes=limit_megabytes * 1024 * 1024,
            max_entries=settings.EVIDENCE_MAX_ZIP_ENTRIES,
        )
    except ArchiveTooLarge:
        raise ValidationError(
            _(
                "文件“%(name)s”解压后超过 %(limit)d MB 或包含过多部件,"
                "不像正常的 Office 文档,不能上传。"
            )
            % {"name": name, "limit": limit_megabytes}
        ) from None
    except DAMAGED_ARCHIVE_ERRORS:
        raise ValidationError(
            _("文件“%(name)s”已损坏,无法打开,请检查后重新上传。") % {"name": name}
        ) from None


def uploads_validate(files: list[UploadedFile]) -> list[UploadedFile]:
    """Every file of a multiple upload checked by its bytes; all refusals in one error."""
    errors = []
    for upload in files:
        try:
            evidence_content_type(upload)
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)
    return files
