"""Two people, or one impatient double click, on the same month's reports: nobody's work
is silently overwritten, nothing is submitted twice, and the loser is told why."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client

from communities.models import Community
from communities.roles import Role
from communities.services import membership_add
from tasks.models import Assignment, Checklist, ProgressReport, ReportTransition, TargetValue
from tasks.services import ConcurrentEditError, ValueInput, progress_report_save
from tests.conftest import PASSWORD, assignment_of
from tests.filing import (
    JULY,
    field,
    file_report,
    fill_every_target,
    form_data,
    page_forms,
)
from tests.races import race


@pytest.fixture
def colleague(world: Checklist, community_one: Community) -> User:
    """A second worker of 示例社区一, filing the same reports."""
    user = User.objects.create_user("one-colleague", password=PASSWORD)
    user.groups.add(Group.objects.get(name=Role.COMMUNITY_STAFF))
    membership_add(user=user, community=community_one)
    return user


def _rate(assignment: Assignment) -> tuple[int | None, int | None]:
    value = TargetValue.objects.get(report__assignment=assignment, report__month=7)
    return value.numerator, value.denominator


def test_the_second_of_two_people_saving_the_same_draft_is_told_and_keeps_what_they_typed(
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    colleague: User,
    august_3rd_2017: Any,
) -> None:
    item_1 = assignment_of(world, 1, community_one)
    [target] = item_1.targets()
    file_report(item_1, community_one_staff)  # the draft both open, version 1
    first, second = Client(), Client()
    first.force_login(community_one_staff)
    second.force_login(colleague)
    first_data = form_data(first.get(JULY))
    second_data = form_data(second.get(JULY))
    assert first_data[f"a{item_1.pk}-version"] == second_data[f"a{item_1.pk}-version"] == "1"

    first_data[field(item_1, target, "numerator")] = "3"
    assert first.post(JULY, first_data).status_code == 302
    second_data[field(item_1, target, "numerator")] = "5"
    response = second.post(JULY, second_data)

    assert response.status_code == 400
    page = response.content.decode()
    assert "这份月报在您编辑期间已被他人修改或提交,请刷新页面查看最新内容后再操作。" in page
    [form] = [form for form in page_forms(response) if form.assignment == item_1]
    assert "已被他人修改" in form.non_field_errors()[0]
    assert form[f"t{target.pk}_numerator"].value() == "5"
    assert _rate(item_1) == (3, 10)
    assert ProgressReport.objects.get(assignment=item_1).version == 2


def test_the_second_of_two_people_creating_the_same_report_is_told(
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    colleague: User,
    august_3rd_2017: Any,
) -> None:
    item_1 = assignment_of(world, 1, community_one)
    [target] = item_1.targets()
    first, second = Client(), Client()
    first.force_login(community_one_staff)
    second.force_login(colleague)
    first_data, second_data = form_data(first.get(JULY)), form_data(second.get(JULY))
    first_data[field(item_1, target, "numerator")] = "3"
    first_data[field(item_1, target, "denominator")] = "10"
    second_data[field(item_1, target, "numerator")] = "5"
    second_data[field(item_1, target, "denominator")] = "10"

    assert first.post(JULY, first_data).status_code == 302
    response = second.post(JULY, second_data)

    assert response.status_code == 400
    assert "已被他人修改" in response.content.decode()
    assert ProgressReport.objects.filter(assignment=item_1).count() == 1
    assert _rate(item_1) == (3, 10)


def test_a_double_posted_submit_submits_each_report_once(
    client: Client, world: Checklist, community_one_staff: User, august_3rd_2017: Any
) -> None:
    client.force_login(community_one_staff)
    page = client.get(JULY)
    data = fill_every_target(page, form_data(page, "submit"))

    first = client.post(JULY, data, follow=True)
    second = client.post(JULY, data, follow=True)

    assert "已提交 36 份月报" in first.content.decode()
    assert second.redirect_chain == [(JULY, 302)]
    assert [(m.level_tag, str(m)) for m in second.context["messages"]] == [
        ("info", "本月没有可以修改的月报(可能已经全部提交)。")
    ]
    reports = ProgressReport.objects.filter(year=2017, month=7)
    assert reports.count() == 36
    assert set(reports.values_list("workflow_state", flat=True)) == {"submitted"}
    for report in reports:
        assert report.transitions.filter(to_state="submitted").count() == 1
    assert ReportTransition.objects.count() == 36


def test_saving_a_report_someone_created_after_the_form_was_built_is_a_concurrent_edit(
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    colleague: User,
    august_3rd_2017: Any,
) -> None:
    item_1 = assignment_of(world, 1, community_one)
    [target] = item_1.targets()
    # The colleague's form was built when there was no report (version None); the report
    # is created before they save.
    file_report(item_1, community_one_staff)

    with pytest.raises(ConcurrentEditError):
        progress_report_save(
            assignment=item_1,
            year=2017,
            month=7,
            by=colleague,
            status=ProgressReport.Status.IN_PROGRESS,
            narrative="",
            values={target.pk: ValueInput(numerator=1, denominator=2)},
            version=None,
        )

    assert ProgressReport.objects.filter(assignment=item_1).count() == 1
    assert _rate(item_1) == (8, 10)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_saves_creating_the_same_report_at_once_leave_one_report_and_a_concurrent_edit(
    world: Checklist, community_one: Community, august_3rd_2017: Any
) -> None:
    """The race the unique constraint settles: both requests find no report, both insert;
    the second waits on the first's row and, once it commits, gets ConcurrentEditError
    (not IntegrityError, and not a broken transaction)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs two connections that wait on each other's row locks (PostgreSQL)")
    people = []
    for username in ("one-a", "one-b"):
        person = User.objects.create_user(username, password=PASSWORD)
        membership_add(user=person, community=community_one)
        people.append(person)
    item_1 = assignment_of(world, 1, community_one)
    outcome = race(
        lambda: file_report(item_1, people[0]),
        lambda: progress_report_save(
            assignment=item_1,
            year=2017,
            month=7,
            by=people[1],
            status=ProgressReport.Status.IN_PROGRESS,
            narrative="",
            values={},
            version=None,
        ),
    )

    assert isinstance(outcome["first"], ProgressReport)
    assert isinstance(outcome["second"], ConcurrentEditError)
    assert ProgressReport.objects.filter(assignment=item_1).count() == 1
    assert _rate(item_1) == (8, 10)
