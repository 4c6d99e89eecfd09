"""A rate or count target cannot exist without its threshold: the model, the admin inline,
the database and the checklist loader all refuse it (issue 11, point 5: an empty threshold
used to slip through and crash ``Target.evaluate`` on every page judging the item)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from tasks.models import Checklist, Item, Target
from tasks.services import checklist_load_file

Kind = Target.Kind

YAML_WITHOUT_THRESHOLD = """\
checklist:
  year: 2030
  title: 缺目标值的清单
  status: active
units:
  - {name: 社区党建办, kind: street_office}
pillars:
  - number: 1
    name: 宜居·共建
    items:
      - number: 1
        text: 业委会组建。
        lead_units: [社区党建办]
        scope: all_communities
        targets:
          - kind: rate
            title: 业委会组建率
            numerator_label: 已组建业委会的住宅小区数
            denominator_label: 符合成立条件的住宅小区数
"""


def item_of(checklist: Checklist, number: int) -> Item:
    return checklist.items.get(number=number)


@pytest.mark.parametrize(("kind", "label"), [(Kind.RATE, "比率达标"), (Kind.COUNT, "数量不少于")])
def test_a_rate_or_count_target_without_a_threshold_is_invalid(
    checklist_2017: Checklist, kind: Target.Kind, label: str
) -> None:
    target = Target(item=item_of(checklist_2017, 8), order=9, kind=kind, title="指标")

    with pytest.raises(ValidationError) as raised:
        target.full_clean()

    assert raised.value.message_dict == {"threshold": [f"“{label}”类目标必须填写目标值。"]}


@pytest.mark.parametrize(
    ("kind", "period"),
    [
        (Kind.FREQUENCY, Target.Period.MONTH),
        (Kind.DEADLINE, ""),
        (Kind.ZERO_GROWTH, ""),
        (Kind.MILESTONE, ""),
    ],
)
def test_the_other_kinds_need_no_threshold(
    checklist_2017: Checklist, kind: Target.Kind, period: str
) -> None:
    target = Target(item=item_of(checklist_2017, 8), order=9, kind=kind, title="指标")
    target.period = period

    target.full_clean()
    target.save()


@pytest.mark.parametrize("kind", Kind.values)
def test_the_database_refuses_exactly_the_threshold_kinds_without_one(
    checklist_2017: Checklist, kind: str
) -> None:
    # Bypasses clean(): the check constraint alone must hold the line, and it must agree
    # with Target.THRESHOLD_KINDS.
    target = Target(item=item_of(checklist_2017, 8), order=9, kind=kind, title="指标")
    target.period = Target.Period.MONTH if kind == Kind.FREQUENCY else ""

    if kind in Target.THRESHOLD_KINDS:
        with pytest.raises(IntegrityError), transaction.atomic():
            target.save()
    else:
        target.save()


def test_clearing_a_saved_target_s_threshold_is_refused_by_the_database(
    checklist_2017: Checklist,
) -> None:
    target = item_of(checklist_2017, 8).targets.get()  # 业委会组建率 ≥ 90%

    with pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.filter(pk=target.pk).update(threshold=None)


def admin_form_data(response: Any) -> dict[str, Any]:
    """What the item's admin change form posts when saved untouched."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data: dict[str, Any] = {}
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            if value is True:
                data[form.add_prefix(name)] = "on"
            elif isinstance(value, list | tuple):
                data[form.add_prefix(name)] = [str(v) for v in value]
            else:
                data[form.add_prefix(name)] = str(value.pk if hasattr(value, "pk") else value)
    return data


def test_the_admin_inline_refuses_a_rate_target_without_a_threshold(
    client: Client, world: Checklist, street_admin: User
) -> None:
    item = item_of(world, 8)
    url = reverse("admin:tasks_item_change", args=[item.pk])
    client.force_login(street_admin)
    data = admin_form_data(client.get(url))
    assert data["targets-0-threshold"] == "90.00"
    data["targets-0-threshold"] = ""

    response = client.post(url, data)

    assert response.status_code == 200  # the form comes back with the error
    target_forms = next(
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "targets"
    )
    assert target_forms.errors[0] == {"threshold": ["“比率达标”类目标必须填写目标值。"]}
    assert "“比率达标”类目标必须填写目标值。" in response.content.decode()
    assert item.targets.get().threshold == 90


def test_the_loader_refuses_a_rate_target_without_a_threshold(db: None, tmp_path: Path) -> None:
    path = tmp_path / "checklist_2030.yaml"
    path.write_text(YAML_WITHOUT_THRESHOLD, encoding="utf-8")

    with pytest.raises(ValidationError) as raised:
        checklist_load_file(path=path)

    assert raised.value.messages == [
        "第 1 项第 1 个目标“业委会组建率”:“比率达标”类目标必须填写目标值。"
    ]
    assert not Checklist.objects.filter(year=2030).exists()  # nothing of the file is kept


def test_the_load_command_reports_the_missing_threshold(db: None, tmp_path: Path) -> None:
    path = tmp_path / "checklist_2030.yaml"
    path.write_text(YAML_WITHOUT_THRESHOLD, encoding="utf-8")

    with pytest.raises(CommandError, match="“比率达标”类目标必须填写目标值"):
        call_command("load_checklist", str(path))
