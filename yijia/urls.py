from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from meetings.views import community_detail
from yijia.health import healthz

admin.site.site_header = "宜居家园目标任务管理"
admin.site.site_title = "宜居家园"
admin.site.index_title = "管理后台"

urlpatterns = [
    # For the load balancer and monitoring: JSON, no sign-in (yijia/health.py).
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    # The language switch works on the login page too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("notifications/", include("notifications.urls")),
    path("meetings/", include("meetings.urls")),
    path("communities/<int:pk>/", community_detail, name="community_detail"),
    path("assessments/", include("assessments.urls")),
    path("search/", include("search.urls")),
    path("audit/", include("audit.urls")),
    # The web API for other systems and scripts (docs/api.md).
    path("api/", include("api.urls")),
    path("", include("home.urls")),
    path("", include("dashboards.urls")),
    path("", include("tasks.urls")),
]

# The portal's error pages (yijia/errors.py, docs/layout.md).
handler400 = "yijia.errors.bad_request"
handler403 = "yijia.errors.permission_denied"
handler404 = "yijia.errors.page_not_found"
handler500 = "yijia.errors.server_error"
