"""The demo data tells a true story: every community has its own staff who file its reports,
the item's lead unit reviews them, each report carries its history with the moments it
happened and the evidence its item requires, and loading it again changes nothing."""

from __future__ import annotations

import datetime
from collections import Counter

from django.contrib.auth.models import User
from django.db.models import F

from communities.models import Community, Membership
from demo.data import DEMO_LOGINS, demo_load
from notifications.models import Message
from tasks.models import Checklist, Evidence, ProgressReport, ReportTransition
from tests.conftest import SHANGHAI
from tests.filing import time_travel

State = ProgressReport.WorkflowState


def counts(checklist: Checklist) -> tuple[int, ...]:
    reports = ProgressReport.objects.filter(assignment__item__checklist=checklist)
    return (
        reports.count(),
        ReportTransition.objects.filter(report__in=reports).count(),
        Evidence.objects.filter(report__in=reports).count(),
        User.objects.count(),
        Membership.objects.count(),
        Message.objects.count(),
    )


def test_the_demo_reports_are_filed_reviewed_and_evidenced_by_the_right_people(
    demo_street: Checklist,
) -> None:
    checklist_2017 = demo_street  # loaded on 10 November 2017 (tests/demo_street.py)
    stands_at = datetime.datetime(2017, 11, 9, 17, 30, tzinfo=SHANGHAI)

    # Every community has staff of its own; the documented logins are there.
    communities = Community.objects.filter(name__startswith="示例社区")
    assert communities.count() == 8
    for community in communities:
        assert Membership.objects.filter(community=community).exists(), community
    usernames = set(User.objects.values_list("username", flat=True))
    assert {"admin", "fangguansuo", "shequ1", "shequ2", "lingdao"} <= usernames
    assert {login.username for login in DEMO_LOGINS} <= usernames

    reports = ProgressReport.objects.filter(assignment__item__checklist=checklist_2017)
    filed = reports.exclude(workflow_state=State.DRAFT)
    submitters = Counter(filed.values_list("submitted_by__username", flat=True))
    assert len([name for name in submitters if name.startswith("shequ")]) == 8

    # Filed by the party's staff, reviewed by the staff of one of the item's lead units.
    for report in filed.select_related("assignment", "submitted_by", "reviewed_by"):
        assignment = report.assignment
        assert Membership.objects.filter(
            user=report.submitted_by, community=assignment.community_id, unit=assignment.unit_id
        ).exists(), report
        if report.reviewed_by is not None:
            assert Membership.objects.filter(
                user=report.reviewed_by, unit__led_items=assignment.item_id
            ).exists(), report

    # Each report's history, step by step, at moments that follow one another.
    states = Counter(reports.values_list("workflow_state", flat=True))
    assert all(states[state] > 0 for state in State)
    steps = Counter(ReportTransition.objects.values_list("from_state", "to_state"))
    assert steps[(State.DRAFT, State.SUBMITTED)] == filed.count()
    assert steps[(State.SUBMITTED, State.RETURNED)] > 0
    assert steps[(State.RETURNED, State.SUBMITTED)] > 0
    last: dict[int, datetime.datetime] = {}
    for step in ReportTransition.objects.order_by("report_id", "pk"):
        assert step.at <= stands_at
        assert step.report_id not in last or last[step.report_id] <= step.at
        last[step.report_id] = step.at
    assert not filed.filter(first_submitted_at__lt=F("created_at")).exists()
    assert not filed.filter(submitted_at__lt=F("first_submitted_at")).exists()
    for report in reports.filter(workflow_state=State.APPROVED):
        assert report.reviewed_at == last[report.pk]
    returned = reports.filter(workflow_state=State.RETURNED).first()
    assert returned is not None and returned.review_comment
    message = Message.objects.filter(title__contains="被退回").order_by("created_at").first()
    assert message is not None and message.created_at.year == 2017

    # An item that asks for evidence has it on every report that says 已完成, uploaded by
    # the filer before the report was (last) submitted.
    completed = filed.filter(
        declared_status=ProgressReport.Status.COMPLETED,
        assignment__item__evidence_requirements__isnull=False,
    ).distinct()
    for report in completed:
        assert report.missing_evidence_kinds() == [], report
    evidence = Evidence.objects.filter(report__in=filed).select_related("report")
    assert evidence.count() > 0
    for item in evidence:
        assert item.uploaded_by_id == item.report.submitted_by_id
        assert item.report.submitted_at is not None
        assert item.uploaded_at <= item.report.submitted_at

    # Loading it again changes nothing.
    before = counts(checklist_2017)
    with time_travel(2017, 11, 10):
        demo_load(checklist=checklist_2017)
    assert counts(checklist_2017) == before
