"""The API describes itself: /api/schema/ is a valid OpenAPI 3 document (drf-spectacular's
own validation, warnings refused), with the operations described in Chinese; /api/docs/
shows it with Swagger UI from the portal's own static files, under the portal's CSP
(no inline script or style, no other host)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from django.contrib.auth.models import User
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client

from tests.api import token_client


def test_the_schema_validates_without_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    schema = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert schema["openapi"].startswith("3.")
    operations = {
        (method, address): operation
        for address, methods in schema["paths"].items()
        for method, operation in methods.items()
    }
    assert ("post", "/api/v1/reports/{id}/submit/") in operations
    assert ("get", "/api/v1/summaries/item-months/") in operations
    # Every operation says what it does, in Chinese.
    assert all(re.search(r"[\u4e00-\u9fff]", op.get("summary", "")) for op in operations.values())
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


@pytest.mark.django_db
def test_the_schema_is_served_to_a_signed_in_client_only(community_one_staff: User) -> None:
    assert token_client(None).get("/api/schema/").status_code == 401
    response = token_client(community_one_staff).get("/api/schema/?format=json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "宜居家园目标任务清单门户 API"


@pytest.mark.django_db
def test_the_documentation_page_runs_under_the_portal_s_csp(
    client: Client, community_one_staff: User
) -> None:
    anonymous = client.get("/api/docs/")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")

    client.force_login(community_one_staff)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    policy = response["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    # Nothing inline: every script is a file, no <style> element.
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    assert "<style" not in page
    # The files are the portal's: the sidecar's static files, and the start script.
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert all(source.startswith("/") for source in sources)
    for source in sources:
        if source.startswith("/static/"):
            assert finders.find(source.removeprefix("/static/")), source
    [start] = [source for source in sources if "script=" in source]
    script = client.get(start.replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()
