from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/read/", views.message_read, name="message_read"),
    path("read-all/", views.messages_read_all, name="messages_read_all"),
]
