"""The API's documentation page (/api/docs/) runs in Chromium under the portal's CSP:
Swagger UI from the sidecar's static files draws every operation of the schema, and the
browser reports no violation and asks no other host."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from .conftest import Screenshot
from .test_content_security_policy import Walk

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_the_documentation_page_draws_the_operations_under_the_policy(
    live_server: LiveServer, page: Page, screenshot: Screenshot
) -> None:
    User.objects.create_user("system", password="x-Unused-1234")
    walk = Walk(page, live_server.url)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    walk.sign_in("system")

    violations = walk.visit("/api/docs/")
    expect(page.locator(".opblock").first).to_be_visible(timeout=15_000)
    assert page.locator(".opblock").count() >= 14  # every operation of /api/v1/
    expect(page.locator(".opblock-summary-description").first).to_contain_text("列表")
    violations += walk.violations("/api/docs/ drawn")
    screenshot(page, "api-docs")

    assert violations == [], violations
    assert walk.console == [], walk.console
    assert all(url.startswith(live_server.url) or url.startswith("data:") for url in requested)
