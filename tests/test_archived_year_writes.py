"""An archived year (``Checklist.Status.ARCHIVED``, set by ``checklist_archive``) is read
only, beyond its reports (``test_checklist_roll_over.py``): its score adjustments and
manual scores, urges and meetings are refused in Chinese, and the pages offer no button
that would write."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from assessments.models import ManualScore, Scheme, ScoreAdjustment
from communities.models import Community
from dashboards.models import UrgeNotice
from dashboards.services import urge_send
from meetings.models import Meeting, MeetingAttachment
from meetings.services import (
    meeting_attachment_add,
    meeting_attachment_remove,
    meeting_cancel,
)
from tasks.models import Assignment, Checklist
from tasks.services import checklist_archive
from tests.conftest import assignment_of, frequency_duty, held_meeting
from tests.filing import MINIMAL_PDF, time_travel
from tests.test_assessment_scores import scheme

__all__ = ["scheme"]  # the fixture, used by name

pytestmark = pytest.mark.django_db

ARCHIVED = "该年度清单已归档,只能查看。"


def archive(checklist: Checklist, street_admin: User) -> None:
    checklist_archive(checklist=checklist, by=street_admin)


# Score adjustments and manual scores


def test_the_score_sheet_of_an_archived_year_takes_no_adjustment(
    client: Client, scheme: Scheme, street_admin: User, community_two: Community
) -> None:
    client.force_login(street_admin)
    sheet = f"/assessments/communities/{community_two.pk}/?year=2017"
    adjust = f"/assessments/communities/{community_two.pk}/adjust/?year=2017&live=1"
    with time_travel(2017, 8, 20):
        assert "记录加减分" in client.get(sheet).content.decode()
        archive(scheme.checklist, street_admin)

        page = client.get(sheet).content.decode()
        refused = client.post(adjust, {"points": "4", "reason": "补报材料齐全"}, follow=True)

    assert "记录加减分" not in page and ARCHIVED in page
    assert ARCHIVED in refused.content.decode()
    assert scheme.adjustments.count() == 3  # the fixture's, nothing added


def test_the_admin_adds_no_adjustment_or_manual_score_to_an_archived_year(
    client: Client, scheme: Scheme, street_admin: User, community_two: Community
) -> None:
    archive(scheme.checklist, street_admin)
    client.force_login(street_admin)
    manual = scheme.criteria.get(order=4)

    adjustment = client.post(
        reverse("admin:assessments_scoreadjustment_add"),
        {"scheme": scheme.pk, "community": community_two.pk, "points": "2", "reason": "补录"},
    )
    score = client.post(
        reverse("admin:assessments_manualscore_add"),
        {"criterion": manual.pk, "community": community_two.pk, "points": "40", "note": ""},
    )

    for response in (adjustment, score):
        assert response.status_code == 200
        assert ARCHIVED in response.content.decode()
    assert ScoreAdjustment.objects.count() == 3
    assert ManualScore.objects.count() == 1


def test_the_admin_neither_changes_nor_deletes_an_archived_year_s_manual_score(
    client: Client, scheme: Scheme, street_admin: User
) -> None:
    score = ManualScore.objects.get()
    client.force_login(street_admin)
    change = reverse("admin:assessments_manualscore_change", args=[score.pk])
    assert 'name="points"' in client.get(change).content.decode()
    archive(scheme.checklist, street_admin)

    assert 'name="points"' not in client.get(change).content.decode()
    client.post(
        change, {"criterion": score.criterion_id, "community": score.community_id, "points": "1"}
    )
    deleted = client.post(
        reverse("admin:assessments_manualscore_delete", args=[score.pk]), {"post": "yes"}
    )

    assert deleted.status_code == 403
    score.refresh_from_db()
    assert score.points == Decimal(45)


# Urges


@pytest.fixture
def late_cell(world: Checklist, community_one: Community) -> Assignment:
    """Community one's assignment of item 8, not filed for July: late on 10 August."""
    return assignment_of(world, 8, community_one)


PAGES_WITH_URGE_LINKS = ("/", "/dashboard/", "/dashboard/matrix/")


def test_an_archived_year_s_late_month_is_not_urged(
    client: Client, late_cell: Assignment, world: Checklist, street_admin: User
) -> None:
    urge_page = f"{reverse('dashboard_urge')}?assignment={late_cell.pk}&year=2017&month=7&next=/"
    client.force_login(street_admin)

    def pages() -> dict[str, str]:
        return {
            url: client.get(f"{url}?year=2017&month=7").content.decode()
            for url in PAGES_WITH_URGE_LINKS
        }

    with time_travel(2017, 8, 10):
        assert "发出催办" in client.get(urge_page).content.decode()
        for url, page in pages().items():
            assert "dashboard/urge/?assignment=" in page, url
        archive(world, street_admin)

        with pytest.raises(ValidationError) as refused:
            urge_send(assignment=late_cell, year=2017, month=7, by=street_admin)
        page = client.get(urge_page).content.decode()
        posted = client.post(urge_page, {"text": ""})
        after = pages()

    assert refused.value.messages == [ARCHIVED]
    assert ARCHIVED in page and "发出催办" not in page
    assert posted.status_code == 400 and ARCHIVED in posted.content.decode()
    for url, page in after.items():
        assert "dashboard/urge/?assignment=" not in page, url
    assert not UrgeNotice.objects.exists()


# Meetings


def test_an_archived_year_s_meeting_is_neither_changed_cancelled_nor_given_files(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    street_admin: User,
    evidence_root: object,
) -> None:
    with time_travel(2017, 8, 10):
        meeting = held_meeting(frequency_duty(world, 14), community_one, 8, 2, community_one_staff)
        attachment = meeting_attachment_add(
            meeting=meeting,
            upload=SimpleUploadedFile("签到表.pdf", MINIMAL_PDF),
            by=community_one_staff,
        )
        client.force_login(community_one_staff)
        assert "取消会议" in client.get(f"/meetings/{meeting.pk}/").content.decode()
        archive(world, street_admin)

        attempts = {
            "cancel": lambda: meeting_cancel(meeting=meeting, by=community_one_staff),
            "attach": lambda: meeting_attachment_add(
                meeting=meeting,
                upload=SimpleUploadedFile("照片.pdf", MINIMAL_PDF),
                by=community_one_staff,
            ),
            "take a file off": lambda: meeting_attachment_remove(
                attachment=attachment, by=community_one_staff
            ),
        }
        for action, attempt in attempts.items():
            with pytest.raises(ValidationError) as refused:
                attempt()
            assert refused.value.messages == [ARCHIVED], action

        detail = client.get(f"/meetings/{meeting.pk}/").content.decode()
        edit = client.get(f"/meetings/{meeting.pk}/edit/", follow=True).content.decode()
        cancel = client.post(f"/meetings/{meeting.pk}/cancel/", follow=True).content.decode()

    assert "取消会议" not in detail and f"/meetings/{meeting.pk}/edit/" not in detail
    assert ARCHIVED in edit
    assert ARCHIVED in cancel
    meeting.refresh_from_db()
    assert meeting.state == Meeting.State.HELD
    assert list(MeetingAttachment.objects.all()) == [attachment]
