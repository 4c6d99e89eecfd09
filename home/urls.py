from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    # Each role's to-do list. Many templates and redirects name it ``home``.
    path("", views.home, name="home"),
]
