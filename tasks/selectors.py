"""Reads that several views share, returned already prefetched."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404

from core.typing import AnyUser

from .models import (
    Assignment,
    DeadlineExtension,
    Evidence,
    ItemLeadUnit,
    ProgressReport,
    ProgressReportQuerySet,
    ReportTransition,
)

# Everything a report page shows, fetched with the report.
REPORT_PREFETCH = (
    "assignment__item__targets",
    "assignment__item__evidence_requirements",
    Prefetch(
        "assignment__item__lead_unit_links",
        queryset=ItemLeadUnit.objects.select_related("unit").order_by("order"),
    ),
    Prefetch(
        "assignment__extensions", queryset=DeadlineExtension.objects.order_by("-requested_at")
    ),
    "values",
    Prefetch("evidence", queryset=Evidence.objects.select_related("uploaded_by")),
    Prefetch("transitions", queryset=ReportTransition.objects.select_related("by")),
)


def reports_with_details(user: AnyUser) -> ProgressReportQuerySet:
    """The reports ``user`` may open, with all a report page or list needs."""
    return (
        ProgressReport.objects.visible_to(user)
        .select_related(
            "assignment__item__checklist",
            "assignment__item__pillar",
            "assignment__community",
            "assignment__unit",
            "submitted_by",
            "reviewed_by",
            "exception_decided_by",
        )
        .prefetch_related(*REPORT_PREFETCH)
    )


def report_for_user(user: AnyUser, pk: int) -> ProgressReport:
    """The report if ``user`` may see it; 404 otherwise, so that nobody learns whether
    another community's report exists."""
    report = reports_with_details(user).filter(pk=pk).first()
    if report is None:
        raise Http404("没有找到这份月报,或您无权查看。")
    return report


def workspace_assignments(user: AnyUser, *, year: int) -> list[Assignment]:
    """The assignments ``user`` files for in the ``year`` checklist, with what the filing
    form needs."""
    return list(
        Assignment.objects.fileable_by(user)
        .filter(item__checklist__year=year)
        .select_related("item__checklist", "item__pillar", "community", "unit")
        .prefetch_related(
            "item__targets",
            "item__evidence_requirements",
            # The compound register's counts that prefill denominators (one query).
            "community__compounds",
            Prefetch("extensions", queryset=DeadlineExtension.objects.order_by("-requested_at")),
        )
        .order_by("community__order", "unit__order", "item__number", "is_street_level")
    )
