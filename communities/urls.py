from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("<int:pk>/", views.community_detail, name="community_detail"),
]
