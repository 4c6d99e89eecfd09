from __future__ import annotations

from django.urls import path

from . import review_views, views

urlpatterns = [
    # The year's checklist; the home page ("/", ``home``) is each role's to-do list.
    path("checklist/", views.checklist_overview, name="checklist_overview"),
    # Filing: community staff, and unit staff for their unit's assignments.
    path("workspace/", views.workspace, name="workspace"),
    path("workspace/items/<int:pk>/", views.workspace_item, name="workspace_item"),
    path("workspace/extension/", views.extension_request, name="extension_request"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
    path("evidence/<int:pk>/delete/", views.evidence_delete, name="evidence_delete"),
    # Review: lead units; the street admin; leadership reads.
    path("items/<int:pk>/", review_views.item_detail, name="item_detail"),
    path("review/", review_views.review_queue, name="review_queue"),
    path("review/approve/", review_views.reports_bulk_approve, name="reports_bulk_approve"),
    path("reports/<int:pk>/", review_views.report_detail, name="report_detail"),
    path("reports/<int:pk>/approve/", review_views.report_approve, name="report_approve"),
    path("reports/<int:pk>/return/", review_views.report_return, name="report_return"),
    path("reports/<int:pk>/reopen/", review_views.report_reopen, name="report_reopen"),
    path("extensions/<int:pk>/decide/", review_views.extension_decide, name="extension_decide"),
]
