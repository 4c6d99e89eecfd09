"""Each kind of target judges a month's reported value by itself (Target.evaluate)."""

from __future__ import annotations

import datetime

import pytest

from tasks.models import Checklist, ProgressReport, Target, TargetValue, evaluate_assignment_month
from tasks.registers import Figure
from tasks.workdays import next_working_day

Verdict = Target.Verdict


def target_of(checklist: Checklist, item_number: int, order: int = 1) -> Target:
    return Target.objects.select_related("item__checklist").get(
        item__checklist=checklist, item__number=item_number, order=order
    )


# Item 8: 业委会组建率 ≥ 90%, due at the end of 2017.


def test_a_rate_exactly_at_the_threshold_is_met(checklist_2017: Checklist) -> None:
    target = target_of(checklist_2017, 8)
    value = TargetValue(numerator=9, denominator=10)
    evaluation = target.evaluate(value, year=2017, month=7)
    assert evaluation.verdict == Verdict.MET
    assert evaluation.measured == "90% (9/10)"


def test_a_rate_just_below_the_threshold_is_on_track_before_the_year_ends(
    checklist_2017: Checklist,
) -> None:
    target = target_of(checklist_2017, 8)
    # 899/1000 = 89.9%: no rounding may lift it to 90%.
    value = TargetValue(numerator=899, denominator=1000)
    assert target.evaluate(value, year=2017, month=11).verdict == Verdict.ON_TRACK


def test_a_rate_below_the_threshold_in_december_is_behind(checklist_2017: Checklist) -> None:
    target = target_of(checklist_2017, 8)
    value = TargetValue(numerator=8, denominator=10)
    assert target.evaluate(value, year=2017, month=12).verdict == Verdict.BEHIND


def test_a_rate_over_no_eligible_compounds_is_met(checklist_2017: Checklist) -> None:
    target = target_of(checklist_2017, 8)
    evaluation = target.evaluate(TargetValue(numerator=0, denominator=0), year=2017, month=12)
    assert evaluation.verdict == Verdict.MET
    assert "无适用对象" in evaluation.explanation


def test_a_rate_with_a_missing_denominator_is_not_reported(checklist_2017: Checklist) -> None:
    target = target_of(checklist_2017, 8)
    value = TargetValue(numerator=3, denominator=None)
    assert target.evaluate(value, year=2017, month=7).verdict == Verdict.NOT_REPORTED


def test_a_low_threshold_rate_is_met_at_fifteen_percent(checklist_2017: Checklist) -> None:
    target = target_of(checklist_2017, 37, order=3)  # 无群租小区挂牌数 ≥ 15% of compounds
    assert target.evaluate(TargetValue(numerator=3, denominator=20), year=2017, month=8).is_met
    assert not target.evaluate(TargetValue(numerator=2, denominator=20), year=2017, month=8).is_met


# Item 11: 不少于5个专业委员会.


def test_a_count_at_the_minimum_is_met(checklist_2017: Checklist) -> None:
    target = target_of(checklist_2017, 11)
    assert target.evaluate(TargetValue(quantity=5), year=2017, month=9).verdict == Verdict.MET


def test_a_count_below_the_minimum_is_on_track_then_behind(checklist_2017: Checklist) -> None:
    target = target_of(checklist_2017, 11)
    value = TargetValue(quantity=4)
    assert target.evaluate(value, year=2017, month=9).verdict == Verdict.ON_TRACK
    assert target.evaluate(value, year=2017, month=12).verdict == Verdict.BEHIND


def test_a_count_of_zero_is_reported_not_missing(checklist_2017: Checklist) -> None:
    target = target_of(checklist_2017, 12)  # 每个社区居委会不少于1个
    assert target.evaluate(TargetValue(quantity=0), year=2017, month=12).verdict == Verdict.BEHIND


# Item 14: street-level joint meeting monthly, community-level every two weeks.


def test_a_fortnightly_meeting_needs_two_in_a_month(checklist_2017: Checklist) -> None:
    target = target_of(checklist_2017, 14, order=2)
    assert target.period == Target.Period.FORTNIGHT
    assert target.required_occurrences(2017, 7) == 2


def test_a_monthly_meeting_needs_one_even_in_february(checklist_2017: Checklist) -> None:
    target = target_of(checklist_2017, 14, order=1)
    assert target.level == Target.Level.STREET
    assert target.required_occurrences(2017, 2) == 1


def test_a_weekly_contact_needs_four_in_any_month(checklist_2017: Checklist) -> None:
    target = target_of(checklist_2017, 16)
    assert target.required_occurrences(2017, 2) == 4
    assert target.required_occurrences(2017, 7) == 4


def test_a_frequency_target_is_judged_from_the_register_never_from_a_typed_count(
    checklist_2017: Checklist,
) -> None:
    # The meeting register gives the figure (``tasks.registers``); a typed count is
    # ignored (tests/test_meetings_single_source.py checks the whole path).
    target = target_of(checklist_2017, 16)
    assert target.is_judged_from_register
    typed = TargetValue(quantity=9)
    assert target.evaluate(typed, year=2017, month=7).verdict == Verdict.NOT_REPORTED
    figure = Figure(verdict=Verdict.BEHIND, measured="3/4 次", explanation="本月已开展 3 次")
    evaluation = target.evaluate(typed, year=2017, month=7, figure=figure)
    assert (evaluation.verdict, evaluation.measured) == (Verdict.BEHIND, "3/4 次")


# Item 15: 6月底前.


def test_a_deadline_done_on_the_day_is_met(checklist_2017: Checklist) -> None:
    target = target_of(checklist_2017, 15)
    value = TargetValue(achieved_on=datetime.date(2017, 6, 30))
    assert target.evaluate(value, year=2017, month=6).verdict == Verdict.MET


def test_a_deadline_done_a_day_late_is_behind(checklist_2017: Checklist) -> None:
    target = target_of(checklist_2017, 15)
    value = TargetValue(achieved_on=datetime.date(2017, 7, 1))
    assert target.evaluate(value, year=2017, month=7).verdict == Verdict.BEHIND


def test_a_deadline_not_done_is_on_track_until_its_month_ends(checklist_2017: Checklist) -> None:
    target = target_of(checklist_2017, 15)
    value = TargetValue(achieved_on=None)
    assert target.evaluate(value, year=2017, month=5).verdict == Verdict.ON_TRACK
    assert target.evaluate(value, year=2017, month=6).verdict == Verdict.BEHIND


def test_item_27_is_due_within_the_year(checklist_2017: Checklist) -> None:
    target = target_of(checklist_2017, 27)
    assert target.stated_deadline == datetime.date(2017, 12, 31)
    assert target.deadline == next_working_day(target.stated_deadline)  # 2 January 2018
    half = TargetValue(numerator=5, denominator=10)
    assert target.evaluate(half, year=2017, month=11).verdict == Verdict.ON_TRACK
    assert target.evaluate(half, year=2017, month=12).verdict == Verdict.BEHIND


# Item 37: 新增违建零增长.


def test_zero_growth_is_met_only_at_zero(checklist_2017: Checklist) -> None:
    target = target_of(checklist_2017, 37, order=1)
    assert target.kind == Target.Kind.ZERO_GROWTH
    assert target.evaluate(TargetValue(quantity=0), year=2017, month=8).verdict == Verdict.MET
    assert target.evaluate(TargetValue(quantity=1), year=2017, month=8).verdict == Verdict.BEHIND


# Items 24–36 mostly: done, with evidence.


def test_a_milestone_is_met_when_done(checklist_2017: Checklist) -> None:
    target = target_of(checklist_2017, 24)
    assert target.kind == Target.Kind.MILESTONE
    assert target.evaluate(TargetValue(is_done=True), year=2017, month=8).verdict == Verdict.MET
    not_done = TargetValue(is_done=False)
    assert target.evaluate(not_done, year=2017, month=8).verdict == Verdict.ON_TRACK
    assert target.evaluate(not_done, year=2017, month=12).verdict == Verdict.BEHIND
    assert target.evaluate(TargetValue(), year=2017, month=8).verdict == Verdict.NOT_REPORTED


@pytest.mark.parametrize("item_number", [1, 11, 14, 15, 24, 37, 40])
def test_no_value_at_all_is_not_reported(checklist_2017: Checklist, item_number: int) -> None:
    for target in Target.objects.filter(item__checklist=checklist_2017, item__number=item_number):
        assert target.evaluate(None, year=2017, month=8).verdict == Verdict.NOT_REPORTED


def test_a_report_is_judged_on_each_of_its_targets(world: Checklist) -> None:
    assignment = world.items.get(number=18).assignments.get(community__name="示例社区一")
    report = ProgressReport.objects.create(assignment=assignment, year=2017, month=8)
    disclosure, inspection = assignment.item.targets.order_by("order")
    TargetValue.objects.create(report=report, target=disclosure, numerator=1, denominator=1)
    TargetValue.objects.create(report=report, target=inspection, numerator=0, denominator=1)

    report = ProgressReport.objects.with_values().get(pk=report.pk)
    verdicts = [evaluation.verdict for evaluation in report.evaluate()]

    assert verdicts == [Verdict.MET, Verdict.ON_TRACK]
    assert not report.meets_all_targets()


def test_a_month_without_a_report_is_not_reported_for_every_target(world: Checklist) -> None:
    assignment = world.items.get(number=40).assignments.get(community__name="示例社区二")
    evaluations = evaluate_assignment_month(assignment, None, year=2017, month=8)
    assert [e.verdict for e in evaluations] == [Verdict.NOT_REPORTED] * 3


def test_the_database_refuses_a_numerator_above_the_denominator(world: Checklist) -> None:
    from django.db import IntegrityError, transaction

    assignment = world.items.get(number=8).assignments.first()
    assert assignment is not None
    report = ProgressReport.objects.create(assignment=assignment, year=2017, month=8)
    with pytest.raises(IntegrityError), transaction.atomic():
        TargetValue.objects.create(
            report=report, target=assignment.item.targets.get(), numerator=5, denominator=4
        )
