"""The street carries its checklist into the next year: 2018 is created from 2017 (pillars,
items, lead units, targets, evidence requirements and assignments copied, dates a year
on) as a draft to edit, while 2017 is archived read-only with every report, figure, file
and record intact."""

from __future__ import annotations

import datetime
from io import StringIO
from typing import Any

import pytest
import tablib
import time_machine
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from communities.models import Community, Unit
from core.spreadsheets import import_error_messages
from meetings.models import Meeting
from tasks.models import (
    Assignment,
    Checklist,
    DeadlineExtension,
    Evidence,
    EvidenceRequirement,
    Item,
    ItemLeadUnit,
    Pillar,
    ProgressReport,
    ReportTransition,
    Target,
    TargetValue,
)
from tasks.resources import ItemResource, ProgressReportResource
from tasks.services import (
    assignment_set_communities,
    assignments_generate,
    checklist_roll_over,
    evidence_add,
    extension_decide,
    extension_request,
    progress_report_approve,
    progress_report_reopen,
    progress_report_return,
    progress_report_save,
    progress_report_submit,
)
from tasks.signals import assignments_changed, checklist_rolled_over
from tests.conftest import assignment_of, frequency_duty, held_meeting
from tests.filing import (
    MINIMAL_PDF,
    complete_values,
    file_item_report,
    file_report,
    has_inputs_for,
    time_travel,
)

pytestmark = pytest.mark.django_db

ARCHIVED = "该年度清单已归档,只能查看。"
State = ProgressReport.WorkflowState


@pytest.fixture
def year_2017(
    world: Checklist,
    community_one: Community,
    community_two: Community,
    community_one_staff: User,
    housing_staff: User,
    street_admin: User,
    august_3rd_2017: time_machine.Traveller,
) -> Checklist:
    """2017 in full swing on 3 August: item 31 concerns community two only, item 14 asks
    for minutes (the fixture) and item 24 for photos (the street added it in the admin), a
    third community merged away in the spring; community one's July reports
    on item 8 (approved by 房管所), 18 (submitted) and 1 (a draft with a file and an
    extension request), and a joint meeting held."""
    assignment_set_communities(item=world.items.get(number=31), communities=[community_two])
    EvidenceRequirement.objects.create(item=world.items.get(number=24), kind=Evidence.Kind.PHOTO)
    merged = Community.objects.create(name="示例社区三", order=3)
    assignments_generate(checklist=world)
    merged.is_active = False
    merged.save(update_fields=["is_active"])

    approved = file_item_report(world, 8, community_one, community_one_staff)
    progress_report_approve(report=approved, by=housing_staff, comment="材料齐全")
    file_item_report(world, 18, community_one, community_one_staff)
    draft = file_item_report(world, 1, community_one, community_one_staff, submit=False)
    evidence_add(
        report=draft,
        upload=SimpleUploadedFile("会议记录.pdf", MINIMAL_PDF, content_type="application/pdf"),
        kind=Evidence.Kind.MINUTES,
        by=community_one_staff,
    )
    extension_request(
        assignment=draft.assignment,
        year=2017,
        month=7,
        requested_deadline=datetime.date(2017, 8, 15),
        reason="台风影响入户统计",
        by=community_one_staff,
    )
    held_meeting(frequency_duty(world, 14), community_one, 7, 20, community_one_staff)
    return world


def report_of(checklist: Checklist, item_number: int, community: Community) -> ProgressReport:
    return ProgressReport.objects.get(
        assignment=assignment_of(checklist, item_number, community), year=2017, month=7
    )


def rows_of(checklist: Checklist) -> dict[str, list[dict[str, Any]]]:
    """Every row the year holds, column by column, in a fixed order."""
    of_items = {"item__checklist": checklist}
    of_assignments = {"assignment__item__checklist": checklist}
    of_reports = {"report__assignment__item__checklist": checklist}
    querysets = {
        "checklist": Checklist.objects.filter(pk=checklist.pk),
        "pillars": Pillar.objects.filter(checklist=checklist),
        "items": Item.objects.filter(checklist=checklist),
        "lead units": ItemLeadUnit.objects.filter(**of_items),
        "responsible units": Item.responsible_units.through.objects.filter(**of_items),
        "evidence requirements": EvidenceRequirement.objects.filter(**of_items),
        "targets": Target.objects.filter(**of_items),
        "assignments": Assignment.objects.filter(**of_items),
        "reports": ProgressReport.objects.filter(**of_assignments),
        "values": TargetValue.objects.filter(**of_reports),
        "evidence": Evidence.objects.filter(**of_reports),
        "transitions": ReportTransition.objects.filter(**of_reports),
        "extensions": DeadlineExtension.objects.filter(**of_assignments),
        "meetings": Meeting.objects.filter(target__item__checklist=checklist),
    }
    return {name: list(rows.order_by("pk").values()) for name, rows in querysets.items()}


def without_status(rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    [checklist] = rows["checklist"]
    return {**rows, "checklist": [{**checklist, "status": None}]}


@pytest.fixture
def rolled_over(year_2017: Checklist, street_admin: User) -> Checklist:
    """The 2018 checklist, created from 2017 by the street admin."""
    return checklist_roll_over(source=year_2017, year=2018, by=street_admin)


def columns(row: Any, *skipped: str) -> dict[str, Any]:
    """A row's columns but its key and those ``skipped``."""
    values = {
        field.attname: getattr(row, field.attname)
        for field in type(row)._meta.concrete_fields
        if not field.primary_key
    }
    return {name: value for name, value in values.items() if name not in skipped}


# (a) What is copied


def test_it_creates_a_draft_for_the_street_to_complete(
    year_2017: Checklist, rolled_over: Checklist
) -> None:
    new = Checklist.objects.get(year=2018)

    assert new == rolled_over
    assert new.status == Checklist.Status.DRAFT
    assert new.title == year_2017.title
    assert new.issuing_bodies == year_2017.issuing_bodies
    assert new.filing_day == year_2017.filing_day == 5
    assert (new.document_number, new.issued_on) == ("", None)  # the street fills them in
    assert Checklist.objects.get(year=2017).status == Checklist.Status.ARCHIVED


def test_it_replaces_the_year_in_the_title(year_2017: Checklist, street_admin: User) -> None:
    Checklist.objects.filter(pk=year_2017.pk).update(title="2017年宜居家园目标任务清单")
    year_2017.refresh_from_db()

    new = checklist_roll_over(source=year_2017, year=2018, by=street_admin)

    assert new.title == "2018年宜居家园目标任务清单"


def test_it_copies_pillars_items_lead_units_targets_and_requirements(
    year_2017: Checklist, rolled_over: Checklist
) -> None:
    old_rows, new_rows = rows_of(year_2017), rows_of(rolled_over)
    for name in ("pillars", "items", "lead units", "responsible units", "targets"):
        assert len(new_rows[name]) == len(old_rows[name]) > 0, name
    assert [p.name for p in rolled_over.pillars.all()] == [
        "宜居·共建",
        "宜居·共治",
        "宜居·共创",
        "宜居·共享",
    ]

    old_items = {item.number: item for item in year_2017.items.with_details()}
    new_items = {item.number: item for item in rolled_over.items.with_details()}
    assert sorted(new_items) == list(range(1, 41))
    for number, new in new_items.items():
        old = old_items[number]
        assert columns(new, "checklist_id", "pillar_id", "due_date") == columns(
            old, "checklist_id", "pillar_id", "due_date"
        )
        assert new.pillar.checklist_id == rolled_over.pk
        assert new.pillar.name == old.pillar.name
        assert [u.name for u in new.ordered_lead_units()] == [
            u.name for u in old.ordered_lead_units()
        ]
        assert [columns(t, "item_id", "due_date") for t in new.targets.all()] == [
            columns(t, "item_id", "due_date") for t in old.targets.all()
        ]

    assert [u.name for u in new_items[8].ordered_lead_units()] == ["房管所", "社区自治办"]
    item_15 = new_items[15]
    assert item_15.responsible_scope == Item.Scope.NAMED_UNITS
    assert item_15.responsible_parties_label == "房管所、城管中队"
    assert item_15.due_date == datetime.date(2018, 6, 30)
    assert new_items[27].due_date == datetime.date(2018, 12, 31)
    assert new_items[1].due_date is None

    [street, party] = new_items[14].targets.all()
    assert (street.kind, street.period, street.level, street.title) == (
        Target.Kind.FREQUENCY,
        Target.Period.MONTH,
        Target.Level.STREET,
        "街道层面联席会议",
    )
    assert (party.kind, party.period, party.level, party.title) == (
        Target.Kind.FREQUENCY,
        Target.Period.FORTNIGHT,
        Target.Level.PARTY,
        "社区层面联席会议",
    )
    assert [r.kind for r in new_items[14].evidence_requirements.all()] == ["minutes"]
    assert [r.kind for r in new_items[24].evidence_requirements.all()] == ["photo"]


def test_it_moves_dates_to_the_same_day_of_the_new_year_and_29_february_to_the_28th(
    year_2017: Checklist, street_admin: User
) -> None:
    checklist_2020 = checklist_roll_over(source=year_2017, year=2020, by=street_admin)
    assert checklist_2020.items.get(number=15).due_date == datetime.date(2020, 6, 30)
    Checklist.objects.filter(pk=checklist_2020.pk).update(status=Checklist.Status.ACTIVE)
    checklist_2020.refresh_from_db()
    checklist_2020.items.filter(number=15).update(due_date=datetime.date(2020, 2, 29))
    Target.objects.filter(item__checklist=checklist_2020, item__number=15).update(
        due_date=datetime.date(2020, 2, 29)
    )

    checklist_2021 = checklist_roll_over(source=checklist_2020, year=2021, by=street_admin)

    item = checklist_2021.items.get(number=15)
    assert item.due_date == datetime.date(2021, 2, 28)
    assert item.targets.get().due_date == datetime.date(2021, 2, 28)


def test_assignments_mirror_2017_s_for_the_communities_still_active(
    year_2017: Checklist,
    rolled_over: Checklist,
    community_one: Community,
    community_two: Community,
) -> None:
    def parties(checklist: Checklist) -> list[tuple[int, str, bool]]:
        return sorted(
            (a.item.number, str(a.party), a.is_street_level)
            for a in Assignment.objects.for_checklist(checklist).select_related(
                "item", "community", "unit"
            )
        )

    merged = ("示例社区三",)
    expected = [p for p in parties(year_2017) if p[1] not in merged]
    assert len(expected) < len(parties(year_2017))  # the merged community had its share
    assert parties(rolled_over) == expected

    assert assignment_of(rolled_over, 31, community_two).item.checklist == rolled_over
    assert not Assignment.objects.filter(
        item__checklist=rolled_over, item__number=31, community=community_one
    ).exists()
    street_level = Assignment.objects.get(
        item__checklist=rolled_over, item__number=14, is_street_level=True
    )
    assert street_level.unit == Unit.objects.get(name="社区自治办")
    assert street_level.targets() == [frequency_duty(rolled_over, 14, street=True)]
    assert {a.unit and a.unit.name for a in rolled_over.items.get(number=15).assignments.all()} == {
        "房管所",
        "城管中队",
    }


def test_it_tells_the_other_apps_about_the_new_checklist(
    year_2017: Checklist, street_admin: User
) -> None:
    heard: list[tuple[str, dict[str, Any]]] = []

    def listen(name: str) -> Any:
        def receiver(sender: Any, **kwargs: Any) -> None:
            heard.append((name, {k: v for k, v in kwargs.items() if k != "signal"}))

        return receiver

    on_assignments, on_rolled_over = listen("assignments"), listen("rolled over")
    assignments_changed.connect(on_assignments)
    checklist_rolled_over.connect(on_rolled_over)
    try:
        new = checklist_roll_over(source=year_2017, year=2018, by=street_admin)
    finally:
        assignments_changed.disconnect(on_assignments)
        checklist_rolled_over.disconnect(on_rolled_over)

    assert heard == [
        ("assignments", {"checklist_id": new.pk}),
        ("rolled over", {"source_id": year_2017.pk, "checklist_id": new.pk}),
    ]


# (b) 2017 stays as it was


def test_rolling_over_changes_nothing_of_2017_but_its_status(
    year_2017: Checklist, street_admin: User
) -> None:
    before = rows_of(year_2017)
    assert all(before[name] for name in before), "every kind of row has an example"

    checklist_roll_over(source=year_2017, year=2018, by=street_admin)

    after = rows_of(year_2017)
    assert without_status(after) == without_status(before)
    assert after["checklist"][0]["status"] == Checklist.Status.ARCHIVED
    assert before["checklist"][0]["status"] == Checklist.Status.ACTIVE


# (c) The archived year is read-only


def test_an_archived_year_s_reports_cannot_be_saved_submitted_reviewed_or_reopened(
    year_2017: Checklist,
    rolled_over: Checklist,
    community_one: Community,
    community_one_staff: User,
    housing_staff: User,
    street_admin: User,
) -> None:
    before = rows_of(year_2017)
    draft = report_of(year_2017, 1, community_one)
    submitted = report_of(year_2017, 18, community_one)
    approved = report_of(year_2017, 8, community_one)
    attempts = {
        "save": lambda: progress_report_save(
            assignment=draft.assignment,
            year=2017,
            month=7,
            by=community_one_staff,
            status=ProgressReport.Status.COMPLETED,
            narrative="补录",
            values=complete_values(draft.assignment),
            version=draft.version,
        ),
        "file June": lambda: progress_report_save(
            assignment=draft.assignment,
            year=2017,
            month=6,
            by=community_one_staff,
            status=ProgressReport.Status.IN_PROGRESS,
            narrative="",
            values=complete_values(draft.assignment),
            version=None,
        ),
        "submit": lambda: progress_report_submit(report=draft, by=community_one_staff),
        "approve": lambda: progress_report_approve(report=submitted, by=housing_staff),
        "return": lambda: progress_report_return(
            report=submitted, by=housing_staff, comment="请补充"
        ),
        "reopen": lambda: progress_report_reopen(
            report=approved, by=street_admin, reason="数据有误"
        ),
        "attach": lambda: evidence_add(
            report=draft,
            upload=SimpleUploadedFile("照片.pdf", MINIMAL_PDF, content_type="application/pdf"),
            kind=Evidence.Kind.PHOTO,
            by=community_one_staff,
        ),
        "ask for an extension": lambda: extension_request(
            assignment=draft.assignment,
            year=2017,
            month=6,
            requested_deadline=datetime.date(2017, 8, 20),
            reason="人手不足",
            by=community_one_staff,
        ),
    }
    for action, attempt in attempts.items():
        with pytest.raises(ValidationError) as refused:
            attempt()
        assert refused.value.messages == [ARCHIVED], action

    assert without_status(rows_of(year_2017)) == without_status(before)


def test_an_archived_year_s_extension_requests_are_not_decided(
    year_2017: Checklist,
    rolled_over: Checklist,
    community_one: Community,
    party_building_staff: User,
) -> None:
    extension = DeadlineExtension.objects.get(assignment__item__checklist=year_2017)

    with pytest.raises(ValidationError, match=ARCHIVED):
        extension_decide(extension=extension, by=party_building_staff, grant=True)

    extension.refresh_from_db()
    assert extension.state == DeadlineExtension.State.PENDING


def test_approving_on_an_archived_report_s_page_is_refused_in_chinese(
    client: Client, year_2017: Checklist, rolled_over: Checklist, housing_staff: User
) -> None:
    submitted = report_of(year_2017, 18, Community.objects.get(name="示例社区一"))
    client.force_login(housing_staff)

    page = client.get(f"/reports/{submitted.pk}/").content.decode()
    response = client.post(f"/reports/{submitted.pk}/approve/", {"comment": "同意"})

    assert ARCHIVED in page
    assert f'action="/reports/{submitted.pk}/approve/"' not in page  # no form offered
    assert response.status_code == 400
    assert ARCHIVED in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.workflow_state == State.SUBMITTED


@pytest.mark.parametrize("who", ["street_admin", "leader"])
def test_2017_s_pages_still_open_for_the_street_and_its_leaders(
    client: Client,
    request: pytest.FixtureRequest,
    year_2017: Checklist,
    rolled_over: Checklist,
    community_one: Community,
    who: str,
) -> None:
    client.force_login(request.getfixturevalue(who))
    approved = report_of(year_2017, 8, community_one)
    item_8 = year_2017.items.get(number=8)

    home = client.get("/checklist/?year=2017")
    default_home = client.get("/checklist/")
    item_page = client.get(f"/items/{item_8.pk}/?year=2017&month=7")
    report_page = client.get(f"/reports/{approved.pk}/")

    assert home.status_code == 200
    assert home.context["checklist"] == year_2017
    assert "已归档" in home.content.decode()
    assert default_home.context["checklist"] == year_2017  # 2018 is still a draft
    assert client.get("/checklist/?year=2018").status_code == 404
    assert item_page.status_code == 200
    assert "示例社区一" in item_page.content.decode()
    assert report_page.status_code == 200
    page = report_page.content.decode()
    assert "材料齐全" in page  # the review comment, kept
    assert f'action="/reports/{approved.pk}/reopen/"' not in page


def test_the_workspace_of_an_archived_year_shows_the_reports_without_inputs(
    client: Client,
    year_2017: Checklist,
    rolled_over: Checklist,
    community_one: Community,
    community_one_staff: User,
) -> None:
    client.force_login(community_one_staff)
    draft = report_of(year_2017, 1, community_one)

    response = client.get("/workspace/?year=2017&month=7")
    posted = client.post("/workspace/?year=2017&month=7", {"save": "1"}, follow=True)

    page = response.content.decode()
    assert response.status_code == 200
    assert ARCHIVED in page
    assert "会议记录.pdf" in page  # the draft's file is still listed
    assert not has_inputs_for(page, draft.assignment)
    assert 'id="extension"' not in page  # no extension to ask for either
    assert posted.status_code == 200
    draft.refresh_from_db()
    assert draft.narrative == "7月进展:已走访各小区。"


# (d) The new year is edited in the admin; the archived one is not


def admin_form_data(response: Any) -> dict[str, Any]:
    """What the admin's change form posts when saved untouched: the object's form, and
    each inline's management form and rows."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data: dict[str, Any] = {}
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            key = form.add_prefix(name)
            if value is None or value is False:
                continue
            if value is True:
                data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            else:
                data[key] = str(value.pk if hasattr(value, "pk") else value)
    return data


def test_the_street_admin_edits_the_new_year_s_items_in_the_admin(
    client: Client, rolled_over: Checklist, street_admin: User
) -> None:
    item = rolled_over.items.get(number=15)
    url = reverse("admin:tasks_item_change", args=[item.pk])
    client.force_login(street_admin)
    page = client.get(url)
    data = admin_form_data(page)
    data["text"] = "加快推进城市综合管理中心建设,并于9月底前落实机构运行等各项工作。"
    data["due_date"] = "2018-09-30"

    response = client.post(url, data)

    assert response.status_code == 302, response.context and [
        form.errors for form in [response.context["adminform"].form]
    ]
    item.refresh_from_db()
    assert item.text.startswith("加快推进城市综合管理中心建设,并于9月底前")
    assert item.due_date == datetime.date(2018, 9, 30)
    assert item.lead_unit_links.count() == 2  # the inlines were saved untouched
    assert item.targets.count() == 1


def test_the_archived_year_s_rows_are_read_only_in_the_admin(
    client: Client,
    year_2017: Checklist,
    rolled_over: Checklist,
    community_one: Community,
    street_admin: User,
) -> None:
    client.force_login(street_admin)
    item = year_2017.items.get(number=15)
    report = report_of(year_2017, 8, community_one)
    assignment = item.assignments.first()
    assert assignment is not None
    pages = {
        "checklist": reverse("admin:tasks_checklist_change", args=[year_2017.pk]),
        "item": reverse("admin:tasks_item_change", args=[item.pk]),
        "target": reverse("admin:tasks_target_change", args=[item.targets.get().pk]),
        "assignment": reverse("admin:tasks_assignment_change", args=[assignment.pk]),
        "report": reverse("admin:tasks_progressreport_change", args=[report.pk]),
        "value": reverse("admin:tasks_targetvalue_change", args=[report.values.get().pk]),
    }
    before = rows_of(year_2017)

    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        page = response.content.decode()
        assert 'type="submit"' not in page.split('id="content-main"')[1], name
        assert client.post(url, {}).status_code == 403, name
        assert client.post(url.replace("/change/", "/delete/"), {"post": "yes"}).status_code == (
            403
        ), name

    new_item = reverse("admin:tasks_item_change", args=[rolled_over.items.get(number=15).pk])
    assert 'name="targets-TOTAL_FORMS"' in client.get(new_item).content.decode()
    old_item_page = client.get(pages["item"])
    assert all(
        inline.formset.extra == 0 for inline in old_item_page.context["inline_admin_formsets"]
    )
    assert not old_item_page.context["has_change_permission"]
    assert without_status(rows_of(year_2017)) == without_status(before)


def test_nothing_is_added_to_the_archived_year_in_the_admin(
    client: Client, year_2017: Checklist, rolled_over: Checklist, street_admin: User
) -> None:
    client.force_login(street_admin)
    item_count = Item.objects.count()
    pillar = year_2017.pillars.first()
    assert pillar is not None

    response = client.post(
        reverse("admin:tasks_item_add"),
        {
            "checklist": year_2017.pk,
            "pillar": pillar.pk,
            "number": 41,
            "text": "补充任务",
            "responsible_scope": Item.Scope.ALL_COMMUNITIES,
            **{
                f"{prefix}-{suffix}": value
                for prefix in ("lead_unit_links", "targets", "evidence_requirements", "assignments")
                for suffix, value in (("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0))
            },
        },
    )

    assert response.status_code == 200
    assert "checklist" in response.context["adminform"].form.errors
    assert Item.objects.count() == item_count


def test_a_spreadsheet_import_writes_nothing_into_the_archived_year(
    year_2017: Checklist, rolled_over: Checklist, street_admin: User
) -> None:
    before = rows_of(year_2017)
    reports = tablib.Dataset(
        ["2017", "1", "示例社区一", "2017", "7", "已完成", "改写", "", ""],
        ["2017", "2", "示例社区二", "2017", "6", "推进中", "新建", "", ""],
        headers=[
            "年度",
            "任务序号",
            "责任单位",
            "年",
            "月",
            "进展状态",
            "进展情况",
            "流程状态",
            "指标值",
        ],
    )
    items = tablib.Dataset(
        ["2017", "1", "宜居·共建", "改写的任务", "社区党建办", "各社区", "", ""],
        headers=[
            "年度",
            "序号",
            "板块",
            "任务内容",
            "牵头单位",
            "责任单位范围",
            "完成时限",
            "依据文件",
        ],
    )

    # A report's refusal names the column it concerns (the service's error on the year).
    for resource, dataset, column in (
        (ProgressReportResource(), reports, "“年度”"),
        (ItemResource(), items, ""),
    ):
        result = resource.import_data(dataset, dry_run=False, user=street_admin)
        assert set(import_error_messages(result)) == {
            f"第{row}行数据{column}:{ARCHIVED}" for row in range(1, len(dataset) + 1)
        }

    assert without_status(rows_of(year_2017)) == without_status(before)


# (e) Once a year


def test_a_second_roll_over_to_the_same_year_is_refused(
    year_2017: Checklist, rolled_over: Checklist, street_admin: User
) -> None:
    rolled_over.title = "2018年修订稿"
    Checklist.objects.filter(pk=rolled_over.pk).update(title=rolled_over.title)
    rows = rows_of(rolled_over)

    with pytest.raises(ValidationError, match="2018年度清单已经存在,不能重复生成。"):
        checklist_roll_over(source=year_2017, year=2018, by=street_admin)

    assert Checklist.objects.filter(year=2018).count() == 1
    assert rows_of(rolled_over) == rows


@pytest.mark.parametrize("year", [2017, 2016])
def test_the_new_year_must_come_after_the_source(
    year_2017: Checklist, street_admin: User, year: int
) -> None:
    with pytest.raises(ValidationError, match="新清单的年度须晚于2017年。"):
        checklist_roll_over(source=year_2017, year=year, by=street_admin)

    year_2017.refresh_from_db()
    assert year_2017.status == Checklist.Status.ACTIVE


def test_only_the_street_admin_rolls_over(
    year_2017: Checklist, community_one_staff: User, leader: User
) -> None:
    for user in (community_one_staff, leader):
        with pytest.raises(PermissionDenied):
            checklist_roll_over(source=year_2017, year=2018, by=user)
    assert not Checklist.objects.filter(year=2018).exists()


# (f) The admin action and the command


def test_the_admin_action_rolls_over_and_links_to_the_new_checklist(
    client: Client, year_2017: Checklist, street_admin: User
) -> None:
    client.force_login(street_admin)

    response = client.post(
        reverse("admin:tasks_checklist_changelist"),
        {"action": "roll_over", "_selected_action": [year_2017.pk]},
        follow=True,
    )

    new = Checklist.objects.get(year=2018)
    page = response.content.decode()
    assert response.status_code == 200
    assert f'href="{reverse("admin:tasks_checklist_change", args=[new.pk])}"' in page
    assert "已生成2018年度清单(草稿)" in page
    assert new.items.count() == 40
    year_2017.refresh_from_db()
    assert year_2017.status == Checklist.Status.ARCHIVED


def test_the_admin_action_says_why_it_refuses(
    client: Client, year_2017: Checklist, rolled_over: Checklist, street_admin: User
) -> None:
    client.force_login(street_admin)
    changelist = reverse("admin:tasks_checklist_changelist")

    again = client.post(
        changelist, {"action": "roll_over", "_selected_action": [year_2017.pk]}, follow=True
    )
    both = client.post(
        changelist,
        {"action": "roll_over", "_selected_action": [year_2017.pk, rolled_over.pk]},
        follow=True,
    )

    assert "2018年度清单已经存在,不能重复生成。" in again.content.decode()
    assert "请只选择一个年度清单" in both.content.decode()
    assert Checklist.objects.count() == 2


def test_the_command_rolls_over_and_refuses_a_second_time(year_2017: Checklist) -> None:
    command_output = StringIO()
    call_command("roll_over_checklist", "2017", "2018", stdout=command_output)

    new = Checklist.objects.get(year=2018)
    assert new.status == Checklist.Status.DRAFT
    assert "已生成2018年度 " in command_output.getvalue()
    assert "40 项任务" in command_output.getvalue()
    year_2017.refresh_from_db()
    assert year_2017.status == Checklist.Status.ARCHIVED
    with pytest.raises(CommandError, match="2018年度清单已经存在"):
        call_command("roll_over_checklist", "2017", "2018")
    with pytest.raises(CommandError, match="没有2016年度清单"):
        call_command("roll_over_checklist", "2016", "2019")


def test_kept_open_the_old_year_still_takes_december_s_reports_until_archived(
    client: Client,
    year_2017: Checklist,
    street_admin: User,
    community_one: Community,
    community_one_staff: User,
) -> None:
    """Planning 2018 in December: 2017 stays open for December's reports, due on
    5 January, and is archived by the street admin afterwards."""
    changelist = reverse("admin:tasks_checklist_changelist")
    with time_travel(2017, 12, 20):
        client.force_login(street_admin)
        page = client.post(
            changelist,
            {"action": "roll_over_keep_open", "_selected_action": [year_2017.pk]},
            follow=True,
        ).content.decode()
    assert "2017年度清单仍可填报" in page
    year_2017.refresh_from_db()
    assert year_2017.status == Checklist.Status.ACTIVE
    assert Checklist.objects.get(year=2018).status == Checklist.Status.DRAFT

    with time_travel(2018, 1, 4):
        report = file_report(
            assignment_of(year_2017, 8, community_one), community_one_staff, month=12, submit=True
        )
    assert report.workflow_state == ProgressReport.WorkflowState.SUBMITTED

    with time_travel(2018, 1, 10):
        client.force_login(street_admin)
        client.post(changelist, {"action": "archive", "_selected_action": [year_2017.pk]})
    year_2017.refresh_from_db()
    assert year_2017.status == Checklist.Status.ARCHIVED
    with time_travel(2018, 1, 10), pytest.raises(ValidationError, match="已归档"):
        file_report(assignment_of(year_2017, 7, community_one), community_one_staff, month=12)


def test_the_command_can_keep_the_old_year_open(year_2017: Checklist) -> None:
    output = StringIO()
    call_command("roll_over_checklist", "2017", "2018", "--keep-open", stdout=output)
    year_2017.refresh_from_db()
    assert year_2017.status == Checklist.Status.ACTIVE
    assert "2017年度清单仍可填报" in output.getvalue()
