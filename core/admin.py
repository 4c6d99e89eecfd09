"""Admin bases the apps share."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .periods import parse_int


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record kept by the jobs: read, never edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ComputedAdmin(ReadOnlyAdmin):
    """Rows computed from other rows (summaries, published scores): read only, and
    removed only by recomputing."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class YearListFilter(admin.SimpleListFilter):
    """A list filter by the year of ``date_field``: the years the rows have, newest
    first. A ``?year=`` that is not a year (a hand-edited address) leaves the list
    unfiltered: ``core.periods.parse_int`` reads it."""

    title = _("年度")
    parameter_name = "year"
    date_field = "date"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        rows = model_admin.model._default_manager
        years = rows.dates(self.date_field, "year", order="DESC")
        return [(str(day.year), f"{day.year}") for day in years]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        try:
            year = parse_int(self.value(), minimum=datetime.MINYEAR, maximum=datetime.MAXYEAR)
        except ValueError:
            year = None
        if year is None:
            return queryset
        return queryset.filter(**{f"{self.date_field}__year": year})
