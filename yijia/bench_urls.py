"""The portal's addresses plus one bare view, for ``bench/throughput.py`` only.

Used as ``ROOT_URLCONF`` when ``BENCH_URLS=True`` (never in production): the bare view
goes through the whole middleware stack but touches no session, database or template, so
that a page's requests per second can be put next to what Django itself costs."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from yijia.urls import handler400, handler403, handler404, handler500
from yijia.urls import urlpatterns as portal

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


@login_not_required
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare), *portal]
