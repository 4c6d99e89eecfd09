"""Figures tied to the registers (issue 12, point 4): a rate whose denominator is a count
of registered compounds is prefilled from the register, and a different figure needs a
reason, kept with the value and shown to the reviewer; a numerator above its denominator
is refused; a deadline target approved as met stays met; the workspace opens on a month
owed."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client

from communities.models import Community, CompoundRegister, Unit
from tasks.forms import ReportForm
from tasks.models import Assignment, Checklist, ProgressReport, Target, TargetValue
from tasks.services import (
    ValueInput,
    progress_report_approve,
    progress_report_reopen,
    progress_report_save,
    progress_report_submit,
    value_field,
)
from tests.conftest import assignment_of
from tests.filing import JULY, field, form_data, page_forms, time_travel

pytestmark = pytest.mark.usefixtures("august_3rd_2017")


def rate_target(checklist: Checklist, item_number: int) -> Target:
    return Target.objects.get(item__checklist=checklist, item__number=item_number, kind="rate")


# -- (a) the register prefills the denominator ----------------------------------------


def test_the_seed_names_the_rates_counted_over_registered_compounds(world: Checklist) -> None:
    sources = {
        (target.item.number, target.order): target.denominator_source
        for target in Target.objects.filter(item__checklist=world).exclude(denominator_source="")
    }
    register = CompoundRegister
    assert sources == {
        (7, 1): register.WITH_OWNERS_COMMITTEE,
        (8, 1): register.ELIGIBLE_FOR_OWNERS_COMMITTEE,
        (17, 1): register.COMPOUNDS,
        (18, 1): register.UNDER_PROPERTY_MANAGEMENT,
        (18, 2): register.UNDER_PROPERTY_MANAGEMENT,
        (27, 1): register.COMPOUNDS,
        (37, 3): register.COMPOUNDS,
    }


def test_it_counts_the_community_s_registered_compounds(
    world: Checklist, community_one: Community
) -> None:
    # 一号小区: managed, with a committee; 二号小区: neither; both eligible.
    assert rate_target(world, 27).registered_denominator(community_one) == 2
    assert rate_target(world, 7).registered_denominator(community_one) == 1
    assert rate_target(world, 8).registered_denominator(community_one) == 2
    assert (
        Target.objects.get(item__checklist=world, item__number=18, order=1).registered_denominator(
            community_one
        )
        == 1
    )
    assert rate_target(world, 2).registered_denominator(community_one) is None
    assert rate_target(world, 27).registered_denominator(None) is None


def test_the_filing_page_prefills_the_registered_count(
    client: Client, world: Checklist, community_one: Community, community_one_staff: User
) -> None:
    client.force_login(community_one_staff)
    response = client.get(JULY)
    assignment = assignment_of(world, 27, community_one)
    target = rate_target(world, 27)
    form = next(f for f in page_forms(response) if f.assignment == assignment)

    assert form[f"t{target.pk}_denominator"].value() == 2
    assert form.fields[f"t{target.pk}_denominator_reason"].label == "与登记数不同的原因"
    assert "登记数 2" in response.content.decode()


def test_a_different_figure_without_a_reason_is_refused_at_the_field_and_kept(
    client: Client, world: Checklist, community_one: Community, community_one_staff: User
) -> None:
    client.force_login(community_one_staff)
    response = client.get(JULY)
    assignment = assignment_of(world, 27, community_one)
    target = rate_target(world, 27)
    data = form_data(response)
    data[field(assignment, target, "numerator")] = "3"
    data[field(assignment, target, "denominator")] = "7"

    response = client.post(JULY, data)

    assert response.status_code == 400
    form = next(f for f in page_forms(response) if f.assignment == assignment)
    assert form.errors[f"t{target.pk}_denominator_reason"] == [
        "分母(7)与登记数(2)不同,请写明原因。"
    ]
    assert form[f"t{target.pk}_denominator"].value() == "7"
    assert not ProgressReport.objects.filter(assignment=assignment).exists()


def test_a_different_figure_with_a_reason_is_stored_and_shown_to_the_reviewer(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    housing_staff: User,
) -> None:
    client.force_login(community_one_staff)
    response = client.get(JULY)
    assignment = assignment_of(world, 7, community_one)
    target = rate_target(world, 7)
    data = form_data(response)
    data[field(assignment, target, "numerator")] = "3"
    data[field(assignment, target, "denominator")] = "3"
    data[field(assignment, target, "denominator_reason")] = "二号小区业委会已于7月成立,登记尚未更新"
    assert client.post(JULY, data).status_code == 302

    value = TargetValue.objects.get(report__assignment=assignment, target=target)
    assert (value.denominator, value.denominator_registered) == (3, 1)
    assert value.denominator_reason == "二号小区业委会已于7月成立,登记尚未更新"
    assert value.differs_from_register
    report = progress_report_submit(report=value.report, by=community_one_staff)

    # Item 7 (业委会规范运作率) is led by 房管所, whose staff review it.
    client.force_login(housing_staff)
    page = client.get(f"/reports/{report.pk}/").content.decode()
    assert "与登记数(1)不同" in page
    assert "二号小区业委会已于7月成立,登记尚未更新" in page
    queue = client.get("/review/").content.decode()
    assert "与登记数(1)不同" in queue
    assert "二号小区业委会已于7月成立,登记尚未更新" in queue


def test_the_registered_figure_needs_no_reason_and_keeps_none(
    world: Checklist, community_one: Community, community_one_staff: User
) -> None:
    assignment = assignment_of(world, 27, community_one)
    target = rate_target(world, 27)
    report = progress_report_save(
        assignment=assignment,
        year=2017,
        month=7,
        by=community_one_staff,
        status=ProgressReport.Status.IN_PROGRESS,
        narrative="",
        values={target.pk: ValueInput(numerator=1, denominator=2, denominator_reason="多余")},
        version=None,
    )
    value = report.values.get(target=target)
    assert (value.denominator_registered, value.denominator_reason) == (2, "")
    assert not value.differs_from_register


def test_the_service_refuses_a_different_figure_without_a_reason(
    world: Checklist, community_one: Community, community_one_staff: User
) -> None:
    assignment = assignment_of(world, 27, community_one)
    target = rate_target(world, 27)
    with pytest.raises(ValidationError) as refused:
        progress_report_save(
            assignment=assignment,
            year=2017,
            month=7,
            by=community_one_staff,
            status=ProgressReport.Status.IN_PROGRESS,
            narrative="",
            values={target.pk: ValueInput(numerator=1, denominator=7)},
            version=None,
        )
    assert refused.value.message_dict == {
        value_field(target, "denominator_reason"): [
            "指标““礼乐文明网上行”培训小区覆盖率”的分母(7)与登记数(2)不同,请写明原因。"
        ]
    }


def test_the_demo_reports_the_registered_numbers(demo_street: Checklist) -> None:
    community = Community.objects.get(name="示例社区一")
    values = TargetValue.objects.filter(
        report__assignment__community=community, denominator__isnull=False
    ).exclude(target__denominator_source="")
    assert values.exists()
    for value in values.select_related("target"):
        expected = value.target.registered_denominator(community)
        assert value.denominator == expected, value.target
        assert value.denominator_registered == expected


# -- (b) a numerator above its denominator ------------------------------------------


def test_the_service_refuses_a_numerator_above_its_denominator(
    world: Checklist, community_one: Community, community_one_staff: User
) -> None:
    assignment = assignment_of(world, 2, community_one)
    target = rate_target(world, 2)
    with pytest.raises(ValidationError) as refused:
        progress_report_save(
            assignment=assignment,
            year=2017,
            month=7,
            by=community_one_staff,
            status=ProgressReport.Status.IN_PROGRESS,
            narrative="",
            values={target.pk: ValueInput(numerator=5, denominator=3)},
            version=None,
        )
    assert "分子(5)不能大于分母(3)" in str(refused.value)
    assert not ProgressReport.objects.filter(assignment=assignment).exists()


def test_the_form_refuses_a_numerator_above_its_denominator_at_the_field(
    world: Checklist, community_one: Community
) -> None:
    assignment = assignment_of(world, 2, community_one)
    target = rate_target(world, 2)
    prefix = f"a{assignment.pk}-"
    form = ReportForm(
        {
            f"{prefix}status": ProgressReport.Status.IN_PROGRESS,
            f"{prefix}evidence_kind": "photo",
            f"{prefix}t{target.pk}_numerator": "5",
            f"{prefix}t{target.pk}_denominator": "3",
        },
        assignment=assignment,
        report=None,
        month=7,
    )
    assert not form.is_valid()
    assert form.errors[f"t{target.pk}_numerator"] == ["分子(5)不能大于分母(3)。"]


# -- (c) a deadline met with approved evidence stays met -----------------------------


@pytest.fixture
def item_15_met_in_july(
    world: Checklist, housing_office: Unit, housing_staff: User, party_building_staff: User
) -> ProgressReport:
    """房管所's July report of item 15 (6月底前), done on 28 June, approved."""
    assignment = assignment_of(world, 15, housing_office)
    target = assignment.targets()[0]
    report = progress_report_save(
        assignment=assignment,
        year=2017,
        month=7,
        by=housing_staff,
        status=ProgressReport.Status.COMPLETED,
        narrative="",
        values={target.pk: ValueInput(achieved_on=datetime.date(2017, 6, 28))},
        version=None,
    )
    report = progress_report_submit(report=report, by=housing_staff)
    return progress_report_approve(report=report, by=party_building_staff)


def _save_august(assignment: Assignment, by: User, achieved_on: datetime.date | None) -> Any:
    target = assignment.targets()[0]
    return progress_report_save(
        assignment=assignment,
        year=2017,
        month=8,
        by=by,
        status=ProgressReport.Status.COMPLETED,
        narrative="",
        values={target.pk: ValueInput(achieved_on=achieved_on)},
        version=None,
    )


@pytest.mark.parametrize("achieved_on", [None, datetime.date(2017, 7, 15)])
def test_a_later_report_cannot_undo_an_approved_deadline(
    item_15_met_in_july: ProgressReport,
    housing_staff: User,
    achieved_on: datetime.date | None,
) -> None:
    assignment = item_15_met_in_july.assignment
    target = assignment.targets()[0]
    with time_travel(2017, 9, 4), pytest.raises(ValidationError) as refused:
        _save_august(assignment, housing_staff, achieved_on)
    assert refused.value.message_dict == {
        value_field(target, "achieved_on"): [
            "指标“城市综合管理中心机构运行落实”已于2017-06-28完成,7月月报已审核通过;"
            "不能清空完成日期或改为更晚的日期。如需更正,请街道管理员先重新打开该月报。"
        ]
    }
    assert not ProgressReport.objects.filter(assignment=assignment, month=8).exists()


def test_a_later_report_may_state_the_approved_date(
    item_15_met_in_july: ProgressReport, housing_staff: User
) -> None:
    with time_travel(2017, 9, 4):
        report = _save_august(
            item_15_met_in_july.assignment, housing_staff, datetime.date(2017, 6, 28)
        )
    assert report.status == ProgressReport.Status.COMPLETED


def test_reopening_the_approved_report_frees_the_date(
    item_15_met_in_july: ProgressReport, housing_staff: User, street_admin: User
) -> None:
    progress_report_reopen(
        report=item_15_met_in_july, by=street_admin, reason="核实后机构运行尚未落实"
    )
    with time_travel(2017, 9, 4):
        report = _save_august(item_15_met_in_july.assignment, housing_staff, None)
    assert report.values.get().achieved_on is None


def test_the_form_prefills_the_approved_date_and_refuses_clearing_it(
    item_15_met_in_july: ProgressReport,
) -> None:
    assignment = item_15_met_in_july.assignment
    target = assignment.targets()[0]
    with time_travel(2017, 9, 4):
        blank = ReportForm(assignment=assignment, report=None, month=8)
        assert blank[f"t{target.pk}_achieved_on"].value() == datetime.date(2017, 6, 28)

        prefix = f"a{assignment.pk}-"
        form = ReportForm(
            {
                f"{prefix}status": ProgressReport.Status.COMPLETED,
                f"{prefix}evidence_kind": "photo",
                f"{prefix}t{target.pk}_achieved_on": "",
            },
            assignment=assignment,
            report=None,
            month=8,
        )
        assert not form.is_valid()
    assert "已于2017-06-28完成" in form.errors[f"t{target.pk}_achieved_on"][0]


def test_the_workspace_shows_the_refusal_at_the_field(
    client: Client, item_15_met_in_july: ProgressReport, housing_staff: User
) -> None:
    assignment = item_15_met_in_july.assignment
    target = assignment.targets()[0]
    august = "/workspace/?year=2017&month=8"
    with time_travel(2017, 9, 4):
        client.force_login(housing_staff)
        data = form_data(client.get(august))
        data[field(assignment, target, "achieved_on")] = "2017-08-20"
        response = client.post(august, data)
    assert response.status_code == 400
    form = next(f for f in page_forms(response) if f.assignment == assignment)
    (message,) = form.errors[f"t{target.pk}_achieved_on"]
    assert "不能清空完成日期或改为更晚的日期" in str(message)


# -- (d) the month being filed is a month owed --------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (datetime.date(2017, 7, 10), (2017, 7)),  # June is not owed: July
        (datetime.date(2017, 9, 4), (2017, 8)),
        (datetime.date(2018, 1, 3), (2017, 12)),
        (datetime.date(2026, 12, 1), (2017, 12)),  # the latest checklist's last month
    ],
)
def test_the_month_being_filed_is_one_owed(
    world: Checklist, today: datetime.date, expected: tuple[int, int]
) -> None:
    assert Checklist.being_filed(today) == expected
    assert world.month_being_filed(today) == expected[1]


@pytest.mark.parametrize(
    ("day", "expected"), [((2017, 7, 10), (2017, 7)), ((2026, 12, 1), (2017, 12))]
)
def test_the_workspace_opens_on_a_month_owed(
    client: Client,
    world: Checklist,
    community_one_staff: User,
    day: tuple[int, int, int],
    expected: tuple[int, int],
) -> None:
    with time_travel(*day):
        client.force_login(community_one_staff)
        response = client.get("/workspace/")
    assert response.status_code == 200
    assert (response.context["year"], response.context["month"]) == expected
