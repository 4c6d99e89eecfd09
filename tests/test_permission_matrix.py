"""Every page × every role × own or another's object: a user sees and changes only what their
role and their community or unit allow.

The rule: an object the user may not see answers 404 (nobody learns that another
community's report exists); a page or action the user's role does not allow on an object
they may see answers 403; an anonymous visitor is sent to the login page. Never a 500.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from communities.models import Community, Unit
from meetings.models import Meeting, MeetingAttachment
from meetings.services import meeting_attachment_add
from tasks.models import Checklist, DeadlineExtension, Evidence, ProgressReport, TargetValue
from tasks.services import (
    evidence_add,
    extension_request,
    progress_report_approve,
    progress_report_submit,
)

from .conftest import frequency_duty, held_meeting
from .filing import file_item_report

ROLES = ("anonymous", "own", "other", "reviewer", "other_lead", "street_admin", "leader")

# Anonymous visitors always go to the login page; the expectations below are for the rest.
LOGIN = "login"


@dataclass
class Objects:
    submitted: ProgressReport  # item 8 (led by 房管所), community one, submitted
    draft: ProgressReport  # item 1 (led by 社区党建办), community one, draft
    approved: ProgressReport  # item 7 (led by 房管所), community one, approved
    evidence: Evidence  # on the submitted report
    draft_evidence: Evidence  # on the draft report
    extension: DeadlineExtension  # pending, item 8, community one
    meeting: Meeting  # item 3's decision meeting (led by 社区党建办), community one, held
    street_meeting: Meeting  # item 14's street-level joint meeting (led by 社区自治办)
    meeting_file: MeetingAttachment  # on the community's meeting


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def objects(
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    housing_staff: User,
    street_admin: User,
    august_3rd_2017: object,
) -> Objects:
    submitted = file_item_report(world, 8, community_one, community_one_staff, submit=False)
    evidence = evidence_add(
        report=submitted,
        upload=SimpleUploadedFile("photo.png", PNG),
        kind=Evidence.Kind.PHOTO,
        by=community_one_staff,
    )
    submitted = progress_report_submit(report=submitted, by=community_one_staff)
    draft = file_item_report(world, 1, community_one, community_one_staff, submit=False)
    draft_evidence = evidence_add(
        report=draft,
        upload=SimpleUploadedFile("photo.png", PNG),
        kind=Evidence.Kind.PHOTO,
        by=community_one_staff,
    )
    approved = file_item_report(world, 7, community_one, community_one_staff, submit=False)
    approved = progress_report_submit(report=approved, by=community_one_staff)
    approved = progress_report_approve(report=approved, by=housing_staff)
    extension = extension_request(
        assignment=submitted.assignment,
        year=2017,
        month=8,
        requested_deadline=datetime.date(2017, 9, 15),
        reason="台风影响",
        by=community_one_staff,
    )
    meeting = held_meeting(frequency_duty(world, 3), community_one, 8, 1, community_one_staff)
    meeting_file = meeting_attachment_add(
        meeting=meeting, upload=SimpleUploadedFile("签到表.png", PNG), by=community_one_staff
    )
    street_meeting = held_meeting(frequency_duty(world, 14, street=True), None, 7, 28, street_admin)
    return Objects(
        submitted,
        draft,
        approved,
        evidence,
        draft_evidence,
        extension,
        meeting,
        street_meeting,
        meeting_file,
    )


@pytest.fixture
def people(
    community_one_staff: User,
    community_two_staff: User,
    housing_staff: User,
    party_building_staff: User,
    street_admin: User,
    leader: User,
) -> dict[str, User | None]:
    return {
        "anonymous": None,
        "own": community_one_staff,  # files for community one
        "other": community_two_staff,  # another community
        "reviewer": housing_staff,  # leads items 7 and 8
        "other_lead": party_building_staff,  # leads item 1, not 7 or 8
        "street_admin": street_admin,
        "leader": leader,
    }


# (name, method, url(objects), data, expected status per role; "ok" is 200 for GET and a
# redirect for a successful POST)
def _pages() -> list[
    tuple[str, str, Callable[[Objects], str], dict[str, str], Mapping[str, object]]
]:
    everyone = dict.fromkeys(ROLES[1:], 200)
    return [
        ("home", "get", lambda o: "/", {}, everyone),
        ("checklist", "get", lambda o: "/checklist/", {}, everyone),
        ("item", "get", lambda o: f"/items/{o.submitted.assignment.item_id}/", {}, everyone),
        (
            "workspace",
            "get",
            lambda o: "/workspace/?year=2017&month=7",
            {},
            # units file too (房管所 item 15, every unit item 30); leadership files nothing
            {**everyone, "leader": 403},
        ),
        (
            "review queue",
            "get",
            lambda o: "/review/",
            {},
            {**everyone, "own": 403, "other": 403},
        ),
        (
            "submitted report",
            "get",
            lambda o: f"/reports/{o.submitted.pk}/",
            {},
            {**everyone, "other": 404, "other_lead": 404},
        ),
        (
            "draft report",
            "get",
            lambda o: f"/reports/{o.draft.pk}/",
            {},
            # a draft is the community's own: lead units do not see it yet
            {**everyone, "other": 404, "reviewer": 404, "other_lead": 404},
        ),
        (
            "evidence file",
            "get",
            lambda o: f"/evidence/{o.evidence.pk}/",
            {},
            {**everyone, "other": 404, "other_lead": 404},
        ),
        (
            "draft evidence file",
            "get",
            lambda o: f"/evidence/{o.draft_evidence.pk}/",
            {},
            {**everyone, "other": 404, "reviewer": 404, "other_lead": 404},
        ),
        (
            "approve",
            "post",
            lambda o: f"/reports/{o.submitted.pk}/approve/",
            {"comment": ""},
            {
                "own": 403,
                "other": 404,
                "reviewer": "ok",
                "other_lead": 404,
                "street_admin": 403,
                "leader": 403,
            },
        ),
        (
            "return",
            "post",
            lambda o: f"/reports/{o.submitted.pk}/return/",
            {"comment": "请补充照片"},
            {
                "own": 403,
                "other": 404,
                "reviewer": "ok",
                "other_lead": 404,
                "street_admin": 403,
                "leader": 403,
            },
        ),
        (
            "reopen",
            "post",
            lambda o: f"/reports/{o.approved.pk}/reopen/",
            {"reason": "数据有误"},
            {
                "own": 403,
                "other": 404,
                "reviewer": 403,
                "other_lead": 404,
                "street_admin": "ok",
                "leader": 403,
            },
        ),
        (
            "decide extension",
            "post",
            lambda o: f"/extensions/{o.extension.pk}/decide/",
            {"grant": "1", "comment": ""},
            {
                "own": 403,
                "other": 404,
                "reviewer": "ok",
                "other_lead": 404,
                "street_admin": 403,
                "leader": 403,
            },
        ),
        # 批量通过: only a lead unit, only reports on its items (others' are 404, reports
        # it may see but not review 403); a user who reviews nothing is refused at once.
        (
            "bulk approve confirmation",
            "get",
            lambda o: f"/review/approve/?reports={o.submitted.pk}",
            {},
            {
                "own": 403,
                "other": 403,
                "reviewer": 200,
                "other_lead": 404,
                "street_admin": 403,
                "leader": 403,
            },
        ),
        (
            "bulk approve",
            "post",
            lambda o: "/review/approve/",
            {},  # filled in the test: the submitted report
            {
                "own": 403,
                "other": 403,
                "reviewer": "ok",
                "other_lead": 404,
                "street_admin": 403,
                "leader": 403,
            },
        ),
        # The search finds, for everyone, only what they may open (tests/test_search.py).
        ("search", "get", lambda o: "/search/?q=8", {}, everyone),
        (
            "delete draft evidence",
            "post",
            lambda o: f"/evidence/{o.draft_evidence.pk}/delete/",
            {},
            {
                "own": "ok",
                "other": 404,
                "reviewer": 404,
                "other_lead": 404,
                "street_admin": 403,
                "leader": 403,
            },
        ),
        (
            "request extension",
            "post",
            lambda o: "/workspace/extension/",
            {},  # filled in the test: community one's assignment
            {**dict.fromkeys(ROLES[1:], "refused"), "own": "ok"},
        ),
        # Meetings: a community's staff record their own community's; the duty's lead unit
        # (社区党建办 for item 3: "other_lead" here) any community's; the street admin all.
        # Unit staff see every community's meetings; leadership reads and changes nothing.
        ("meetings", "get", lambda o: "/meetings/", {}, everyone),
        (
            "new meeting",
            "get",
            lambda o: "/meetings/new/",
            {},
            # 房管所 leads none of the recurring duties (items 3, 14, 16)
            {**everyone, "reviewer": 403, "leader": 403},
        ),
        (
            "community meeting",
            "get",
            lambda o: f"/meetings/{o.meeting.pk}/",
            {},
            {**everyone, "other": 404},
        ),
        ("street meeting", "get", lambda o: f"/meetings/{o.street_meeting.pk}/", {}, everyone),
        (
            "meeting file",
            "get",
            lambda o: f"/meetings/attachments/{o.meeting_file.pk}/",
            {},
            {**everyone, "other": 404},
        ),
        (
            "edit community meeting",
            "get",
            lambda o: f"/meetings/{o.meeting.pk}/edit/",
            {},
            {**everyone, "other": 404, "reviewer": 403, "leader": 403},
        ),
        (
            "edit street meeting",
            "get",
            lambda o: f"/meetings/{o.street_meeting.pk}/edit/",
            {},
            {**dict.fromkeys(ROLES[1:], 403), "street_admin": 200},
        ),
        (
            "record meeting",
            "post",
            lambda o: "/meetings/new/",
            {},  # filled in the test: item 3's meeting of community one
            {
                "own": "ok",
                "other": 400,  # community one is not among its choices
                "reviewer": 403,
                "other_lead": "ok",
                "street_admin": "ok",
                "leader": 403,
            },
        ),
        (
            "change community meeting",
            "post",
            lambda o: f"/meetings/{o.meeting.pk}/edit/",
            {},  # filled in the test
            {
                "own": "ok",
                "other": 404,
                "reviewer": 403,
                "other_lead": "ok",
                "street_admin": "ok",
                "leader": 403,
            },
        ),
        (
            "cancel community meeting",
            "post",
            lambda o: f"/meetings/{o.meeting.pk}/cancel/",
            {},
            {
                "own": "ok",
                "other": 404,
                "reviewer": 403,
                "other_lead": "ok",
                "street_admin": "ok",
                "leader": 403,
            },
        ),
        (
            "cancel street meeting",
            "post",
            lambda o: f"/meetings/{o.street_meeting.pk}/cancel/",
            {},
            {**dict.fromkeys(ROLES[1:], 403), "street_admin": "ok"},
        ),
        (
            "delete meeting file",
            "post",
            lambda o: f"/meetings/attachments/{o.meeting_file.pk}/delete/",
            {},
            {
                "own": "ok",
                "other": 404,
                "reviewer": 403,
                "other_lead": "ok",
                "street_admin": "ok",
                "leader": 403,
            },
        ),
        (
            "community page",
            "get",
            lambda o: f"/communities/{o.meeting.community_id}/",
            {},
            {**everyone, "other": 404},
        ),
    ]


PAGES = _pages()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", PAGES, ids=[page[0] for page in PAGES])
def test_each_role_reaches_only_what_it_may(
    client: Client,
    objects: Objects,
    people: dict[str, User | None],
    page: tuple[str, str, Callable[[Objects], str], dict[str, str], Mapping[str, object]],
    role: str,
) -> None:
    name, method, url_of, data, expected_by_role = page
    user = people[role]
    if user is not None:
        client.force_login(user)
    url = url_of(objects)
    if name == "request extension":
        data = {
            "assignment": str(objects.draft.assignment_id),
            "requested_deadline": "2017-09-20",
            "reason": "人手不足",
            "year": "2017",
            "month": "8",
        }
    if name == "bulk approve":
        data = {"reports": str(objects.submitted.pk), "comment": ""}
    if name in ("record meeting", "change community meeting"):
        data = _meeting_form(objects)
    before = _state(objects)
    response = getattr(client, method)(url, data)

    if role == "anonymous":
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
        assert _state(objects) == before
        return
    expected = expected_by_role[role]
    if name == "request extension":
        # The form only offers the user's own assignments: another's is refused, nothing made.
        created = DeadlineExtension.objects.filter(
            assignment=objects.draft.assignment, month=8
        ).exists()
        assert response.status_code == 302
        assert created == (expected == "ok")
        return
    if expected == "ok":
        assert response.status_code == (200 if method == "get" else 302), response.content[:500]
        if method == "post":
            assert _state(objects) != before, "the permitted action changed nothing"
    else:
        assert response.status_code == expected, response.content[:300]
        if method == "post":
            assert _state(objects) == before, "a refused action changed something"


def _meeting_form(objects: Objects) -> dict[str, str]:
    """Item 3's decision meeting of community one, held on 2 August, as the form posts it."""
    return {
        "duty": str(objects.meeting.target_id),
        "community": str(objects.meeting.community_id),
        "state": "held",
        "starts_at": "2017-08-02T09:30",
        "place": "居委会会议室",
        "minutes": "议定:加装电梯意见征询。",
    }


def _state(objects: Objects) -> tuple[object, ...]:
    """What a POST could change: report states, evidence, the extension, meetings and their
    files."""
    reports = tuple(
        ProgressReport.objects.filter(
            pk__in=[objects.submitted.pk, objects.draft.pk, objects.approved.pk]
        )
        .order_by("pk")
        .values_list("workflow_state", "version")
    )
    return (
        reports,
        Evidence.objects.count(),
        tuple(DeadlineExtension.objects.order_by("pk").values_list("state", flat=True)),
        TargetValue.objects.count(),
        tuple(Meeting.objects.order_by("pk").values_list("state", "starts_at", "minutes")),
        MeetingAttachment.objects.count(),
    )


def test_a_unit_member_files_only_for_its_unit(
    client: Client, objects: Objects, housing_staff: User, world: Checklist
) -> None:
    client.force_login(housing_staff)
    response = client.get("/workspace/?year=2017&month=7")
    parties = set(response.context["groups"])
    assert parties == {"房管所"}
    items = {row["assignment"].item.number for row in response.context["groups"]["房管所"]}
    assert items == {15, 30}  # named unit of item 15, joint-meeting member for item 30
    assert Unit.objects.get(name="房管所").assignments.count() == 2
