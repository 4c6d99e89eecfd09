from __future__ import annotations

from django.urls import path

from . import ledger_views, views

# Mounted at the root (yijia/urls.py): the dashboards under dashboard/, the ledgers under
# ledger/, and the urging notices under notifications/urges/, where the links already in
# people's inboxes and email point.
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/matrix/", views.matrix, name="dashboard_matrix"),
    path("dashboard/briefing/", views.briefing, name="dashboard_briefing"),
    path("dashboard/urge/", views.urge, name="dashboard_urge"),
    path("notifications/urges/<int:pk>/", views.urge_detail, name="urge_detail"),
    path(
        "notifications/urges/<int:pk>/acknowledge/",
        views.urge_acknowledge,
        name="urge_acknowledge",
    ),
    path("ledger/month/", ledger_views.ledger_month, name="ledger_month"),
    path("ledger/items/<int:pk>/", ledger_views.ledger_item, name="ledger_item"),
    path("ledger/communities/<int:pk>/", ledger_views.ledger_community, name="ledger_community"),
]
