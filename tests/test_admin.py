"""The admin: every model's list page, the item and report pages with their inlines,
records that cannot be edited, the generate-assignments action, and list pages whose
queries do not grow with their rows."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import Criterion, ManualScore, ScoreAdjustment
from assessments.scoring import results_publish, scheme_default
from assessments.summary import scores_rebuild
from communities.models import Community, Membership, PasswordHistory, Unit
from dashboards.models import UrgeNotice
from meetings.models import Meeting, MeetingAttachment
from notifications.models import Message, WebhookEndpoint
from notifications.services import notify
from reminders.models import Reminder, ReminderSettings
from tasks.models import (
    Assignment,
    CalendarDay,
    Checklist,
    DeadlineExtension,
    Evidence,
    EvidenceRequirement,
    Item,
    ItemLeadUnit,
    ProgressReport,
    ReportTransition,
    TargetValue,
)

MODELS = [
    ("communities", "unit"),
    ("communities", "community"),
    ("communities", "compound"),
    ("communities", "membership"),
    ("communities", "passwordhistory"),
    ("tasks", "checklist"),
    ("tasks", "pillar"),
    ("tasks", "item"),
    ("tasks", "itemleadunit"),
    ("tasks", "target"),
    ("tasks", "assignment"),
    ("tasks", "progressreport"),
    ("tasks", "targetvalue"),
    ("tasks", "evidence"),
    ("tasks", "reporttransition"),
    ("tasks", "evidencerequirement"),
    ("tasks", "deadlineextension"),
    ("tasks", "calendarday"),
    ("meetings", "meeting"),
    ("meetings", "meetingattachment"),
    ("notifications", "webhookendpoint"),
    ("notifications", "message"),
    ("notifications", "outboxmessage"),
    ("reminders", "remindersettings"),
    ("reminders", "reminder"),
    ("dashboards", "assignmentmonth"),
    ("dashboards", "partymonth"),
    ("dashboards", "itemmonth"),
    ("dashboards", "urgenotice"),
    ("assessments", "scheme"),
    ("assessments", "criterion"),
    ("assessments", "manualscore"),
    ("assessments", "scoreadjustment"),
    ("assessments", "publication"),
    ("assessments", "publishedscore"),
    ("assessments", "scoremonth"),
    ("assessments", "communityscore"),
]


@pytest.fixture
def filed_report(world: Checklist, community_one: Community, admin_user: User) -> ProgressReport:
    """Community one's June report on item 1: submitted, with a figure, a file and its
    workflow record, so that every list has a row to show."""
    assignment = Assignment.objects.get(item__number=1, community=community_one)
    report = ProgressReport.objects.create(
        assignment=assignment,
        year=2017,
        month=6,
        status=ProgressReport.Status.IN_PROGRESS,
        narrative="已组建一个。",
        workflow_state=ProgressReport.WorkflowState.SUBMITTED,
    )
    TargetValue.objects.create(
        report=report, target=assignment.item.targets.get(), numerator=1, denominator=2
    )
    Evidence.objects.create(
        report=report,
        kind=Evidence.Kind.MINUTES,
        file="2017/06/1/会议记录.pdf",
        original_name="会议记录.pdf",
        content_type="application/pdf",
        size=1024,
        uploaded_by=admin_user,
    )
    ReportTransition.objects.create(
        report=report,
        from_state=ProgressReport.WorkflowState.DRAFT,
        to_state=ProgressReport.WorkflowState.SUBMITTED,
        by=admin_user,
    )
    PasswordHistory.objects.create(user=admin_user, password=admin_user.password)
    DeadlineExtension.objects.create(
        assignment=assignment,
        year=2017,
        month=7,
        requested_deadline="2017-08-10",
        reason="台风",
        requested_by=admin_user,
    )
    EvidenceRequirement.objects.get_or_create(item=assignment.item, kind=Evidence.Kind.MINUTES)
    Membership.objects.create(user=admin_user, community=community_one)
    CalendarDay.objects.create(date="2030-10-01", kind=CalendarDay.Kind.HOLIDAY, name="国庆节")
    meeting = Meeting.objects.create(
        target=assignment.item.checklist.items.get(number=14).targets.get(level="party"),
        community=community_one,
        state=Meeting.State.HELD,
        starts_at="2017-07-20T14:00+08:00",
        minutes="议定停车方案。",
    )
    MeetingAttachment.objects.create(
        meeting=meeting,
        file="meetings/1/x",
        original_name="签到表.pdf",
        content_type="application/pdf",
        size=10,
        uploaded_by=admin_user,
    )
    ReminderSettings.load()
    webhook = WebhookEndpoint.objects.create(
        community=community_one, kind=WebhookEndpoint.Kind.WECOM, url="https://qyapi.example/x"
    )
    [message] = notify(
        users=[admin_user], kind=Message.Kind.REPORT_RETURNED, title="退回", body="补材料", url="/"
    )
    Reminder.objects.create(
        recipient_key=f"webhook:{webhook.pk}",
        webhook=webhook,
        kind=Reminder.Kind.MEETING_GAP,
        subject=f"community:{community_one.pk}",
        period="2017-07-20",
        text="已 15 天未召开。",
        due_at="2017-08-04T08:30+08:00",
        message=message,
    )
    UrgeNotice.objects.create(
        assignment=assignment,
        year=2017,
        month=6,
        text="请尽快填报。",
        sent_by=admin_user,
        sent_on="2017-07-10",
    )
    scheme = scheme_default(checklist=world)
    manual = Criterion.objects.create(
        scheme=scheme, order=99, title="群众满意度", points=0, rule=Criterion.Rule.MANUAL
    )
    ManualScore.objects.create(criterion=manual, community=community_one, points=0)
    ScoreAdjustment.objects.create(
        scheme=scheme, community=community_one, points=2, reason="获市级表彰", made_by=admin_user
    )
    results_publish(scheme=scheme, by=admin_user, month=6)
    scores_rebuild(scheme=scheme)  # the stored scores the ranking reads
    return report


def test_every_model_of_the_portal_s_apps_has_an_admin() -> None:
    models = [
        model
        for app_label in (
            "communities",
            "notifications",
            "tasks",
            "meetings",
            "reminders",
            "dashboards",
            "assessments",
        )
        for model in apps.get_app_config(app_label).get_models()
        if not str(model._meta.model_name).endswith("objectpermission")  # guardian's own rows
        # The 修改记录's rows: read through their model's admin (历史), never edited there.
        and not hasattr(model, "instance_type")
    ]
    assert [model for model in models if not admin.site.is_registered(model)] == []
    assert {(model._meta.app_label, model._meta.model_name) for model in models} == set(MODELS)


@pytest.mark.parametrize(("app_label", "model_name"), MODELS)
def test_every_list_page_renders_for_a_superuser(
    admin_client: Client, filed_report: ProgressReport, app_label: str, model_name: str
) -> None:
    response = admin_client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count > 0


def test_the_item_page_shows_lead_units_targets_and_assignments(
    admin_client: Client, world: Checklist
) -> None:
    item = world.items.get(number=1)
    page = admin_client.get(reverse("admin:tasks_item_change", args=[item.pk])).content.decode()

    for prefix in ("lead_unit_links", "targets", "assignments"):
        assert f'name="{prefix}-TOTAL_FORMS"' in page
    assert "社区党建办" in page  # the lead unit
    assert "业委会党的工作小组组建率" in page  # the target
    assert "示例社区一" in page and "示例社区二" in page  # the assignments


def test_the_report_page_shows_values_evidence_and_transitions_read_only(
    admin_client: Client, filed_report: ProgressReport
) -> None:
    response = admin_client.get(
        reverse("admin:tasks_progressreport_change", args=[filed_report.pk])
    )
    page = response.content.decode()

    assert response.status_code == 200
    assert 'name="values-TOTAL_FORMS"' in page
    assert "会议记录.pdf" in page
    assert 'name="evidence-0-original_name"' not in page  # shown, not editable
    assert 'name="transitions-0-comment"' not in page
    assert 'name="workflow_state"' not in page  # the workflow moves through services only


@pytest.mark.parametrize("model_name", ["evidence", "reporttransition"])
def test_records_cannot_be_added_or_changed_in_the_admin(
    admin_client: Client, filed_report: ProgressReport, model_name: str
) -> None:
    record = (Evidence if model_name == "evidence" else ReportTransition).objects.get()
    change_url = reverse(f"admin:tasks_{model_name}_change", args=[record.pk])

    assert admin_client.get(reverse(f"admin:tasks_{model_name}_add")).status_code == 403
    assert admin_client.get(change_url).status_code == 200  # it can be looked at
    assert admin_client.post(change_url, {}).status_code == 403


def test_the_generate_assignments_action_creates_the_communities_assignments(
    admin_client: Client,
    checklist_2017: Checklist,
    community_one: Community,
    community_two: Community,
) -> None:
    url = reverse("admin:tasks_checklist_changelist")
    data = {"action": "generate_assignments", "_selected_action": [checklist_2017.pk]}

    response = admin_client.post(url, data, follow=True)

    for number in (1, 2):  # items 1 and 2 go to every community
        for community in (community_one, community_two):
            assert Assignment.objects.filter(item__number=number, community=community).exists()
    created = Assignment.objects.count()
    assert f"2017年度清单:新建了 {created} 项任务分派。" in response.content.decode()

    again = admin_client.post(url, data, follow=True)
    assert "2017年度清单:新建了 0 项任务分派。" in again.content.decode()
    assert Assignment.objects.count() == created


def test_the_community_page_lists_its_compounds(
    admin_client: Client, community_one: Community
) -> None:
    page = admin_client.get(
        reverse("admin:communities_community_change", args=[community_one.pk])
    ).content.decode()
    assert 'name="compounds-TOTAL_FORMS"' in page
    assert "一号小区" in page and "二号小区" in page
    # Object permissions come from memberships only: no screen grants them by hand.
    assert "对象权限" not in page and "Object permissions" not in page


def _queries_for(client: Client, url: str) -> int:
    # The first request after a change of who may do what reads the user's access again
    # (yijia/sessions.py): the page's own queries are those of the next one.
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_the_item_list_needs_the_same_queries_for_any_number_of_items(
    admin_client: Client, checklist_2017: Checklist
) -> None:
    url = reverse("admin:tasks_item_changelist")
    few = _queries_for(admin_client, url)
    pillar = checklist_2017.pillars.first()
    assert pillar is not None
    units = list(Unit.objects.all()[:2])
    for number in range(201, 206):
        item = Item.objects.create(
            checklist=checklist_2017, pillar=pillar, number=number, text="新任务"
        )
        for order, unit in enumerate(units, start=1):
            ItemLeadUnit.objects.create(item=item, unit=unit, order=order)

    assert _queries_for(admin_client, url) == few


def test_the_report_list_needs_the_same_queries_for_any_number_of_reports(
    admin_client: Client, filed_report: ProgressReport
) -> None:
    url = reverse("admin:tasks_progressreport_changelist")
    few = _queries_for(admin_client, url)
    for assignment in Assignment.objects.exclude(pk=filed_report.assignment_id)[:5]:
        ProgressReport.objects.create(assignment=assignment, year=2017, month=6)

    assert _queries_for(admin_client, url) == few
