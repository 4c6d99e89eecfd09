from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.http import local_url

from . import services
from .models import Message

INBOX_PAGE_SIZE = 30


def inbox(request: HttpRequest) -> HttpResponse:
    """消息: the user's messages, newest first, unread ones marked."""
    messages = Message.objects.for_user(request.user).order_by("-created_at", "-pk")
    if request.GET.get("unread"):
        messages = messages.unread()
    page = Paginator(messages, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "unread_only": bool(request.GET.get("unread"))},
    )


@require_POST
def message_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one message read; with ``open`` go on to the page it links to."""
    message = get_object_or_404(Message.objects.for_user(request.user), pk=pk)
    services.message_mark_read(message=message, user=request.user)
    if request.POST.get("open") and message.url:
        if local_url(request, message.url):
            return HttpResponseRedirect(message.url)
    return HttpResponseRedirect(reverse("inbox"))


@require_POST
def messages_read_all(request: HttpRequest) -> HttpResponse:
    services.messages_mark_all_read(user=request.user)
    return HttpResponseRedirect(reverse("inbox"))


# ---------------------------------------------------------------------------------------
