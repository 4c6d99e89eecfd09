"""The portal's URLs plus a few views that fail on purpose, for the error-page and layout
tests (``@pytest.mark.urls("tests.layout_urls")``). The error handlers are the portal's."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import User
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from yijia.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


@login_not_required
def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


@login_not_required
def bad_request(request: HttpRequest) -> HttpResponse:
    raise BadRequest("参数 <script> 不对")


@login_not_required
def server_error(request: HttpRequest) -> HttpResponse:
    # The database first (down, or refused by the test), then a bug.
    User.objects.count()
    raise ZeroDivisionError


@login_not_required
def messages_shown(request: HttpRequest) -> HttpResponse:
    messages.success(request, "已保存 3 项。")
    messages.error(request, "提交失败:第 8 项缺少佐证材料。")
    messages.info(request, "没有改动,未保存。")
    return render(request, "base.html")


urlpatterns = [
    path("test-errors/forbidden/", forbidden),
    path("test-errors/bad-request/", bad_request),
    path("test-errors/server-error/", server_error),
    path("test-errors/messages/", messages_shown),
    *urlpatterns,
]
