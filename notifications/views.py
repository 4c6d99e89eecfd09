from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.http import local_url, logged_in_user
from core.periods import query_page

from . import services
from .models import Message

INBOX_PAGE_SIZE = 30


def inbox(request: HttpRequest) -> HttpResponse:
    """消息: the user's messages, newest first, unread ones marked."""
    messages = Message.objects.for_user(logged_in_user(request)).order_by("-created_at", "-pk")
    if request.GET.get("unread"):
        messages = messages.unread()
    page = query_page(request, Paginator(messages, INBOX_PAGE_SIZE))
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "unread_only": bool(request.GET.get("unread"))},
    )


@require_POST
def message_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one message read; with ``open`` go on to the page it links to."""
    user = logged_in_user(request)
    message = get_object_or_404(Message.objects.for_user(user), pk=pk)
    services.message_mark_read(message=message, user=user)
    if request.POST.get("open") and message.url:
        if local_url(request, message.url):
            return HttpResponseRedirect(message.url)
    return HttpResponseRedirect(reverse("inbox"))


@require_POST
def messages_read_all(request: HttpRequest) -> HttpResponse:
    services.messages_mark_all_read(user=logged_in_user(request))
    return HttpResponseRedirect(reverse("inbox"))


# ---------------------------------------------------------------------------------------
