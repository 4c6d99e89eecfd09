"""Evidence files staged on the filing page (待保存): a file the user attached to an item
whose save was refused is kept server-side, in the private evidence storage, until a save
of the same item succeeds and attaches it to the report.

A staged file lives under ``staging/u<user>/a<assignment>/<token><suffix>`` with its
description beside it (``<token>.json``): only the user who attached it, and only for that
assignment, can attach it later (the page posts the token back; a token is looked up in
that user's and assignment's folder only). Nothing else reads these files; stale ones
(older than ``STALE_AFTER``) are removed whenever a file is staged.

The writes (stage, attach) are services in ``tasks/services.py``; this module is the
storage underneath them."""

from __future__ import annotations

import datetime
import json
import re
import uuid
from dataclasses import asdict, dataclass
from pathlib import PurePath

from django.core.files import File
from django.core.files.base import ContentFile
from django.utils import timezone

from .models import evidence_storage

ROOT = "staging"
STALE_AFTER = datetime.timedelta(days=1)
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class StagedFile:
    """A file attached on the filing page and not saved with a report yet."""

    token: str
    original_name: str
    kind: str
    content_type: str
    size: int
    suffix: str

    @property
    def stored_name(self) -> str:
        return f"{self.token}{self.suffix}"


def _folder(user_pk: int, assignment_pk: int) -> str:
    return f"{ROOT}/u{user_pk}/a{assignment_pk}"


def store(
    *,
    user_pk: int,
    assignment_pk: int,
    upload: File,
    kind: str,
    content_type: str,
) -> StagedFile:
    """Keep ``upload`` (already checked by ``tasks.evidence``) for the user and
    assignment."""
    original_name = PurePath(upload.name or "file").name[:255]
    staged = StagedFile(
        token=uuid.uuid4().hex,
        original_name=original_name,
        kind=kind,
        content_type=content_type,
        size=upload.size or 0,
        suffix=PurePath(original_name).suffix.lower()[:10],
    )
    folder = _folder(user_pk, assignment_pk)
    upload.seek(0)
    evidence_storage.save(f"{folder}/{staged.stored_name}", upload)
    description = json.dumps(asdict(staged), ensure_ascii=False).encode()
    evidence_storage.save(f"{folder}/{staged.token}.json", ContentFile(description))
    return staged


def find(*, user_pk: int, assignment_pk: int, tokens: list[str]) -> list[StagedFile]:
    """The staged files of the user and assignment named by ``tokens`` (from the page);
    a token that is malformed, someone else's or gone is ignored."""
    folder = _folder(user_pk, assignment_pk)
    found = []
    for token in dict.fromkeys(tokens):
        if not _TOKEN.match(token):
            continue
        try:
            with evidence_storage.open(f"{folder}/{token}.json", "rb") as stream:
                data = json.loads(stream.read())
        except (FileNotFoundError, ValueError):
            continue
        staged = StagedFile(**data)
        if staged.token == token and evidence_storage.exists(f"{folder}/{staged.stored_name}"):
            found.append(staged)
    return found


def open_file(*, user_pk: int, assignment_pk: int, staged: StagedFile) -> File:
    """The staged file's bytes, named as the user's file was."""
    stream = evidence_storage.open(f"{_folder(user_pk, assignment_pk)}/{staged.stored_name}", "rb")
    return File(stream, name=staged.original_name)


def discard(*, user_pk: int, assignment_pk: int, staged: StagedFile) -> None:
    folder = _folder(user_pk, assignment_pk)
    for name in (staged.stored_name, f"{staged.token}.json"):
        evidence_storage.delete(f"{folder}/{name}")


def remove_stale(*, now: datetime.datetime | None = None) -> int:
    """Delete staged files older than ``STALE_AFTER`` (a page left with a refused save
    and never saved again). Returns how many files were deleted."""
    limit = (now or timezone.now()) - STALE_AFTER
    removed = 0
    if not evidence_storage.exists(ROOT):
        return 0
    users, _files = evidence_storage.listdir(ROOT)
    for user in users:
        assignments, _files = evidence_storage.listdir(f"{ROOT}/{user}")
        for assignment in assignments:
            folder = f"{ROOT}/{user}/{assignment}"
            for name in evidence_storage.listdir(folder)[1]:
                path = f"{folder}/{name}"
                try:
                    if evidence_storage.get_modified_time(path) < limit:
                        evidence_storage.delete(path)
                        removed += 1
                except FileNotFoundError:
                    continue
    return removed
