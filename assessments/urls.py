from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("matrix/", views.matrix, name="dashboard_matrix"),
    path("briefing/", views.briefing, name="dashboard_briefing"),
    path("urge/", views.urge, name="dashboard_urge"),
]
