"""The permission matrix of the pages (tests/test_permission_matrix.py), over the API:
every endpoint × every role, on the same objects. The same answers as the pages: an object
the user may not see is 404, an action their role does not allow on an object they see is
403; an anonymous request is 401 (the API has no login page to send it to). A refused
write changes nothing. And no list shows a report, an assignment or a summary row of a
community the user does not belong to."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction

from communities.models import Community
from tasks.models import Checklist, ProgressReport
from tests.api import report_body, token_client, typed_values
from tests.conftest import assignment_of
from tests.test_permission_matrix import ROLES, Objects, _state, objects, people  # noqa: F401

EVERYONE = dict.fromkeys(ROLES[1:], 200)
# The lead units, the street admin and leadership read every party's rows (the matrix).
DASHBOARD_READERS = {**EVERYONE, "own": 403, "other": 403}

# (name, method, url(objects), body(objects, world), expected status per role)
Body = Callable[[Objects, Checklist], dict[str, Any]]
ENDPOINTS: list[tuple[str, str, Callable[[Objects], str], Body | None, Mapping[str, int]]] = [
    ("checklists", "get", lambda o: "/api/v1/checklists/", None, EVERYONE),
    (
        "checklist",
        "get",
        lambda o: f"/api/v1/checklists/{o.submitted.assignment.item.checklist_id}/",
        None,
        EVERYONE,
    ),
    ("items", "get", lambda o: "/api/v1/items/?year=2017", None, EVERYONE),
    (
        "item",
        "get",
        lambda o: f"/api/v1/items/{o.submitted.assignment.item_id}/",
        None,
        EVERYONE,
    ),
    ("assignments", "get", lambda o: "/api/v1/assignments/", None, EVERYONE),
    (
        "own assignment",
        "get",
        lambda o: f"/api/v1/assignments/{o.submitted.assignment_id}/",
        None,
        {**EVERYONE, "other": 404},
    ),
    ("reports", "get", lambda o: "/api/v1/reports/", None, EVERYONE),
    (
        "submitted report",
        "get",
        lambda o: f"/api/v1/reports/{o.submitted.pk}/",
        None,
        {**EVERYONE, "other": 404, "other_lead": 404},
    ),
    (
        "draft report",
        "get",
        lambda o: f"/api/v1/reports/{o.draft.pk}/",
        None,
        # a draft is the community's own: lead units do not see it yet
        {**EVERYONE, "other": 404, "reviewer": 404, "other_lead": 404},
    ),
    (
        "assignment months",
        "get",
        lambda o: "/api/v1/summaries/assignment-months/?year=2017&month=7",
        None,
        EVERYONE,
    ),
    (
        "party months",
        "get",
        lambda o: "/api/v1/summaries/party-months/?year=2017",
        None,
        EVERYONE,
    ),
    (
        "item months",
        "get",
        lambda o: "/api/v1/summaries/item-months/?year=2017",
        None,
        DASHBOARD_READERS,
    ),
    (
        "file a report",
        "post",
        lambda o: "/api/v1/reports/",
        # item 8 of community one, for August (July's is submitted)
        lambda o, world: report_body(o.submitted.assignment, month=8),
        {
            "own": 201,
            "other": 404,
            "reviewer": 404,
            "other_lead": 404,
            "street_admin": 403,  # sees every party, files for none
            "leader": 403,
        },
    ),
    (
        "change a draft",
        "put",
        lambda o: f"/api/v1/reports/{o.draft.pk}/",
        lambda o, world: {
            "status": "in_progress",
            "narrative": "补充了照片。",
            "values": typed_values(o.draft.assignment),
            "version": o.draft.version,
        },
        {
            "own": 200,
            "other": 404,
            "reviewer": 404,
            "other_lead": 404,
            "street_admin": 403,
            "leader": 403,
        },
    ),
    (
        "submit",
        "post",
        lambda o: f"/api/v1/reports/{o.draft.pk}/submit/",
        lambda o, world: {},
        {
            "own": 200,
            "other": 404,
            "reviewer": 404,
            "other_lead": 404,
            "street_admin": 403,
            "leader": 403,
        },
    ),
    (
        "approve",
        "post",
        lambda o: f"/api/v1/reports/{o.submitted.pk}/approve/",
        lambda o, world: {"comment": ""},
        {
            "own": 403,
            "other": 404,
            "reviewer": 200,
            "other_lead": 404,
            "street_admin": 403,
            "leader": 403,
        },
    ),
    (
        "return",
        "post",
        lambda o: f"/api/v1/reports/{o.submitted.pk}/return/",
        lambda o, world: {"comment": "请补充照片"},
        {
            "own": 403,
            "other": 404,
            "reviewer": 200,
            "other_lead": 404,
            "street_admin": 403,
            "leader": 403,
        },
    ),
]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_only_what_it_may_through_the_api(
    objects: Objects,  # noqa: F811 (the page matrix's fixture)
    people: dict[str, User | None],  # noqa: F811
    world: Checklist,
    role: str,
) -> None:
    """Every endpoint for one role (the objects are built once a role: each write is
    undone before the next endpoint is asked)."""
    client = token_client(people[role])
    wrong = []
    for name, method, url_of, body_of, expected_by_role in ENDPOINTS:
        with transaction.atomic():
            body = body_of(objects, world) if body_of is not None else None
            before = (_state(objects), ProgressReport.objects.count())
            response = getattr(client, method)(url_of(objects), body, format="json")
            changed = (_state(objects), ProgressReport.objects.count()) != before
            transaction.set_rollback(True)  # the next endpoint finds the objects as built
        expected = 401 if role == "anonymous" else expected_by_role[role]
        if response.status_code != expected:
            wrong.append(
                f"{name}: {response.status_code}, not {expected}: {response.content[:200]!r}"
            )
            continue
        if expected == 401:
            assert response["WWW-Authenticate"] == "Token"  # what to sign in with
        if method == "get":
            continue
        if expected < 300 and not changed:
            wrong.append(f"{name}: the permitted action changed nothing")
        if expected >= 300:
            if changed:
                wrong.append(f"{name}: a refused action changed something")
            assert response.json()["detail"]  # the refusal says why
    assert not wrong, "\n".join(wrong)


def _ids(client: Any, url: str) -> list[dict[str, Any]]:
    rows = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        rows += response.json()["results"]
        url = response.json()["next"]
    return rows


# What each role's report list holds: the page matrix's rule, as ``visible_to`` says it.
REPORTS_SEEN = {
    "own": {"submitted", "draft", "approved"},
    "other": set(),
    "reviewer": {"submitted", "approved"},  # items 7 and 8; the draft is not its to see
    "other_lead": set(),  # leads item 1, whose report is a draft
    "street_admin": {"submitted", "draft", "approved"},
    "leader": {"submitted", "draft", "approved"},
}


@pytest.mark.parametrize("role", ROLES[1:])
def test_no_list_shows_a_report_of_another_community(
    objects: Objects,  # noqa: F811
    people: dict[str, User | None],  # noqa: F811
    community_one: Community,
    community_two: Community,
    role: str,
) -> None:
    client = token_client(people[role])
    names = {objects.submitted.pk: "submitted", objects.draft.pk: "draft"}
    names[objects.approved.pk] = "approved"
    reports = _ids(client, "/api/v1/reports/")
    assert {names[row["id"]] for row in reports} == REPORTS_SEEN[role]
    assert len(reports) == len(REPORTS_SEEN[role])

    cells = _ids(client, "/api/v1/summaries/assignment-months/?year=2017&month=7")
    parties = _ids(client, "/api/v1/summaries/party-months/?year=2017&month=7")
    assignments = _ids(client, "/api/v1/assignments/?year=2017")
    seen = {row["community"] for row in cells + parties if row["community"]}
    seen |= {row["community"]["id"] for row in assignments if row["community"]}
    if role == "own":
        assert seen == {community_one.pk}
    elif role == "other":
        assert seen == {community_two.pk}
    else:  # whoever reads the dashboards sees every party, as the matrix shows them
        assert seen == {community_one.pk, community_two.pk}


def test_a_community_staff_member_reads_only_its_own_figures(
    objects: Objects,  # noqa: F811
    community_two_staff: User,
    community_one: Community,
    world: Checklist,
) -> None:
    client = token_client(community_two_staff)
    own_assignment = assignment_of(world, 8, community_one)
    for url in (
        f"/api/v1/reports/?community={community_one.pk}",
        f"/api/v1/assignments/?community={community_one.pk}",
        f"/api/v1/summaries/assignment-months/?community={community_one.pk}",
        f"/api/v1/summaries/party-months/?community={community_one.pk}",
        f"/api/v1/summaries/assignment-months/?item={own_assignment.item_id}&year=2017",
    ):
        response = client.get(url)
        assert response.status_code == 200
        rows = response.json()["results"]
        communities = {
            (row["community"]["id"] if isinstance(row["community"], dict) else row["community"])
            for row in rows
            if row.get("community")
        }
        assert community_one.pk not in communities, url
