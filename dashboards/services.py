"""Writes of the dashboards: send and acknowledge urging notices (催办)."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from communities import access
from core.dates import month_label, month_name
from core.typing import AnyUser
from notifications.models import Message
from notifications.services import notify, party_staff
from tasks.filing import deadline_passed
from tasks.models import Assignment, ProgressReport

from .figure_version import late_changed
from .models import UrgeNotice, party_assignments

# ---------------------------------------------------------------------------------------
# Urges (催办): from a late cell of the completion dashboard, the street admin or the
# item's lead unit urges the party to file; the party's staff acknowledge (确认收到).


def urgeable_assignments(user: AnyUser) -> QuerySet[Assignment]:
    """Assignments the user may urge: every one for the street admin
    (``access.URGE_PARTIES``), those on items their unit leads for lead-unit staff.
    Leadership reads, and urges nothing."""
    if not user.is_authenticated:
        return Assignment.objects.none()
    if access.may_urge_everywhere(user):
        return Assignment.objects.all()
    return Assignment.objects.reviewable_by(user)


def may_urge(user: AnyUser, assignment: Assignment) -> bool:
    return urgeable_assignments(user).filter(pk=assignment.pk).exists()


def _urge_default_text(
    assignment: Assignment, month: int, deadline: datetime.date, today: datetime.date
) -> str:
    checklist = assignment.item.checklist
    late = (
        "年度已结束仍未报"
        if checklist.is_closed(today)
        else f"已逾期 {checklist.days_late(deadline, today)} 天"
    )
    return (
        f"请尽快填报第 {assignment.item.number} 项 {month}月进展,"
        f"截止日期为 {deadline:%Y-%m-%d},{late}。"
    )


@transaction.atomic
def urge_send(
    *, assignment: Assignment, year: int, month: int, by: User, text: str = ""
) -> UrgeNotice:
    """Urge the party of ``assignment`` to file its report of ``year``-``month``, which is
    not handed in while its filing deadline has passed. Each of the party's staff gets a
    message in the inbox, and by email, linking to the page where they acknowledge it.

    A month already urged today and not acknowledged yet is not urged again: the pending
    urge is returned (a double-clicked button sends once)."""
    if not may_urge(by, assignment):
        raise PermissionDenied("只有街道管理员或该任务的牵头单位可以催办。")
    if not 1 <= month <= 12:
        raise ValidationError("月份应在 1 到 12 之间。")
    assignment = (
        Assignment.objects.select_related("item__checklist", "community", "unit")
        .prefetch_related("extensions")
        .get(pk=assignment.pk)
    )
    if assignment.item.checklist.is_archived:
        raise ValidationError(gettext("该年度清单已归档,只能查看。"), code="archived")
    if year != assignment.item.checklist.year:
        checklist_year = assignment.item.checklist.year
        raise ValidationError(
            gettext("%(year)s年度清单的任务只能催办%(year)s年的月份。") % {"year": checklist_year}
        )
    if not assignment.item.checklist.owes_month(year, month):
        raise ValidationError(
            gettext("%(period)s不在清单应报的月份内,无需催办。")
            % {"period": month_label(year, month)}
        )
    state = ProgressReport.WorkflowState
    handed_in = (
        ProgressReport.objects.for_month(year, month)
        .filter(assignment=assignment, workflow_state__in=(state.SUBMITTED, state.APPROVED))
        .values_list("workflow_state", flat=True)
        .first()
    )
    if handed_in is not None:
        label = state(handed_in).label
        raise ValidationError(
            gettext("%(party)s 的 %(month)s进展%(state)s,无需催办。")
            % {"party": assignment.party, "month": month_name(month), "state": label}
        )
    deadline = assignment.filing_deadline(year, month)
    today = timezone.localdate()
    if not deadline_passed(deadline, today):
        raise ValidationError(
            gettext("%(month)s进展的填报截止日期为 %(deadline)s,尚未逾期,不能催办。")
            % {"month": month_name(month), "deadline": f"{deadline:%Y-%m-%d}"}
        )

    pending = UrgeNotice.objects.for_cell(assignment.pk, year, month).unacknowledged()
    if (urge := pending.filter(sent_on=today).first()) is not None:
        return urge
    try:
        with transaction.atomic():
            urge = UrgeNotice.objects.create(
                assignment=assignment,
                year=year,
                month=month,
                text=text.strip() or _urge_default_text(assignment, month, deadline, today),
                sent_by=by,
                sent_at=timezone.now(),
                sent_on=today,
            )
    except IntegrityError:
        # Sent by a concurrent request a moment ago (urge_one_pending_per_cell_and_day).
        return pending.get(sent_on=today)
    urge.assignment = assignment
    sender = by.get_full_name() or by.get_username()
    notify(
        users=party_staff(community=assignment.community, unit=assignment.unit),
        kind=Message.Kind.URGE,
        title=f"催办:请尽快填报第 {assignment.item.number} 项 {month}月进展",
        body=f"{urge.text}\n催办人:{sender}\n请打开链接确认收到。",
        url=urge.get_absolute_url(),
    )
    return urge


@transaction.atomic
def urge_acknowledge(*, urge: UrgeNotice, by: User) -> UrgeNotice:
    """The party's staff confirm they received the urge. Acknowledging twice (a
    double-click, or two colleagues) keeps the first acknowledgement. The acknowledging
    person's message about it is marked read."""
    if not party_assignments(by).filter(pk=urge.assignment_id).exists():
        raise PermissionDenied("只有被催办的社区或单位的工作人员可以确认收到。")
    now = timezone.now()
    if UrgeNotice.objects.filter(pk=urge.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=now, acknowledged_by=by
    ):
        late_changed()  # an update sends no signal: the late list shows the acknowledgement
    Message.objects.for_user(by).unread().filter(
        kind=Message.Kind.URGE, url=urge.get_absolute_url()
    ).update(read_at=now)
    urge.refresh_from_db(fields=["acknowledged_at", "acknowledged_by"])
    return urge
