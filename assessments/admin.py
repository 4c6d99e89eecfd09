"""The assessment in the admin: schemes and their criteria, manual scores, adjustments
(never edited once made), and the published results (read only)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import ComputedAdmin
from core.history_admin import HistoryAdmin
from core.http import logged_in_user

from .models import (
    CommunityScore,
    Criterion,
    ManualScore,
    Publication,
    PublishedScore,
    Scheme,
    ScoreAdjustment,
    ScoreMonth,
)
from .scoring import points_text, scheme_default


class CriterionFormSet(BaseInlineFormSet):
    """Refuses a scheme whose criteria's points do not add up to its total."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        points = sum(
            (
                form.cleaned_data.get("points") or Decimal(0)
                for form in self.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE")
            ),
            Decimal(0),
        )
        total = self.instance.total_points
        if points != total:
            raise ValidationError(
                gettext("考核项分值合计 %(points)s 分,与总分 %(total)s 分不符,请调整。")
                % {"points": points_text(points), "total": points_text(total)}
            )


class CriterionInline(admin.TabularInline):
    model = Criterion
    formset = CriterionFormSet
    extra = 0
    fields = ("order", "title", "points", "pillar", "item", "target", "rule", "bands")
    autocomplete_fields = ("item", "target")


@admin.register(Scheme)
class SchemeAdmin(HistoryAdmin):
    list_display = ("__str__", "total_points", "criteria_points")
    inlines = [CriterionInline]
    actions = ["fill_default_criteria"]

    @admin.display(description=_("考核项合计"))
    def criteria_points(self, scheme: Scheme) -> Decimal:
        return sum((criterion.points for criterion in scheme.criteria.all()), Decimal(0))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.publications.exists() and obj.checklist.status == "archived":
            return False  # an archived year's published scheme stays as it was
        return super().has_change_permission(request, obj)

    @admin.action(description=_("按任务平均分配分值,生成默认考核项(仅对没有考核项的方案)"))
    def fill_default_criteria(self, request: HttpRequest, queryset: Any) -> None:
        for scheme in queryset:
            scheme_default(checklist=scheme.checklist, total=scheme.total_points)
        self.message_user(request, gettext("已生成默认考核项。"))


class ArchivedYearForm(forms.ModelForm):
    """A manual score or an adjustment belongs to its scheme's year: none is added to an
    archived year."""

    def scheme_of(self, cleaned: dict[str, Any]) -> Scheme | None:
        return cleaned.get("scheme")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        scheme = self.scheme_of(cleaned)
        if scheme is not None and scheme.checklist.is_archived:
            raise ValidationError(gettext("该年度清单已归档,只能查看。"), code="archived")
        return cleaned


class ManualScoreForm(ArchivedYearForm):
    def scheme_of(self, cleaned: dict[str, Any]) -> Scheme | None:
        criterion = cleaned.get("criterion")
        return criterion.scheme if criterion is not None else None


def _scheme_of_row(obj: Any) -> Scheme | None:
    if isinstance(obj, ManualScore):
        return obj.criterion.scheme
    if isinstance(obj, ScoreAdjustment):
        return obj.scheme
    return None


class _ArchivedReadOnly(HistoryAdmin):
    """A row of an archived year is read, never changed or deleted."""

    def _archived(self, obj: Any) -> bool:
        scheme = _scheme_of_row(obj)
        return scheme is not None and scheme.checklist.is_archived

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._archived(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._archived(obj) and super().has_delete_permission(request, obj)


@admin.register(ManualScore)
class ManualScoreAdmin(_ArchivedReadOnly):
    list_display = ("criterion", "community", "points", "note")
    list_filter = ("criterion__scheme",)
    list_select_related = ("criterion__scheme__checklist", "community")
    autocomplete_fields = ("community",)
    form = ManualScoreForm


@admin.register(ScoreAdjustment)
class ScoreAdjustmentAdmin(_ArchivedReadOnly):
    """Adjustments are recorded: added with a reason, never edited afterwards (nor added
    to an archived year)."""

    form = ArchivedYearForm

    list_display = ("community", "points", "reason", "made_by", "made_at")
    list_filter = ("scheme",)
    list_select_related = ("community", "made_by", "scheme__checklist")
    fields = ("scheme", "community", "points", "reason")
    autocomplete_fields = ("community",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # an adjustment is part of the record: it is offset, never deleted

    def save_model(
        self, request: HttpRequest, obj: ScoreAdjustment, form: Any, change: bool
    ) -> None:
        obj.made_by = logged_in_user(request)
        super().save_model(request, obj, form, change)


class PublishedScoreInline(admin.TabularInline):
    model = PublishedScore
    extra = 0
    fields = ("rank", "community", "total")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Publication)
class PublicationAdmin(ComputedAdmin):
    list_display = ("__str__", "published_at", "published_by", "as_of_month", "note")
    inlines = [PublishedScoreInline]


@admin.register(PublishedScore)
class PublishedScoreAdmin(ComputedAdmin):
    list_display = ("publication", "rank", "community", "total")
    list_filter = ("publication",)
    list_select_related = ("publication__scheme__checklist", "community")


@admin.register(ScoreMonth)
class ScoreMonthAdmin(ComputedAdmin):
    """When each month's stored scores were computed (``assessments.summary``)."""

    list_display = ("scheme", "month", "as_of", "criteria_key")
    list_filter = ("scheme", "month")
    list_select_related = ("scheme__checklist",)


@admin.register(CommunityScore)
class CommunityScoreAdmin(ComputedAdmin):
    """The stored scores the ranking reads; kept by the portal, repaired by
    ``manage.py scores --rebuild``."""

    list_display = ("scheme", "month", "community", "earned", "adjusted", "total")
    list_filter = ("scheme", "month")
    list_select_related = ("scheme__checklist", "community")
    search_fields = ("community__name",)


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    """Criteria are edited with their scheme (whose total is checked there)."""

    list_display = ("__str__", "scheme", "rule", "pillar", "item", "target")
    list_filter = ("scheme", "rule")
    list_select_related = ("scheme__checklist", "pillar", "item", "target__item")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
