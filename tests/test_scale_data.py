"""``manage.py generate_scale_data``: synthetic communities, their compounds and staff,
their assignments, the meetings of their recurring duties and months of progress reports,
for benchmarks; the data holds one truth (``manage.py consistency --check``)."""

from __future__ import annotations

import datetime
from collections import Counter
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from communities import access
from communities.models import Community, Membership, Unit
from communities.roles import Role
from demo.scale_data import DEFAULT_PASSWORD, generated_communities, generated_users
from meetings.compliance import year_compliance
from meetings.models import Meeting
from tasks.models import Assignment, Checklist, Item, ProgressReport, Target, TargetValue
from tests.conftest import frequency_duty, held_meeting

State = ProgressReport.WorkflowState
Status = ProgressReport.Status


def generate(**options: Any) -> str:
    out = StringIO()
    call_command(
        "generate_scale_data",
        communities=options.pop("communities", 3),
        through_month=options.pop("through_month", 9),
        seed=options.pop("seed", 1),
        stdout=out,
        **options,
    )
    return out.getvalue()


@pytest.fixture
def generated(db: None) -> str:
    """Three communities and the reports of July to September 2017, the first months the
    2017 checklist owes (it takes effect on 28 June; the command loads it itself); the
    command's output."""
    return generate()


def generated_reports() -> Any:
    """The generated communities' reports and the units' reports generated staff filed."""
    return ProgressReport.objects.filter(
        assignment__community__in=generated_communities()
    ) | ProgressReport.objects.filter(submitted_by__in=generated_users())


def fingerprint() -> dict[str, list[Any]]:
    """Everything a seed decides, without primary keys or creation times."""
    party = ("assignment__community__code", "assignment__unit__name", "assignment__item__number")
    return {
        "communities": list(generated_communities().order_by("code").values_list("code", "name")),
        "compounds": list(
            generated_communities()
            .order_by("code", "compounds__name")
            .values_list(
                "code",
                "compounds__name",
                "compounds__address",
                "compounds__households",
                "compounds__property_manager",
                "compounds__has_owners_committee",
            )
        ),
        "users": list(generated_users().order_by("username").values_list("username", "first_name")),
        "assignments": list(
            Assignment.objects.filter(community__in=generated_communities())
            .order_by("community__code", "item__number")
            .values_list("community__code", "item__number")
        ),
        "reports": list(
            generated_reports()
            .order_by(*party, "assignment__is_street_level", "month")
            .values_list(
                *party,
                "assignment__is_street_level",
                "month",
                "workflow_state",
                "status",
                "narrative",
                "first_submitted_at",
                "submitted_at",
                "submitted_by__username",
                "reviewed_at",
                "reviewed_by__username",
                "review_comment",
                "version",
            )
        ),
        "values": list(
            TargetValue.objects.filter(report__in=generated_reports())
            .order_by(*(f"report__{field}" for field in party), "report__month", "target__pk")
            .values_list(
                *(f"report__{field}" for field in party),
                "report__month",
                "target__title",
                "numerator",
                "denominator",
                "quantity",
                "achieved_on",
                "is_done",
            )
        ),
        "meetings": list(
            generated_meetings()
            .order_by("community__code", "target__pk", "starts_at")
            .values_list(
                "community__code",
                "target__title",
                "state",
                "starts_at",
                "place",
                "topics",
                "minutes",
                "recorded_by__username",
            )
        ),
    }


def generated_meetings() -> Any:
    """The generated communities' meetings and the street's a generated account recorded."""
    return Meeting.objects.filter(community__in=generated_communities()) | Meeting.objects.filter(
        recorded_by__in=generated_users()
    )


def consistency() -> str:
    out = StringIO()
    call_command("consistency", "--check", stdout=out)
    return out.getvalue()


def test_it_creates_named_communities_with_compounds(generated: str) -> None:
    communities = list(generated_communities().order_by("code"))
    assert [c.code for c in communities] == ["SYN-00001", "SYN-00002", "SYN-00003"]
    assert all(c.name.endswith("居委会") for c in communities)
    assert len({c.name for c in communities}) == 3
    for community in communities:
        compounds = list(community.compounds.all())
        assert 3 <= len(compounds) <= 15
        assert all(c.households > 0 for c in compounds)
        assert all(c.is_eligible_for_owners_committee for c in compounds if c.has_owners_committee)


def test_it_gives_each_community_two_staff_with_their_permission(generated: str) -> None:
    for community in generated_communities():
        staff = User.objects.filter(memberships__community=community)
        assert staff.count() == 2
        for user in staff:
            assert user.groups.filter(name=Role.COMMUNITY_STAFF).exists()
            assert user.has_perm(f"communities.{access.FILE_REPORTS}", community)
    # The reviewers: two staff for each of the 18 units, who review the items they lead.
    for unit in Unit.objects.all():
        staff = User.objects.filter(memberships__unit=unit, username__startswith="syn-")
        assert staff.count() == 2
        assert all(user.has_perm(f"communities.{access.REVIEW_REPORTS}", unit) for user in staff)
    assert generated_users().count() == 3 * 2 + 18 * 2 + 2  # and a street admin and a leader
    assert Membership.objects.filter(user__in=generated_users()).count() == 3 * 2 + 18 * 2


def test_each_community_has_about_forty_assignments(generated: str) -> None:
    every_community = Item.objects.filter(responsible_scope=Item.Scope.ALL_COMMUNITIES).count()
    assert every_community == 36
    for community in generated_communities():
        assert every_community <= community.assignments.count() <= every_community + 2


def test_each_month_has_a_mix_of_states_and_some_reports_missing(generated: str) -> None:
    assignments = Assignment.objects.filter(community__in=generated_communities()).count()
    reports = ProgressReport.objects.filter(assignment__community__in=generated_communities())
    states = {
        month: Counter(reports.filter(month=month).values_list("workflow_state", flat=True))
        for month in (7, 8, 9)
    }
    # Only the months owed: none before the checklist takes effect, none after September.
    assert not reports.filter(month__lt=7).exists()
    assert not reports.filter(month__gt=9).exists()
    # Most reports are approved; September, the latest month, has many still waiting for
    # review or being written.
    assert states[7][State.APPROVED] > 0.8 * assignments
    assert states[8][State.APPROVED] > 0.7 * assignments
    assert set(states[9]) == set(State)
    assert states[9][State.SUBMITTED] > states[7][State.SUBMITTED]
    assert states[9][State.DRAFT] > states[7][State.DRAFT]
    missing = 3 * assignments - reports.count()
    assert 0 < missing < 0.15 * 3 * assignments
    # The units' own assignments (item 30 for every unit, item 15 for two, the
    # street-level targets of items 3 and 14) have their reports too.
    unit_reports = ProgressReport.objects.filter(assignment__unit__isnull=False)
    assert unit_reports.filter(month=7).count() > 15


def test_a_reports_status_and_dates_agree_with_its_figures(generated: str) -> None:
    reports = list(generated_reports().with_values().select_related("submitted_by"))
    late = 0
    for report in reports:
        # A target judged from the meeting register (frequency) is judged from the
        # meetings the generator recorded, and the stored status follows the register's
        # verdict like every other.
        evaluations = report.evaluate()
        assert Target.Verdict.NOT_REPORTED not in {
            e.verdict for e in evaluations if not e.target.is_judged_from_register
        }
        verdicts = {e.verdict for e in evaluations if e.verdict != Target.Verdict.NOT_REPORTED}
        assert (report.status == Status.LAGGING) == (Target.Verdict.BEHIND in verdicts)
        if report.status == Status.COMPLETED:
            assert verdicts == {Target.Verdict.MET}
        assert report.narrative
        if report.workflow_state == State.DRAFT:
            assert report.first_submitted_at is None and report.submitted_by is None
            continue
        assert report.first_submitted_at is not None
        assert report.submitted_at is not None and report.submitted_at >= report.first_submitted_at
        if report.workflow_state in (State.APPROVED, State.RETURNED):
            assert report.reviewed_by is not None
            assert report.reviewed_at is not None and report.reviewed_at > report.submitted_at
            lead_units = [link.unit for link in report.assignment.item.lead_unit_links.all()]
            assert report.reviewed_by.memberships.get().unit in lead_units
        else:
            assert report.reviewed_by is None
        assert (report.workflow_state == State.RETURNED) == bool(report.review_comment)
        late += report.is_late(report.filing_deadline)
    assert 0 < late < 0.3 * len(reports)


def test_the_generated_data_holds_one_truth(generated: str) -> None:
    # Summary tables and reports, months owed, statuses and targets, the meeting register
    # and the reports: no disagreement (the command exits non-zero on one).
    assert "2017年度:0 处不一致" in consistency()


def test_the_recurring_duties_are_recorded_as_meetings_held(generated: str) -> None:
    checklist = Checklist.objects.get(year=2017)
    meetings = generated_meetings()
    assert "会议记录 " in generated
    assert not meetings.exclude(state=Meeting.State.HELD).exists()
    for community in generated_communities():
        held = Counter(
            meetings.filter(community=community).values_list("target__item__number", flat=True)
        )
        # July to September: a monthly decision meeting (item 3), a fortnightly joint
        # meeting (14) and a weekly contact with 城管 (16), a lapse or two aside.
        assert 2 <= held[3] <= 3
        assert 5 <= held[14] <= 10
        assert 10 <= held[16] <= 19
    street = meetings.filter(community__isnull=True)
    assert set(street.values_list("target", flat=True)) == {
        frequency_duty(checklist, 14, street=True).pk
    }
    assert street.count() == 3
    for meeting in meetings.prefetch_related("attendees"):
        assert meeting.held_on.weekday() < 5
        assert meeting.recorded_by in meeting.attendees.all()
        assert meeting.topics and meeting.minutes and meeting.place


def test_most_parties_keep_their_duties_and_a_few_fall_behind(db: None) -> None:
    generate(communities=10, through_month=12)
    checklist = Checklist.objects.get(year=2017)
    judged = year_compliance(
        checklist=checklist, months=checklist.months_owed(), today=datetime.date(2018, 1, 10)
    )
    behind_parties = {party for (_duty, party, _month), cell in judged.items() if not cell.is_met}
    met = sum(cell.is_met for cell in judged.values())
    assert len(judged) == (10 * 3 + 1) * 6  # three duties a community, one the street's
    assert 0.85 < met / len(judged) < 1
    assert 1 <= len(behind_parties) <= 5
    assert "2017年度:0 处不一致" in consistency()


def test_the_street_s_own_meetings_are_its_record(world: Checklist, street_admin: User) -> None:
    # The street held its July joint meeting (as the demo records it), none after.
    street_duty = frequency_duty(world, 14, street=True)
    held_meeting(street_duty, None, 7, 20, street_admin)
    generate(communities=1)

    assert list(Meeting.objects.filter(community__isnull=True)) == [
        Meeting.objects.get(recorded_by=street_admin)
    ]
    verdicts = {
        report.month: next(e.verdict for e in report.evaluate() if e.target == street_duty)
        for report in ProgressReport.objects.filter(
            assignment__item__number=14, assignment__is_street_level=True
        ).with_values()
    }
    assert verdicts
    expected = {7: Target.Verdict.MET, 8: Target.Verdict.BEHIND, 9: Target.Verdict.BEHIND}
    assert verdicts == {month: expected[month] for month in verdicts}
    assert "2017年度:0 处不一致" in consistency()


def test_the_figures_improve_over_the_year(db: None) -> None:
    generate(communities=2, through_month=12)
    values = TargetValue.objects.filter(
        report__assignment__community__in=generated_communities(), target__kind=Target.Kind.RATE
    )
    rate = {
        month: sum(v.numerator or 0 for v in values.filter(report__month=month))
        / sum(v.denominator or 0 for v in values.filter(report__month=month))
        for month in (7, 12)
    }
    assert not values.filter(report__month__lt=7).exists()
    assert rate[7] < rate[12]
    december = list(
        ProgressReport.objects.filter(
            assignment__community__in=generated_communities(), month=12
        ).with_values()
    )
    met = [e.is_met for report in december for e in report.evaluate()]
    assert 0.6 < sum(met) / len(met) < 0.98  # most met by the end of the year, not all


def test_every_generated_community_worker_can_log_in_and_open_the_workspace(
    generated: str, client: Client
) -> None:
    for user in User.objects.filter(memberships__community__in=generated_communities()):
        response = client.post(
            reverse("login"),
            {"username": user.username, "password": DEFAULT_PASSWORD},
            REMOTE_ADDR="10.0.0.1",
        )
        assert response.status_code == 302, user.username
        response = client.get(reverse("workspace"), {"year": 2017, "month": 9})
        assert response.status_code == 200
        community = Community.objects.get(memberships__user=user)
        assert list(response.context["groups"]) == [community.name]
        assert len(response.context["groups"][community.name]) >= 36
        client.post(reverse("logout"))


def test_the_same_seed_gives_the_same_data(generated: str) -> None:
    before = fingerprint()
    assert len(before["reports"]) > 300
    generate(replace=True)
    assert fingerprint() == before
    generate(replace=True, seed=2)
    assert fingerprint()["reports"] != before["reports"]


def test_a_smaller_set_is_the_beginning_of_a_larger_one(generated: str) -> None:
    def first_two(data: dict[str, list[Any]]) -> dict[str, list[Any]]:
        codes = {"SYN-00001", "SYN-00002"}
        return {
            key: [row for row in rows if row[0] in codes]
            for key, rows in data.items()
            if key != "users"
        }

    three = first_two(fingerprint())
    generate(communities=2, replace=True)
    assert first_two(fingerprint()) == three


def test_replace_removes_the_earlier_data_first(generated: str) -> None:
    output = generate(communities=2, replace=True)
    assert generated_communities().count() == 2
    assert generated_users().count() == 2 * 2 + 18 * 2 + 2
    assert not ProgressReport.objects.filter(assignment__community__code__in=["SYN-00003"]).exists()
    assert not Meeting.objects.filter(community__code="SYN-00003").exists()
    # The street's meetings recorded by the earlier accounts went with them.
    assert Meeting.objects.filter(community__isnull=True).count() == 3
    assert "已删除之前生成的 3 个社区" in output


def test_it_refuses_to_generate_twice_without_replace(generated: str) -> None:
    with pytest.raises(CommandError, match="SYN-.*3 个.*--replace"):
        generate()
    assert generated_communities().count() == 3


def test_it_reports_progress_and_rebuilds_the_summaries(generated: str) -> None:
    assert "社区 3 个" in generated
    assert "月报:社区 3/3" in generated
    assert "汇总表" in generated


def test_a_checklist_in_force_all_year_gets_january_too(checklist_2017: Any) -> None:
    # As bench/dashboard.py does: in force since 28 December 2016, it owes all twelve months.
    checklist_2017.takes_effect_on = datetime.date(2016, 12, 28)
    checklist_2017.save(update_fields=["takes_effect_on"])
    generate(communities=1, through_month=2)
    months = set(
        ProgressReport.objects.filter(
            assignment__community__in=generated_communities()
        ).values_list("month", flat=True)
    )
    assert months == {1, 2}
