"""Helpers the API tests share: a client signed in with a user's token, and a report's
content as a system sends it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from rest_framework.test import APIClient

from api.services import api_token_issue
from tasks.models import Assignment, ProgressReport, Target
from tests.filing import REGISTER_REASON, TYPED


def token_client(user: User | None) -> APIClient:
    """A client sending ``user``'s token (an anonymous one for None), as another system
    would: no session, no CSRF token."""
    client = APIClient(enforce_csrf_checks=True)
    if user is not None:
        token = api_token_issue(user=user, by=None)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def typed_values(assignment: Assignment) -> list[dict[str, Any]]:
    """A figure for every target the party types (``tests.filing.TYPED``), as JSON."""
    values = []
    for target in assignment.targets():
        if target.is_judged_from_register:
            continue
        given: dict[str, Any] = {"target": target.pk}
        for column, text in TYPED[Target.Kind(target.kind)].items():
            if column == "is_done":
                given[column] = text == "yes"
            elif column == "achieved_on":
                given[column] = text
            else:
                given[column] = int(text)
        if target.kind == Target.Kind.RATE:
            given["denominator_reason"] = REGISTER_REASON
        values.append(given)
    return values


def report_body(assignment: Assignment, *, month: int = 7, **changes: Any) -> dict[str, Any]:
    """A new report of ``assignment`` for a 2017 month, every target filled, 推进中."""
    return {
        "assignment": assignment.pk,
        "year": 2017,
        "month": month,
        "status": ProgressReport.Status.IN_PROGRESS,
        "narrative": "已走访各小区。",
        "values": typed_values(assignment),
        **changes,
    }
