"""The home page: each role's to-do list for the month being filed."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from communities import access
from tasks.models import Checklist
from tasks.periods import opening_month

from . import panels


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """What the user has to do this month, one panel per part they play: filing, review,
    running the street, reading it. The month is the one being filed, within the months
    owed of the checklist in use (``Checklist.being_filed``): in a year without a
    checklist, the last month of the latest one, never an empty year."""
    user = request.user
    if isinstance(user, User):
        # One query for the role's permissions, remembered for every question below.
        access.global_permissions(user)
    today = timezone.localdate()
    being_filed = Checklist.being_filed(today)
    context: dict[str, object] = {"today": today}
    if being_filed is not None:
        year, month = being_filed
        checklist = Checklist.objects.get(year=year)
        street = panels.runs_the_street(user)
        reads = panels.reads_the_street(user)
        # The figures are those of the month the dashboard opens on (the latest with
        # reports), not of a month being filed that has none yet (``tasks.periods``).
        figures_month = opening_month(checklist, today) if street or reads else month
        context.update(
            checklist=checklist,
            year=year,
            month=month,
            year_closed=checklist.is_closed(today),
            filing=panels.filing_panel(user, checklist, month, today),
            review=panels.review_panel(user, checklist, month, today),
            street=panels.street_panel(
                checklist, month, today, timezone.now(), figures_month=figures_month
            )
            if street
            else None,
            leadership=panels.headline(checklist, figures_month) if reads else None,
        )
    return render(request, "home/home.html", context)
