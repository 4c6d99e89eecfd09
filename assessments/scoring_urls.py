from __future__ import annotations

from django.urls import path

from . import scoring_views

urlpatterns = [
    path("", scoring_views.ranking, name="ranking"),
    path("communities/<int:pk>/", scoring_views.score_sheet, name="score_sheet"),
    path("communities/<int:pk>/adjust/", scoring_views.adjust, name="score_adjust"),
    path("publish/", scoring_views.publish, name="scores_publish"),
    path("export/", scoring_views.export, name="scores_export"),
]
