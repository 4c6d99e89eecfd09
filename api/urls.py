"""/api/v1/… (the endpoints), /api/schema/ (OpenAPI 3) and /api/docs/ (its page)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.include_root_view = False
router.register("checklists", views.ChecklistViewSet, basename="api-checklist")
router.register("items", views.ItemViewSet, basename="api-item")
router.register("assignments", views.AssignmentViewSet, basename="api-assignment")
router.register("reports", views.ReportViewSet, basename="api-report")
router.register(
    "summaries/assignment-months", views.AssignmentMonthViewSet, basename="api-assignment-month"
)
router.register("summaries/party-months", views.PartyMonthViewSet, basename="api-party-month")
router.register("summaries/item-months", views.ItemMonthViewSet, basename="api-item-month")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The documentation page for a signed-in person (the login page otherwise). Its
    # script is a file of its own (?script=), so that the CSP needs no inline script.
    path(
        "docs/",
        login_required(
            SpectacularSwaggerSplitView.as_view(
                url_name="api-schema", template_name="api/swagger_ui.html"
            )
        ),
        name="api-docs",
    ),
]
