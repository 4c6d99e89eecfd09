"""/search/?q=: one box in the header finds items, communities, units and reports, grouped
by kind; at most ``SHOWN`` of each, with a link to all of one kind (``&kind=``, paginated).
Each kind is one query (the items' lead units one more), however many rows match."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from core.periods import query_page

from . import selectors

SHOWN = 5
PAGE_SIZE = 50


@dataclass(frozen=True)
class Kind:
    key: str
    label: Promise
    find: Callable[[HttpRequest, selectors.Query], QuerySet[Any]]


KINDS = [
    Kind("items", gettext_lazy("任务"), lambda request, query: selectors.items(query)),
    Kind(
        "communities",
        gettext_lazy("社区"),
        lambda request, query: selectors.communities(request.user, query),
    ),
    Kind("units", gettext_lazy("单位"), lambda request, query: selectors.units(query)),
    Kind(
        "reports",
        gettext_lazy("月报"),
        lambda request, query: selectors.reports(request.user, query),
    ),
]
KINDS_BY_KEY = {kind.key: kind for kind in KINDS}


@dataclass(frozen=True)
class Group:
    kind: Kind
    rows: list[Any]
    more: bool  # more rows than shown: the link to all of this kind


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    query = selectors.parse_query(request.GET.get("q", ""))
    asked = request.GET.get("kind", "")
    if asked and asked not in KINDS_BY_KEY:
        raise Http404(_("链接中的“%(name)s”不对,请从页面上的链接重新打开。") % {"name": "kind"})
    context: dict[str, Any] = {"search_query": query.text, "query": query, "kind": None}
    if not query:
        context["groups"] = []
    elif asked:
        kind = KINDS_BY_KEY[asked]
        page = query_page(request, Paginator(kind.find(request, query), PAGE_SIZE))
        context.update(kind=kind, page=page, groups=[Group(kind, list(page), more=False)])
    else:
        groups = []
        for kind in KINDS:
            rows = list(kind.find(request, query)[: SHOWN + 1])
            groups.append(Group(kind, rows[:SHOWN], more=len(rows) > SHOWN))
        context["groups"] = groups
    context["found_any"] = any(group.rows for group in context["groups"])
    return render(request, "search/results.html", context)
