from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/read/", views.message_read, name="message_read"),
    path("read-all/", views.messages_read_all, name="messages_read_all"),
    path("urges/send/", views.urge_send, name="urge_send"),
    path("urges/<int:pk>/", views.urge_detail, name="urge_detail"),
    path("urges/<int:pk>/acknowledge/", views.urge_acknowledge, name="urge_acknowledge"),
]
