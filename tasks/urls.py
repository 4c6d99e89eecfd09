from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("items/<int:pk>/", views.item_detail, name="item_detail"),
]
