"""Every write to meetings goes through these functions, each in one transaction.

Who may call them for what is the caller's to check (``meetings.access``: the views
load the meeting through ``Meeting.objects.editable_by`` and the form offers only what
``access.recording_scope`` allows); these functions check that the record itself makes
sense: a street-level duty has no community, a community duty a community assigned its
item, the date lies in the checklist's year, nothing held in the future, nothing changed
once cancelled.

Attachments are judged by their bytes (``tasks.evidence``) and stored privately beside
the evidence files (``tasks.models.evidence_storage``), under random names.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePath

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from communities.models import Community
from core.history import record_change, recorded_by
from tasks.evidence import evidence_content_type
from tasks.models import Assignment, Checklist, Item, Target

from .models import Meeting, MeetingAttachment
from .signals import meetings_changed


@dataclass(frozen=True)
class MeetingDetails:
    """What a meeting record says: which duty, whose, when, where, who, what."""

    target: Target
    community: Community | None
    starts_at: datetime.datetime
    place: str = ""
    topics: str = ""
    attendees: Sequence[User] = ()
    other_attendees: str = ""
    minutes: str = ""
    items: Sequence[Item] = field(default_factory=tuple)


def meeting_validate(*, details: MeetingDetails, state: str) -> None:
    """The record must make sense; raises ValidationError in Chinese, keyed by field where
    one field is at fault. The services call it; a form may call it to show the errors."""
    target = details.target
    if target.kind != Target.Kind.FREQUENCY:
        raise ValidationError("只能为清单中“定期开展”类的目标记录会议或例行工作。")
    checklist = target.item.checklist
    if checklist.status != Checklist.Status.ACTIVE:
        raise ValidationError(f"{checklist.year}年度清单不在执行中,不能再记录会议。")
    if target.level == Target.Level.STREET:
        if details.community is not None:
            raise ValidationError(
                {"community": "街道层面的例行工作不属于某个社区,请不要选择社区。"}
            )
    else:
        community = details.community
        if community is None:
            raise ValidationError({"community": "请选择开展这项例行工作的社区。"})
        assigned = Assignment.objects.filter(
            item=target.item, community=community, community__is_active=True
        ).exists()
        if not assigned:
            raise ValidationError(
                {"community": f"{community.name}不是第 {target.item.number} 项任务的责任社区。"}
            )
    when = timezone.localtime(details.starts_at)
    if when.year != checklist.year:
        raise ValidationError({"starts_at": f"会议时间须在 {checklist.year} 年内。"})
    if state == Meeting.State.HELD and details.starts_at > timezone.now():
        raise ValidationError({"starts_at": "会议时间在将来,不能记为已召开;请选择“已安排”。"})
    if any(item.checklist_id != checklist.pk for item in details.items):
        raise ValidationError({"items": "涉及任务须是同一年度清单中的任务。"})


def _check_not_archived(meeting: Meeting) -> None:
    """A meeting of an archived year is kept as it was: not changed, cancelled, nor given
    or relieved of a file. The status is read afresh: the year may have been archived
    since the meeting was loaded."""
    checklists = Checklist.objects.filter(pk=meeting.target.item.checklist_id)
    if checklists.filter(status=Checklist.Status.ARCHIVED).exists():
        raise ValidationError(gettext("该年度清单已归档,只能查看。"), code="archived")


def _meetings_changed(meeting: Meeting) -> None:
    """Tell the apps above that the meeting's duty changed for its party."""
    meetings_changed.send(
        sender=Meeting, target_id=meeting.target_id, community_id=meeting.community_id
    )


def _write(meeting: Meeting, details: MeetingDetails) -> None:
    meeting.target = details.target
    meeting.community = details.community
    meeting.starts_at = details.starts_at
    meeting.place = details.place
    meeting.topics = details.topics
    meeting.other_attendees = details.other_attendees
    meeting.minutes = details.minutes


def _attach_all(meeting: Meeting, attachments: Sequence[UploadedFile], by: User) -> None:
    """Attach every file, or none: all are judged before any is stored, and the files
    stored before a failure are deleted again (a rollback takes back the rows only)."""
    for upload in attachments:
        evidence_content_type(upload)
    stored: list[MeetingAttachment] = []
    try:
        for upload in attachments:
            stored.append(meeting_attachment_add(meeting=meeting, upload=upload, by=by))
    except BaseException:
        for attachment in stored:
            attachment.file.storage.delete(attachment.file.name)
        raise


def _create(
    *,
    details: MeetingDetails,
    state: str,
    by: User,
    attachments: Sequence[UploadedFile],
) -> Meeting:
    meeting_validate(details=details, state=state)
    meeting = Meeting(state=state, recorded_by=by)
    _write(meeting, details)
    meeting.save()
    meeting.attendees.set(details.attendees)
    meeting.items.set(details.items)
    _attach_all(meeting, attachments, by)
    _meetings_changed(meeting)
    return meeting


@recorded_by
@transaction.atomic
def meeting_schedule(
    *,
    details: MeetingDetails,
    by: User,
    attachments: Sequence[UploadedFile] = (),
) -> Meeting:
    """Put a coming meeting on record (已安排): its attendees are reminded before it."""
    return _create(details=details, state=Meeting.State.SCHEDULED, by=by, attachments=attachments)


@recorded_by
@transaction.atomic
def meeting_record(
    *,
    details: MeetingDetails,
    by: User,
    attachments: Sequence[UploadedFile] = (),
) -> Meeting:
    """Record a meeting that was held (已召开): it counts towards its duty."""
    return _create(details=details, state=Meeting.State.HELD, by=by, attachments=attachments)


@recorded_by
@transaction.atomic
def meeting_update(
    *,
    meeting: Meeting,
    details: MeetingDetails,
    state: str,
    by: User,
    attachments: Sequence[UploadedFile] = (),
) -> Meeting:
    """Change a scheduled or held meeting: its details, and whether it was held (a
    scheduled meeting is marked held once it took place). New files are added."""
    if state not in (Meeting.State.SCHEDULED, Meeting.State.HELD):
        raise ValidationError({"state": "状态只能是“已安排”或“已召开”;取消请用“取消会议”。"})
    current = Meeting.objects.select_for_update().get(pk=meeting.pk)
    _check_not_archived(current)
    if current.is_cancelled:
        raise ValidationError("这次会议已经取消,不能再修改。")
    meeting_validate(details=details, state=state)
    _meetings_changed(current)  # the duty and party it counted for before
    _write(current, details)
    current.state = state
    current.save()
    current.attendees.set(details.attendees)
    current.items.set(details.items)
    _attach_all(current, attachments, by)
    _meetings_changed(current)
    return current


@recorded_by
@transaction.atomic
def meeting_cancel(*, meeting: Meeting, by: User) -> Meeting:
    """Cancel a meeting (once): it no longer counts and nobody is reminded of it. The
    record is kept."""
    _check_not_archived(meeting)
    changed = Meeting.objects.filter(
        pk=meeting.pk, state__in=(Meeting.State.SCHEDULED, Meeting.State.HELD)
    ).update(state=Meeting.State.CANCELLED, updated_at=timezone.now())
    if not changed:
        raise ValidationError("这次会议已经取消了。")
    meeting.refresh_from_db()
    record_change(meeting, by=by)  # update() bypasses save(): the 修改记录 row
    _meetings_changed(meeting)
    return meeting


@recorded_by
@transaction.atomic
def meeting_attachment_add(
    *, meeting: Meeting, upload: UploadedFile, by: User
) -> MeetingAttachment:
    """Keep a file with a meeting (sign-in sheet, photos, signed minutes). The type is
    read from the bytes; the file is stored privately under a random name."""
    _check_not_archived(meeting)
    if meeting.is_cancelled:
        raise ValidationError("这次会议已经取消,不能再添加附件。")
    content_type = evidence_content_type(upload)
    original_name = PurePath(upload.name or "file").name
    upload.name = f"{uuid.uuid4().hex}{PurePath(original_name).suffix.lower()}"
    return MeetingAttachment.objects.create(
        meeting=meeting,
        file=upload,
        original_name=original_name[:255],
        content_type=content_type,
        size=upload.size or 0,
        uploaded_by=by,
    )


@recorded_by
@transaction.atomic
def meeting_attachment_remove(*, attachment: MeetingAttachment, by: User) -> None:
    """Take a file off a meeting; the stored file goes once the transaction commits."""
    _check_not_archived(attachment.meeting)
    if attachment.meeting.is_cancelled:
        raise ValidationError("这次会议已经取消,不能再删除附件。")
    stored = attachment.file
    attachment.delete()
    transaction.on_commit(lambda: stored.storage.delete(stored.name))
