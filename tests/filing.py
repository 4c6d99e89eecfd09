"""Helpers the filing and review tests share: posting the 本月填报 page as a browser
would, and filing reports through the services."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import time_machine
from django.contrib.auth.models import User
from django.forms import CheckboxInput

from communities.models import Community
from tasks.forms import ReportForm
from tasks.models import Assignment, Checklist, ProgressReport, Target
from tasks.services import ValueInput, progress_report_save, progress_report_submit
from tests.conftest import SHANGHAI, assignment_of

JULY = "/workspace/?year=2017&month=7"
MINIMAL_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def stored_files(root: Path) -> list[Path]:
    """The evidence files stored under ``root``, not the uploads held in ``staging/`` until
    their item saves (``tasks.staging``: a held copy goes when the save commits, which a
    test's transaction never does)."""
    if not root.exists():
        return []
    return [
        path
        for path in root.rglob("*")
        if path.is_file() and path.relative_to(root).parts[0] != "staging"
    ]


def time_travel(year: int, month: int, day: int) -> time_machine.travel:
    """10:00 in Shanghai on that day, for filing another month inside a test."""
    moment = datetime.datetime(year, month, day, 10, 0, tzinfo=SHANGHAI)
    return time_machine.travel(moment, tick=False)


def page_forms(response: Any) -> list[ReportForm]:
    """The report forms on a workspace page, in page order."""
    return [
        row["form"]
        for rows in response.context["groups"].values()
        for row in rows
        if row["form"] is not None
    ]


def form_data(response: Any, action: str = "save") -> dict[str, Any]:
    """What the browser posts when the user presses ``action`` ("save" or "submit")
    without touching anything on the page."""
    data: dict[str, Any] = {action: "1"}
    for form in page_forms(response):
        for name in form.fields:
            if name == "evidence_files":
                continue
            value = form[name].value()
            if isinstance(form.fields[name].widget, CheckboxInput):
                if value:  # a browser posts a ticked box only
                    data[form.add_prefix(name)] = "on"
                continue
            if isinstance(value, datetime.date):
                value = value.isoformat()
            data[form.add_prefix(name)] = "" if value is None else str(value)
    return data


def field(assignment: Assignment, target: Target, column: str) -> str:
    """The name of a target's input on the page, e.g. ``a12-t34_numerator``."""
    return f"a{assignment.pk}-t{target.pk}_{column}"


# What a party that has done its work types for each kind of target.
TYPED = {
    Target.Kind.RATE: {"numerator": "8", "denominator": "10"},
    Target.Kind.COUNT: {"quantity": "5"},
    Target.Kind.FREQUENCY: {"quantity": "4"},
    Target.Kind.ZERO_GROWTH: {"quantity": "0"},
    Target.Kind.DEADLINE: {"achieved_on": "2017-06-28"},
    Target.Kind.MILESTONE: {"is_done": "yes"},
}
# ``TYPED`` gives 10 where the register counts otherwise (the test world registers few
# compounds): the party says why, as the form and the services require.
REGISTER_REASON = "测试:按实际统计"


def fill_every_target(response: Any, data: dict[str, Any]) -> dict[str, Any]:
    """Type a figure into every target input of the page and mark each item 推进中."""
    for form in page_forms(response):
        data[form.add_prefix("status")] = ProgressReport.Status.IN_PROGRESS
        for target, fields, _figure, _link in form.target_fields():
            if not fields:  # judged from the meeting register: nothing to type
                continue
            for column, value in TYPED[Target.Kind(target.kind)].items():
                data[field(form.assignment, target, column)] = value
            if target.pk in form.reason_fields:
                data[field(form.assignment, target, "denominator_reason")] = REGISTER_REASON
    return data


def complete_values(assignment: Assignment) -> dict[int, ValueInput]:
    """The same figures as ``TYPED``, for filing through the services."""
    values = {}
    for target in assignment.targets():
        typed = TYPED[Target.Kind(target.kind)]
        values[target.pk] = ValueInput(
            numerator=int(typed["numerator"]) if "numerator" in typed else None,
            denominator=int(typed["denominator"]) if "denominator" in typed else None,
            quantity=int(typed["quantity"]) if "quantity" in typed else None,
            achieved_on=datetime.date.fromisoformat(typed["achieved_on"])
            if "achieved_on" in typed
            else None,
            is_done=True if "is_done" in typed else None,
            denominator_reason=REGISTER_REASON,
        )
    return values


def file_report(
    assignment: Assignment,
    by: User,
    *,
    month: int = 7,
    submit: bool = False,
    narrative: str = "",
) -> ProgressReport:
    """File a month's report with every target filled, through the services."""
    existing = ProgressReport.objects.filter(assignment=assignment, year=2017, month=month)
    report = progress_report_save(
        assignment=assignment,
        year=2017,
        month=month,
        by=by,
        status=ProgressReport.Status.IN_PROGRESS,
        narrative=narrative,
        values=complete_values(assignment),
        version=existing.get().version if existing.exists() else None,
    )
    if submit:
        report = progress_report_submit(report=report, by=by)
    return report


def input_tag(page: str, name: str) -> str:
    """The HTML of the input or select named ``name`` (empty when there is none)."""
    match = re.search(rf'<(?:input|select)[^>]*name="{re.escape(name)}"[^>]*>', page)
    return match.group(0) if match else ""


def has_inputs_for(page: str, assignment: Assignment) -> bool:
    return f'name="a{assignment.pk}-' in page


def file_item_report(
    world: Checklist,
    item_number: int,
    party: Community,
    by: User,
    *,
    month: int = 7,
    submit: bool = True,
) -> ProgressReport:
    """The party's report on an item for a 2017 month, filled in (half the compounds, one
    meeting, milestones done) and, unless ``submit`` is false, submitted."""
    assignment = assignment_of(world, item_number, party)
    values = {
        target.pk: ValueInput(
            numerator=1,
            denominator=2,
            quantity=1,
            is_done=True,
            denominator_reason=REGISTER_REASON,
        )
        for target in assignment.targets()
    }
    report = progress_report_save(
        assignment=assignment,
        year=2017,
        month=month,
        by=by,
        status=ProgressReport.Status.IN_PROGRESS,
        narrative=f"{month}月进展:已走访各小区。",
        values=values,
        version=None,
    )
    if submit:
        report = progress_report_submit(report=report, by=by)
    return report
