from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.meeting_list, name="meeting_list"),
    path("new/", views.meeting_create, name="meeting_create"),
    path("<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("<int:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("<int:pk>/cancel/", views.meeting_cancel, name="meeting_cancel"),
    path(
        "attachments/<int:pk>/",
        views.meeting_attachment_download,
        name="meeting_attachment_download",
    ),
    path(
        "attachments/<int:pk>/delete/",
        views.meeting_attachment_delete,
        name="meeting_attachment_delete",
    ),
]
