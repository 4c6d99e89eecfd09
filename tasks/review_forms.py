"""Forms of the review side: the queue's filters, the reviewer's decisions on a report and
on an extension request, and the month an item's status page shows."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from communities.models import Community, Unit
from core.periods import FIRST_YEAR, LAST_YEAR

from .models import AssignmentQuerySet, Item, ProgressReport

MONTH_CHOICES = [(month, format_lazy(_("{month}月"), month=month)) for month in range(1, 13)]

# Drafts belong to the party until submitted: the queue never lists them.
QUEUE_STATES = [
    state for state in ProgressReport.WorkflowState if state != ProgressReport.WorkflowState.DRAFT
]


class ItemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.checklist.year} · {obj}"


class ReviewFilterForm(forms.Form):
    """The queue's filters (a GET form). Item and party choices are limited to the
    ``assignments`` the queue covers, so that nobody learns of items they do not review."""

    state = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部状态"))] + [(state.value, state.label) for state in QUEUE_STATES],
    )
    item = ItemChoiceField(
        label=_("任务"), required=False, queryset=Item.objects.none(), empty_label=_("全部任务")
    )
    party = forms.ChoiceField(label=_("责任单位"), required=False)
    year = forms.IntegerField(
        label=_("年"), required=False, min_value=FIRST_YEAR, max_value=LAST_YEAR
    )
    month = forms.TypedChoiceField(
        label=_("月"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("全部月份")), *MONTH_CHOICES],
    )
    mine = forms.BooleanField(label=_("只看本单位审核的任务"), required=False)

    # With no filter in the address, the queue shows what waits for a decision.
    DEFAULT = {"state": ProgressReport.WorkflowState.SUBMITTED.value}

    def __init__(
        self, data: Any = None, *, assignments: AssignmentQuerySet, offer_mine: bool
    ) -> None:
        super().__init__(data)
        self.fields["item"].queryset = (  # type: ignore[attr-defined]
            Item.objects.filter(pk__in=assignments.values("item_id"))
            .select_related("checklist")
            .order_by("-checklist__year", "number")
        )
        communities = Community.objects.filter(pk__in=assignments.values("community_id"))
        units = Unit.objects.filter(pk__in=assignments.values("unit_id"))
        groups = [
            (_("社区"), [(f"community-{c.pk}", c.name) for c in communities]),
            (_("单位"), [(f"unit-{u.pk}", u.name) for u in units]),
        ]
        self.fields["party"].choices = [  # type: ignore[attr-defined]
            ("", _("全部责任单位")),
            *((label, choices) for label, choices in groups if choices),
        ]
        if not offer_mine:
            del self.fields["mine"]

    def filter_values(self) -> dict[str, Any]:
        """The valid filters as queryset lookups (an invalid one is left out, the form
        shows its error)."""
        self.is_valid()
        data = self.cleaned_data
        lookups: dict[str, Any] = {}
        if data.get("state"):
            lookups["workflow_state"] = data["state"]
        if data.get("item"):
            lookups["assignment__item"] = data["item"]
        if data.get("party"):
            kind, pk = data["party"].split("-")
            lookups[f"assignment__{kind}_id"] = int(pk)
        if data.get("year"):
            lookups["year"] = data["year"]
        if data.get("month"):
            lookups["month"] = data["month"]
        return lookups


class ApproveForm(forms.Form):
    """Approval, with the decision on the party's exception when it asked for one."""

    comment = forms.CharField(
        label=_("审核意见(可不填)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    exception_accepted = forms.TypedChoiceField(
        label=_("该单位申请按申报状态认定"),
        choices=[("1", _("同意,按申报状态认定")), ("0", _("不同意,按指标认定"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        error_messages={"required": _("请决定是否同意该单位按申报状态认定。")},
    )

    def __init__(self, *args: Any, report: ProgressReport, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if report.exception_state != ProgressReport.ExceptionState.PENDING:
            del self.fields["exception_accepted"]


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=_("退回意见"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("写明需要修改或补充的内容")}),
        error_messages={"required": _("退回时请写明需要修改的内容。")},
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("重新打开的理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请写明重新打开的理由。")},
    )


class ExtensionDecisionForm(forms.Form):
    grant = forms.TypedChoiceField(
        label=_("决定"),
        choices=[("1", _("批准")), ("0", _("不批准"))],
        coerce=lambda value: value == "1",
        error_messages={"required": _("请选择批准或不批准。")},
    )
    comment = forms.CharField(label=_("审批意见"), required=False, max_length=2000)


class ItemMonthForm(forms.Form):
    """The month an item's status page shows (``?year=&month=``)."""

    year = forms.IntegerField(required=False, min_value=FIRST_YEAR, max_value=LAST_YEAR)
    month = forms.TypedChoiceField(
        label=_("月份"), required=False, coerce=int, empty_value=None, choices=MONTH_CHOICES
    )
