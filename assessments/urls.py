from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.ranking, name="ranking"),
    path("reviews/", views.review_record, name="review_record"),
    path("communities/<int:pk>/", views.score_sheet, name="score_sheet"),
    path("communities/<int:pk>/adjust/", views.adjust, name="score_adjust"),
    path("publish/", views.publish, name="scores_publish"),
    path("export/", views.export, name="scores_export"),
]
