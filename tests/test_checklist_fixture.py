"""The 2017 checklist fixture reproduces the seed's annex item by item, with its targets."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
import yaml
from django.core.exceptions import ValidationError

from communities.models import Unit
from tasks.models import Checklist, Evidence, EvidenceRequirement, Item, ItemLeadUnit, Target
from tasks.services import checklist_load, checklist_load_file

from .conftest import FIXTURES

SEED = FIXTURES / "source" / "2017_xinchenglu_yijujiayuan_plan.txt"
SEED_LINE = re.compile(
    r"^(?P<number>\d+)、(?P<text>.*)\(牵头单位:(?P<leads>.*?);责任单位:(?P<parties>.*)\)$"
)
PILLAR_RANGES = {1: range(1, 13), 2: range(13, 24), 3: range(24, 31), 4: range(31, 41)}


def seed_lines() -> dict[int, str]:
    """The 40 item lines of the seed's annex (after the line 附件), by number."""
    lines = SEED.read_text(encoding="utf-8").splitlines()
    annex = lines[lines.index("附件") :]
    found = {int(match["number"]): line for line in annex if (match := SEED_LINE.match(line))}
    assert sorted(found) == list(range(1, 41))
    return found


def items_of(checklist: Checklist) -> list[Item]:
    return list(checklist.items.with_details().order_by("number"))


def item_of(checklist: Checklist, number: int) -> Item:
    return checklist.items.with_details().get(number=number)


def test_the_fixture_has_forty_items_in_four_pillars_with_the_seeds_ranges(
    checklist_2017: Checklist,
) -> None:
    assert [item.number for item in items_of(checklist_2017)] == list(range(1, 41))
    pillars = list(checklist_2017.pillars.order_by("number"))
    assert [(pillar.number, pillar.name) for pillar in pillars] == [
        (1, "宜居·共建"),
        (2, "宜居·共治"),
        (3, "宜居·共创"),
        (4, "宜居·共享"),
    ]
    for pillar in pillars:
        numbers = list(pillar.items.order_by("number").values_list("number", flat=True))
        assert numbers == list(PILLAR_RANGES[pillar.number])


def test_every_seed_line_is_reconstructed_exactly_from_its_item(
    checklist_2017: Checklist,
) -> None:
    lines = seed_lines()
    for item in items_of(checklist_2017):
        leads = "、".join(unit.name for unit in item.ordered_lead_units())
        label = item.responsible_parties_label
        rebuilt = f"{item.number}、{item.text}(牵头单位:{leads};责任单位:{label})"
        assert rebuilt == lines[item.number]


def test_item_fifteen_is_assigned_to_the_two_named_units(checklist_2017: Checklist) -> None:
    item = item_of(checklist_2017, 15)
    assert item.responsible_scope == Item.Scope.NAMED_UNITS
    names = {unit.name for unit in item.responsible_units.all()}
    assert names == {"房管所", "城管中队"}


def test_there_are_exactly_the_eighteen_lead_units_the_seed_names(
    checklist_2017: Checklist,
) -> None:
    seed_leads: list[str] = []
    for line in seed_lines().values():
        match = SEED_LINE.match(line)
        assert match is not None
        for name in match["leads"].split("、"):
            if name not in seed_leads:
                seed_leads.append(name)
    lead_units = Unit.objects.filter(led_items__checklist=checklist_2017).distinct()
    assert len(seed_leads) == 18
    assert sorted(lead_units.values_list("name", flat=True)) == sorted(seed_leads)
    assert "社区发展办(安监)" in seed_leads


def test_item_fourteen_keeps_its_legal_reference(checklist_2017: Checklist) -> None:
    item = item_of(checklist_2017, 14)
    assert item.legal_reference == "嘉府办发〔2015〕38号"
    assert item.text.endswith("(嘉府办发〔2015〕38号文)")


@pytest.mark.parametrize(
    ("number", "count"), [(4, 2), (11, 2), (16, 2), (18, 2), (26, 2), (37, 3), (40, 3)]
)
def test_items_with_several_measures_have_one_target_each(
    checklist_2017: Checklist, number: int, count: int
) -> None:
    assert item_of(checklist_2017, number).targets.count() == count


def test_item_fourteen_has_a_monthly_street_and_a_fortnightly_party_meeting(
    checklist_2017: Checklist,
) -> None:
    targets = list(item_of(checklist_2017, 14).targets.order_by("order"))
    assert [(t.kind, t.period, t.level) for t in targets] == [
        (Target.Kind.FREQUENCY, Target.Period.MONTH, Target.Level.STREET),
        (Target.Kind.FREQUENCY, Target.Period.FORTNIGHT, Target.Level.PARTY),
    ]


def test_item_sixteens_completion_rate_is_a_rate_of_one_hundred_percent(
    checklist_2017: Checklist,
) -> None:
    weekly, completion = item_of(checklist_2017, 16).targets.order_by("order")
    assert (weekly.kind, weekly.period) == (Target.Kind.FREQUENCY, Target.Period.WEEK)
    assert (completion.kind, completion.threshold) == (Target.Kind.RATE, Decimal(100))
    assert completion.numerator_label == "按执法事项清单和处置标准流程完成处置的事项数"
    assert completion.denominator_label == "执法事项清单内应处置的事项数"
    assert "完成率100%" in completion.item.text


@pytest.mark.parametrize(
    ("number", "title", "seed_words"),
    [
        (4, "在职党员积极参与社区活动", "积极参与社区活动"),
        (11, "探索建立物业和环境专业委员会", "探索建立物业和环境专业委员会"),
        (26, "内容更新及时且无破损", "内容更新及时且无破损"),
    ],
)
def test_the_seeds_unmeasured_clauses_are_milestones(
    checklist_2017: Checklist, number: int, title: str, seed_words: str
) -> None:
    last = item_of(checklist_2017, number).targets.order_by("order").last()
    assert last is not None
    assert (last.kind, last.title, last.level) == (
        Target.Kind.MILESTONE,
        title,
        Target.Level.PARTY,
    )
    assert seed_words in last.item.text


def test_items_whose_text_names_a_record_require_that_evidence(
    checklist_2017: Checklist,
) -> None:
    required = {
        (requirement.item.number, requirement.kind)
        for requirement in EvidenceRequirement.objects.filter(
            item__checklist=checklist_2017
        ).select_related("item")
    }
    kind = Evidence.Kind
    assert required == {
        (3, kind.MINUTES),
        (9, kind.SIGN_IN_SHEET),
        (10, kind.SIGN_IN_SHEET),
        (13, kind.DOCUMENT),
        (14, kind.MINUTES),
        (26, kind.PHOTO),
        (28, kind.PHOTO),
        (29, kind.DOCUMENT),
    }


def test_reloading_makes_the_requirements_what_the_file_lists(
    checklist_2017: Checklist,
) -> None:
    data = yaml.safe_load((FIXTURES / "checklist_2017.yaml").read_text(encoding="utf-8"))
    items = {item["number"]: item for pillar in data["pillars"] for item in pillar["items"]}
    items[14]["evidence"] = ["minutes", "sign_in_sheet"]
    del items[29]["evidence"]

    checklist_load(data=data)

    def kinds(number: int) -> set[str]:
        return set(
            item_of(checklist_2017, number).evidence_requirements.values_list("kind", flat=True)
        )

    assert kinds(14) == {Evidence.Kind.MINUTES, Evidence.Kind.SIGN_IN_SHEET}
    assert kinds(29) == set()

    items[13]["evidence"] = ["ledger"]
    with pytest.raises(ValidationError, match="第 13 项:未知的佐证材料类型“ledger”"):
        checklist_load(data=data)


def test_item_fifteens_target_is_due_at_the_end_of_june(checklist_2017: Checklist) -> None:
    (target,) = item_of(checklist_2017, 15).targets.all()
    assert target.kind == Target.Kind.DEADLINE
    assert target.due_date is None
    assert target.deadline == datetime.date(2017, 6, 30)


def test_item_twenty_sevens_coverage_is_due_within_the_year(checklist_2017: Checklist) -> None:
    (target,) = item_of(checklist_2017, 27).targets.all()
    assert target.kind == Target.Kind.RATE
    # The date the checklist states; the working-day deadline is in test_working_days.py.
    assert target.stated_deadline == datetime.date(2017, 12, 31)


def test_every_item_has_at_least_one_target(checklist_2017: Checklist) -> None:
    assert all(item.targets.exists() for item in items_of(checklist_2017))


def test_every_rate_threshold_is_the_percentage_written_in_the_item(
    checklist_2017: Checklist,
) -> None:
    rates = Target.objects.filter(item__checklist=checklist_2017, kind=Target.Kind.RATE)
    checked = 0
    for target in rates.select_related("item"):
        if "%" not in target.item.text:
            continue
        assert target.threshold is not None
        assert target.threshold == target.threshold.to_integral_value()
        assert f"{int(target.threshold)}%" in target.item.text, target
        checked += 1
    assert checked > 0
    thresholds = {
        (t.item.number, t.threshold) for t in rates.filter(item__number__in=[6, 7, 8, 37])
    }
    assert thresholds == {
        (6, Decimal(60)),
        (7, Decimal(70)),
        (8, Decimal(90)),
        (37, Decimal(90)),
        (37, Decimal(15)),
    }


def test_loading_the_fixture_twice_changes_nothing(checklist_2017: Checklist) -> None:
    def counts() -> tuple[int, int, int, int]:
        return (
            Item.objects.filter(checklist=checklist_2017).count(),
            Target.objects.filter(item__checklist=checklist_2017).count(),
            ItemLeadUnit.objects.filter(item__checklist=checklist_2017).count(),
            EvidenceRequirement.objects.filter(item__checklist=checklist_2017).count(),
        )

    before = counts()
    assert checklist_load_file(path=FIXTURES / "checklist_2017.yaml") == checklist_2017
    assert counts() == before
    assert before[0] == 40
    # targets (48 until items 4, 11, 16 and 26 got one more each), lead units, requirements
    assert before[1:] == (52, 61, 8)
