"""Forms of the review side: the queue's filters, the reviewer's decisions on a report and
on an extension request, and the month an item's status page shows."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from communities.models import Community, Unit
from core.dates import month_label, month_name_lazy, year_label
from core.periods import FIRST_YEAR, LARGEST_PK, LAST_YEAR, parse_int

from .models import AssignmentQuerySet, Checklist, Item, ProgressReport
from .periods import checklists_in_use, period_value

MONTH_CHOICES = [(month, month_name_lazy(month)) for month in range(1, 13)]

# The queue's filters read from links and not drawn: the period select stands for them.
PERIOD_PARTS = ("year", "month")

# Up to this many communities the party select lists them all; beyond (a district, a city),
# it lists the units and the community chosen, and the communities are found by name.
PARTY_CHOICES_LISTED = 60
# The communities a name search offers at most.
COMMUNITY_MATCHES_SHOWN = 20

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
    # Shown when the communities are too many to list (``PARTY_CHOICES_LISTED``): part of a
    # community's name; one match filters by it, several are offered as links.
    community = forms.CharField(
        label=_("查找社区"),
        required=False,
        max_length=50,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("输入社区名称的一部分"),
                "autocomplete": "off",
            }
        ),
    )
    # One select of a year or a month owed (``2017`` or ``2017-07``); ``year`` and
    # ``month`` still read the links that name them, and are not drawn (``PERIOD_PARTS``).
    period = forms.ChoiceField(label=_("年月"), required=False)
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
        # Each choice asks whether one of the covered assignments is its (an index lookup
        # each), never the other way round: the assignments are 36 a community.
        self.fields["item"].queryset = (  # type: ignore[attr-defined]
            Item.objects.filter(Exists(assignments.filter(item=OuterRef("pk"))))
            .select_related("checklist")
            .order_by("-checklist__year", "number")
        )
        covered = Community.objects.filter(
            Exists(assignments.filter(community=OuterRef("pk")))
        ).order_by("order", "pk")
        communities = list(covered[: PARTY_CHOICES_LISTED + 1])
        # Too many to list: the chosen one only (so that it shows and validates), and the
        # search field finds the others.
        self.searches_communities = len(communities) > PARTY_CHOICES_LISTED
        if self.searches_communities:
            chosen = _community_pk(self.data.get("party", "") if data is not None else "")
            communities = list(covered.filter(pk=chosen)) if chosen else []
        else:
            del self.fields["community"]
        self.community_matches: list[tuple[str, str]] = []
        self.covered_communities = covered
        units = Unit.objects.filter(Exists(assignments.filter(unit=OuterRef("pk"))))
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
        self.fields["period"].choices = [  # type: ignore[attr-defined]
            ("", _("全部月份")),
            *(
                (
                    year_label(checklist.year),
                    [
                        (str(checklist.year), _("%(year)s年全年") % {"year": checklist.year}),
                        *(
                            (
                                period_value(checklist.year, month),
                                month_label(checklist.year, month),
                            )
                            for month in checklist.months_owed()
                        ),
                    ],
                )
                for checklist in checklists_in_use().order_by("-year")
            ),
        ]
        # A link's ``?year=&month=`` shows as the period it names.
        if data is not None and not data.get("period") and data.get("year"):
            try:
                year = parse_int(data.get("year"), minimum=FIRST_YEAR, maximum=LAST_YEAR)
                month = parse_int(data.get("month"), minimum=1, maximum=12)
            except ValueError:  # the year or month field says what is wrong
                year = None
            if year is not None:
                period = period_value(year, month) if month else str(year)
                if self.fields["period"].valid_value(period):  # type: ignore[attr-defined]
                    bound = data.copy()  # a QueryDict's copy is mutable
                    bound["period"] = period
                    self.data = bound

    def filter_values(self) -> dict[str, Any]:
        """The valid filters as queryset lookups (an invalid one is left out, the form
        shows its error)."""
        self.is_valid()
        data = self.cleaned_data
        lookups: dict[str, Any] = {}
        if data.get("community") and not data.get("party"):
            matches = list(
                self.covered_communities.filter(name__icontains=data["community"])[
                    : COMMUNITY_MATCHES_SHOWN + 1
                ]
            )
            if len(matches) == 1:
                data["party"] = f"community-{matches[0].pk}"
                # Drawn as chosen in the select, and the search box cleared.
                self.fields["party"].choices = [  # type: ignore[attr-defined]
                    *self.fields["party"].choices,  # type: ignore[attr-defined]
                    (_("社区"), [(data["party"], matches[0].name)]),
                ]
                bound = self.data.copy()  # type: ignore[attr-defined]  # a QueryDict
                bound["party"], bound["community"] = data["party"], ""
                self.data = bound
            else:
                self.community_matches = [(f"community-{c.pk}", c.name) for c in matches]
        if data.get("state"):
            lookups["workflow_state"] = data["state"]
        if data.get("item"):
            lookups["assignment__item"] = data["item"]
        if data.get("party"):
            kind, pk = data["party"].split("-")
            lookups[f"assignment__{kind}_id"] = int(pk)
        if data.get("period"):
            year, _dash, month = data["period"].partition("-")
            lookups["year"] = int(year)
            if month:
                lookups["month"] = int(month)
            return lookups
        if data.get("year"):
            lookups["year"] = data["year"]
        if data.get("month"):
            lookups["month"] = data["month"]
        return lookups

    def period_part_errors(self) -> list[Any]:
        """The errors of a link's ``?year=`` or ``?month=``, which the page does not draw
        as fields."""
        return [error for name in PERIOD_PARTS for error in self.errors.get(name, [])]


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
    """The month an item's status page shows, within the year of the item's checklist:
    ``?period=2017-07`` (the period picker) or ``?year=&month=`` (links). A value that is
    not a period of that year leaves the page's default (``chosen``)."""

    period = forms.ChoiceField(label=_("年月"), required=False)
    year = forms.IntegerField(required=False, min_value=FIRST_YEAR, max_value=LAST_YEAR)
    month = forms.TypedChoiceField(
        label=_("月份"), required=False, coerce=int, empty_value=None, choices=MONTH_CHOICES
    )

    def __init__(self, data: Any = None, *, checklist: Checklist) -> None:
        super().__init__(data)
        self.checklist = checklist
        self.fields["period"].choices = [  # type: ignore[attr-defined]
            (period_value(checklist.year, month), label) for month, label in MONTH_CHOICES
        ]

    def chosen(self) -> int | None:
        """The month asked for, None when none is (or not a good one); a month of another
        year is kept to the checklist's year (an earlier year: January, a later one:
        December)."""
        if not self.is_valid():
            return None
        data = self.cleaned_data
        if data["period"]:
            return int(data["period"][5:])
        if not data["month"]:
            return None
        year = data["year"] or self.checklist.year
        return min(max((year, data["month"]), (self.checklist.year, 1)), (self.checklist.year, 12))[
            1
        ]


class BulkApproveForm(forms.Form):
    """批量通过: one comment for every report approved at once (the reports are read
    from ``reports=`` by the view, which checks the user may review each)."""

    comment = forms.CharField(
        label=_("审核意见(可不填,用于全部所选月报)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _community_pk(party: str) -> int | None:
    """The community a ``party`` value names (``community-12``), if it does."""
    kind, _dash, pk = party.partition("-")
    if kind != "community":
        return None
    try:
        return parse_int(pk, minimum=1, maximum=LARGEST_PK)
    except ValueError:
        return None
