"""The 600-point assessment on a hand-worked July 2017, scored on 20 August.

示例社区一 filed item 8 (业委会组建率 ≥ 90%) and item 7 (≥ 70%) with 8 of 10 compounds,
both approved; held no joint meeting in July. 示例社区二 filed item 7 too, but it was
returned: it has no approved report at all.

| criterion | points | rule | 示例社区一 | 示例社区二 |
| --- | --- | --- | --- | --- |
| item 8's rate | 100 | proportional | 80/90 → 88.89 | 0 |
| item 7's rate | 50 | all or nothing | 80% ≥ 70% → 50 | 0 (returned) |
| item 8 | 100 | bands 100/80/60 → 100/80/50% | 88.9% ≥ 80 → 80 | 0 |
| 群众满意度 | 50 | by hand | 45 | not scored → 0 |
| item 14's fortnightly meetings | 300 | proportional | 0 of 1 month → 0 | 0 |
| adjustments | | | +5, −2.5 | −3 |
| total | 600 | | 266.39 | −3 |
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from io import BytesIO

import openpyxl
import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from assessments.models import Criterion, ManualScore, Scheme, ScoreAdjustment
from assessments.scoring import ScoreSheet, review_records, score_sheets
from communities.models import Community, Unit
from tasks.models import Checklist, ProgressReport, Target
from tasks.services import (
    evidence_add,
    progress_report_approve,
    progress_report_reopen,
    progress_report_return,
    progress_report_save,
    progress_report_submit,
)
from tests.filing import MINIMAL_PDF, complete_values, file_report, time_travel

from .conftest import assignment_of


@pytest.fixture
def scheme(
    world: Checklist,
    community_one: Community,
    community_two: Community,
    community_one_staff: User,
    community_two_staff: User,
    housing_staff: User,
    street_admin: User,
) -> Scheme:
    with time_travel(2017, 8, 3):
        eight = file_report(
            assignment_of(world, 8, community_one), community_one_staff, submit=True
        )
        seven = file_report(
            assignment_of(world, 7, community_one), community_one_staff, submit=True
        )
        returned = file_report(
            assignment_of(world, 7, community_two), community_two_staff, submit=True
        )
    with time_travel(2017, 8, 4):
        progress_report_approve(report=eight, by=housing_staff)
        progress_report_approve(report=seven, by=housing_staff)
        progress_report_return(report=returned, by=housing_staff, comment="数据不全")
    item_7, item_8, item_14 = (world.items.get(number=n) for n in (7, 8, 14))
    scheme = Scheme.objects.create(checklist=world, total_points=600)
    rows = [
        (1, "业委会组建率", 100, None, item_8.targets.get(), Criterion.Rule.PROPORTIONAL, []),
        (2, "物业覆盖率", 50, None, item_7.targets.get(), Criterion.Rule.ALL_OR_NOTHING, []),
        (
            3,
            "业委会组建",
            100,
            item_8,
            None,
            Criterion.Rule.BANDS,
            [[100, 100], [80, 80], [60, 50]],
        ),
        (4, "群众满意度", 50, None, None, Criterion.Rule.MANUAL, []),
        (
            5,
            "社区联席会议",
            300,
            None,
            item_14.targets.get(level=Target.Level.PARTY),
            Criterion.Rule.PROPORTIONAL,
            [],
        ),
    ]
    for order, title, points, item, target, rule, bands in rows:
        Criterion.objects.create(
            scheme=scheme,
            order=order,
            title=title,
            points=points,
            item=item,
            target=target,
            rule=rule,
            bands=bands,
        )
    satisfaction = scheme.criteria.get(order=4)
    ManualScore.objects.create(criterion=satisfaction, community=community_one, points=45)
    for community, adjustment, reason in (
        (community_one, "5", "获评市级美丽家园示范小区"),
        (community_one, "-2.5", "台账不全"),
        (community_two, "-3", "联席会议未按期召开"),
    ):
        ScoreAdjustment.objects.create(
            scheme=scheme,
            community=community,
            points=adjustment,
            reason=reason,
            made_by=street_admin,
        )
    return scheme


def _sheets(scheme: Scheme) -> dict[str, ScoreSheet]:
    with time_travel(2017, 8, 20):
        return {sheet.community.name: sheet for sheet in score_sheets(scheme, month=7)}


def test_each_rule_scores_the_hand_worked_figures(scheme: Scheme) -> None:
    sheets = _sheets(scheme)
    one, two = sheets["示例社区一"], sheets["示例社区二"]

    assert [line.earned for line in one.lines] == [
        Decimal("88.89"),
        Decimal("50"),
        Decimal("80.00"),
        Decimal("45.00"),
        Decimal("0.00"),
    ]
    assert one.lines[0].attainment == Decimal(80) / Decimal(90)
    assert one.lines[4].explanation == "0/1 个月达标"
    assert one.total == Decimal("266.39")
    # No approved report: nothing earned, the reason said; the adjustment still counts.
    assert all(line.earned == 0 for line in two.lines)
    assert two.lines[1].explanation == "无已审核的月报"
    assert two.lines[3].explanation == "尚未评分"
    assert two.total == Decimal("-3")
    assert (one.rank, two.rank) == (1, 2)


def test_a_sheet_adds_up_to_the_total_the_ranking_shows(
    client: Client, scheme: Scheme, leader: User, community_one: Community
) -> None:
    client.force_login(leader)
    with time_travel(2017, 8, 20):
        ranking = client.get("/assessments/?year=2017&month=7").content.decode()
        sheet = client.get(f"/assessments/communities/{community_one.pk}/?year=2017&month=7")
    page = sheet.content.decode()
    earned = [Decimal(v) for v in re.findall(r"data-earned>([-\d.]+)<", page)]
    adjustments = [Decimal(v) for v in re.findall(r"data-adjustment>([-\d.]+)<", page)]
    total_shown = re.search(r"data-total>总分 ([-\d.]+)<", page)
    assert total_shown is not None
    shown_total = Decimal(total_shown.group(1))
    assert sum(earned) + sum(adjustments) == shown_total == Decimal("266.39")
    assert re.search(
        r"示例社区一</a></td><td[^>]*>[\d.]+</td><td[^>]*>[-\d.]+</td>"
        r"<td class=\"number\" data-total>266.39<",
        ranking,
    )
    # Each line links to the report it was earned on.
    assert "/reports/" in page


def test_publishing_freezes_the_scores_and_a_republication_is_recorded(
    client: Client, scheme: Scheme, street_admin: User, world: Checklist, community_one: Community
) -> None:
    client.force_login(street_admin)
    with time_travel(2017, 8, 20):
        response = client.post("/assessments/publish/?year=2017", {"month": "7"})
    assert response.status_code == 302
    published = scheme.publications.get()
    frozen = {s.community.name: s.total for s in published.scores.select_related("community")}
    assert frozen == {"示例社区一": Decimal("266.39"), "示例社区二": Decimal("-3")}

    # Reopening item 8's report takes its points out of the live computation only.
    with time_travel(2017, 8, 21):
        client.force_login(street_admin)  # a new day, a new session
        report = assignment_of(world, 8, community_one).reports.get()
        progress_report_reopen(report=report, by=street_admin, reason="组建率数据有误")
        live = score_sheets(scheme, month=7)
        page = client.get("/assessments/?year=2017").content.decode()
    assert {s.community.name: s.total for s in live}["示例社区一"] == Decimal("97.50")
    assert "266.39" in page and "97.50" not in page  # everyone sees what was published
    assert {s.community.name: s.total for s in published.scores.all()} == frozen

    with time_travel(2017, 8, 21):
        refused = client.post("/assessments/publish/?year=2017", {"month": "7"}, follow=True)
    assert "重新发布时请写明原因" in refused.content.decode()
    assert scheme.publications.count() == 1
    with time_travel(2017, 8, 21):
        client.post("/assessments/publish/?year=2017", {"month": "7", "note": "社区一月报重新打开"})
    again = scheme.publications.get(number=2)
    assert again.note == "社区一月报重新打开"
    assert again.scores.get(community=community_one).total == Decimal("97.50")
    assert published.scores.get(community=community_one).total == Decimal("266.39")


def test_the_admin_refuses_a_scheme_whose_points_do_not_add_up(
    client: Client, scheme: Scheme, street_admin: User
) -> None:
    client.force_login(street_admin)
    criteria = list(scheme.criteria.order_by("order"))
    data = {
        "checklist": scheme.checklist_id,
        "title": scheme.title,
        "total_points": "600",
        "criteria-TOTAL_FORMS": str(len(criteria)),
        "criteria-INITIAL_FORMS": str(len(criteria)),
        "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "1000",
    }
    for index, criterion in enumerate(criteria):
        prefix = f"criteria-{index}-"
        data |= {
            prefix + "id": criterion.pk,
            prefix + "scheme": scheme.pk,
            prefix + "order": criterion.order,
            prefix + "title": criterion.title,
            prefix + "points": str(criterion.points - (10 if index == 0 else 0)),
            prefix + "item": criterion.item_id or "",
            prefix + "target": criterion.target_id or "",
            prefix + "rule": criterion.rule,
            prefix + "bands": "[]" if not criterion.bands else str(criterion.bands),
        }
    response = client.post(f"/admin/assessments/scheme/{scheme.pk}/change/", data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "考核项分值合计 590 分,与总分 600 分不符" in page
    assert scheme.criteria.get(order=1).points == 100


def test_leadership_reads_the_assessment_and_changes_nothing(
    client: Client, scheme: Scheme, leader: User, community_one: Community
) -> None:
    client.force_login(leader)
    with time_travel(2017, 8, 20):
        assert client.get("/assessments/?year=2017").status_code == 200
        assert (
            client.get(f"/assessments/communities/{community_one.pk}/?year=2017").status_code == 200
        )
        export = client.get("/assessments/export/?year=2017&month=7")
        assert client.post("/assessments/publish/?year=2017", {"month": "7"}).status_code == 403
        adjust = client.post(
            f"/assessments/communities/{community_one.pk}/adjust/?year=2017",
            {"points": "10", "reason": "想加分"},
        )
    assert adjust.status_code == 403
    assert not scheme.publications.exists() and scheme.adjustments.count() == 3
    book = openpyxl.load_workbook(BytesIO(export.content))
    ranking = list(book["排名"].iter_rows(values_only=True))
    assert ranking[0] == ("名次", "社区", "考核项得分", "加减分", "总分")
    assert ranking[1][1:] == ("示例社区一", 263.89, 2.5, 266.39)


def test_community_staff_see_their_own_sheet_only(
    client: Client,
    scheme: Scheme,
    community_one_staff: User,
    community_two: Community,
    community_one: Community,
) -> None:
    client.force_login(community_one_staff)
    with time_travel(2017, 8, 20):
        assert (
            client.get(f"/assessments/communities/{community_one.pk}/?year=2017").status_code == 200
        )
        assert (
            client.get(f"/assessments/communities/{community_two.pk}/?year=2017").status_code == 404
        )
        assert client.get("/assessments/?year=2017").status_code == 403


def test_the_street_admin_adjusts_with_a_reason_and_it_is_recorded(
    client: Client, scheme: Scheme, street_admin: User, community_two: Community
) -> None:
    client.force_login(street_admin)
    url = f"/assessments/communities/{community_two.pk}/adjust/?year=2017"
    with time_travel(2017, 8, 20):
        refused = client.post(url, {"points": "4", "reason": " "}, follow=True)
        client.post(url, {"points": "4", "reason": "补报材料齐全"})
        total = {s.community.name: s.total for s in score_sheets(scheme, month=7)}["示例社区二"]
    assert "请写明加减分的理由" in refused.content.decode()
    adjustment = scheme.adjustments.get(reason="补报材料齐全")
    assert (adjustment.points, adjustment.made_by) == (Decimal(4), street_admin)
    assert total == Decimal(1)


def test_rolling_over_copies_the_scheme_and_leaves_2017_scores_as_they_were(
    client: Client, scheme: Scheme, street_admin: User, world: Checklist
) -> None:
    from tasks.services import checklist_roll_over

    with time_travel(2017, 8, 20):
        client.force_login(street_admin)
        client.post("/assessments/publish/?year=2017", {"month": "7"})
        before = [(s.community.name, s.total, s.as_json()) for s in score_sheets(scheme, month=7)]
        published_before = list(scheme.publications.get().scores.values())
        new = checklist_roll_over(source=world, year=2018, by=street_admin)
        after = [(s.community.name, s.total, s.as_json()) for s in score_sheets(scheme, month=7)]

    assert after == before
    assert list(scheme.publications.get().scores.values()) == published_before
    copied = Scheme.objects.get(checklist=new)
    pairs = [
        (c.order, c.title, c.points, c.rule, c.item and c.item.number, c.target and c.target.title)
        for c in copied.criteria.select_related("item", "target")
    ]
    originals = [
        (c.order, c.title, c.points, c.rule, c.item and c.item.number, c.target and c.target.title)
        for c in scheme.criteria.select_related("item", "target")
    ]
    assert pairs == originals
    for c in copied.criteria.select_related("item", "target__item"):
        if c.rule != Criterion.Rule.MANUAL:
            basis = c.item or (c.target.item if c.target else None)
            assert basis is not None and basis.checklist_id == new.pk
    assert not copied.adjustments.exists() and not copied.publications.exists()


def test_the_ranking_costs_the_same_queries_for_more_communities(
    client: Client,
    scheme: Scheme,
    leader: User,
    world: Checklist,
    community_one_staff: User,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    from tasks.services import assignments_generate

    def count() -> int:
        client.force_login(leader)
        # 31: the period picker's checklists are one query
        with time_travel(2017, 8, 20), django_assert_max_num_queries(31) as captured:
            assert client.get("/assessments/?year=2017&month=7").status_code == 200
        return len(captured)

    few = count()
    Community.objects.bulk_create(Community(name=f"扩展社区{n}", order=10 + n) for n in range(5))
    assignments_generate(checklist=world)
    assert count() == few


def test_a_year_without_a_scheme_says_how_to_make_one(
    client: Client, world: Checklist, street_admin: User
) -> None:
    client.force_login(street_admin)
    response = client.get("/assessments/?year=2017")
    assert response.status_code == 404
    assert "还没有考核方案" in response.content.decode()
    assert "/admin/assessments/scheme/add/" in response.content.decode()


def test_a_pillar_criterion_averages_the_items_assigned_to_the_community(
    scheme: Scheme, world: Checklist, community_one: Community
) -> None:
    """宜居·共建 (items 1–12) for 示例社区一: item 7 fully attained (80% ≥ 70%), item 8 at
    80/90, every other item of the pillar assigned to it without an approved report."""
    pillar = world.pillars.get(name="宜居·共建")
    build = Criterion.objects.create(
        scheme=scheme, order=6, title="宜居·共建", points=60, pillar=pillar
    )
    assigned = community_one.assignments.filter(item__pillar=pillar).count()
    attainment = (1 + Decimal(80) / Decimal(90)) / assigned

    line = next(
        line for line in _sheets(scheme)["示例社区一"].lines if line.criterion_id == build.pk
    )

    assert line.attainment == attainment
    assert line.earned == (60 * attainment).quantize(Decimal("0.01"))
    assert "第 7 项 100%" in line.explanation and "第 8 项 89%" in line.explanation


def test_the_community_page_links_its_staff_to_their_score_sheet(
    client: Client, scheme: Scheme, community_one_staff: User, community_one: Community
) -> None:
    client.force_login(community_one_staff)
    with time_travel(2017, 8, 20):
        page = client.get(f"/communities/{community_one.pk}/?year=2017").content.decode()
        sheet = f"/assessments/communities/{community_one.pk}/?year=2017"
        assert sheet in page
        assert client.get(sheet).status_code == 200


def test_a_refused_adjustment_says_why_and_keeps_what_was_typed(
    client: Client, scheme: Scheme, street_admin: User, community_two: Community
) -> None:
    client.force_login(street_admin)
    url = f"/assessments/communities/{community_two.pk}/adjust/?year=2017&live=1"
    with time_travel(2017, 8, 20):
        zero = client.post(url, {"points": "0", "reason": "补报材料齐全"})
        too_much = client.post(url, {"points": "700", "reason": "补报材料齐全"})
        not_a_number = client.post(url, {"points": "两分", "reason": "补报材料齐全"})
    assert [r.status_code for r in (zero, too_much, not_a_number)] == [400, 400, 400]
    assert "加减分不能为 0" in zero.content.decode()
    assert "加减分不能超过总分 600 分" in too_much.content.decode()
    assert "加减分须是数字" in not_a_number.content.decode()
    assert 'value="补报材料齐全"' in zero.content.decode()
    assert scheme.adjustments.count() == 3  # the fixture's, nothing added


def test_a_refused_republication_keeps_the_note(
    client: Client, scheme: Scheme, street_admin: User
) -> None:
    client.force_login(street_admin)
    with time_travel(2017, 8, 20):
        client.post("/assessments/publish/?year=2017", {"month": "7"})
        Criterion.objects.filter(scheme=scheme, order=4).update(points=40)  # adds up to 590
        refused = client.post(
            "/assessments/publish/?year=2017&live=1", {"month": "7", "note": "补录满意度"}
        )
    page = refused.content.decode()
    assert refused.status_code == 400
    assert "考核项分值合计 590 分,与总分 600 分不符" in page
    assert "补录满意度</textarea>" in page
    assert scheme.publications.count() == 1


def test_an_accepted_exception_counted_done_gives_full_attainment_and_says_why(
    scheme: Scheme,
    community_one: Community,
    community_two: Community,
    community_one_staff: User,
    community_two_staff: User,
    housing_staff: User,
    autonomy_staff: User,
) -> None:
    """示例社区二 files item 8 at 8 of 10 (推进中) and 示例社区一 item 14 with no meeting held
    (滞后), each asking that 已完成 count; the lead units accept. The score sheet used to
    score the figures all the same (88.89 and 0 of 1 month) while the pages counted the
    items 已完成."""
    world = scheme.checklist
    filed_done = (
        (8, community_two, community_two_staff, "二号小区业委会已选出,备案下月到。"),
        (14, community_one, community_one_staff, "7月联席会议与街道会议合并召开。"),
    )

    def queries() -> tuple[int, dict[str, ScoreSheet]]:
        with CaptureQueriesContext(connection) as captured:
            sheets = _sheets(scheme)
        return len(captured), sheets

    before, sheets = queries()
    assert sheets["示例社区一"].lines[4].explanation == "0/1 个月达标"
    with time_travel(2017, 8, 3):
        reports = []
        for number, community, staff, reason in filed_done:
            assignment = assignment_of(world, number, community)
            values = {  # item 8: 8 of 10 (推进中); item 14: the register's
                pk: replace(value, numerator=8, denominator=10)
                for pk, value in (complete_values(assignment) if number == 8 else {}).items()
            }
            report = progress_report_save(
                assignment=assignment,
                year=2017,
                month=7,
                by=staff,
                status=ProgressReport.Status.COMPLETED,
                narrative="",
                values=values,
                version=None,
                exception_requested=True,
                exception_reason=reason,
            )
            for requirement in assignment.item.evidence_requirements.all():  # for 已完成
                evidence_add(
                    report=report,
                    upload=SimpleUploadedFile(
                        "佐证.pdf", MINIMAL_PDF, content_type="application/pdf"
                    ),
                    kind=requirement.kind,
                    by=staff,
                )
            reports.append(progress_report_submit(report=report, by=staff))
    with time_travel(2017, 8, 4):
        for report, reviewer in zip(reports, (housing_staff, autonomy_staff), strict=True):
            progress_report_approve(report=report, by=reviewer, exception_accepted=True)

    after, sheets = queries()
    assert after == before  # the exceptions come with the reports already read
    one, two = sheets["示例社区一"], sheets["示例社区二"]
    assert two.lines[0].attainment == 1 and two.lines[0].earned == Decimal("100.00")
    assert two.lines[0].explanation == "例外已认可:二号小区业委会已选出,备案下月到。(7月)"
    assert two.lines[2].earned == Decimal("100.00")  # item 8's bands: 100%
    assert two.lines[0].reports == [{"id": reports[0].pk, "label": "7月"}]
    assert one.lines[4].attainment == 1 and one.lines[4].earned == Decimal("300.00")
    assert one.lines[4].explanation == "1/1 个月达标(7月例外已认可:7月联席会议与街道会议合并召开。)"
    assert one.lines[4].reports == [{"id": reports[1].pk, "label": "7月"}]


def test_the_review_record_counts_the_reports_each_lead_unit_reviewed(
    scheme: Scheme, housing_office: Unit
) -> None:
    """房管所 leads items 7 and 8: three reports submitted on 3 August at 10:00 and
    reviewed (two approved, one returned) on 4 August at 10:00, one day each."""
    with time_travel(2017, 8, 20):
        records = {record.unit: record for record in review_records(scheme.checklist)}
    housing = records[housing_office]
    assert (housing.reviewed, housing.median_days, housing.prompt_rate) == (3, 1.0, 100.0)
    assert (housing.waiting, housing.oldest_waiting_days) == (0, 0)
