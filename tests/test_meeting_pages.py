"""The meetings pages: recording a meeting with its files through the form, a rejected form
that keeps what was typed and saves nothing, changing and cancelling a meeting, its files,
and the list with the office's compliance table."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from communities.models import Community
from communities.roles import Role
from meetings.models import Meeting, MeetingAttachment
from tasks.models import Checklist, Item
from tasks.services import assignments_generate
from tests.filing import MINIMAL_PDF, stored_files

from .conftest import SHANGHAI, _person, frequency_duty, held_meeting


@pytest.fixture(autouse=True)
def august_10th_2017() -> Any:
    """Thursday 10 August 2017, 10:00 in Shanghai."""
    with time_machine.travel(
        datetime.datetime(2017, 8, 10, 10, 0, tzinfo=SHANGHAI), tick=False
    ) as traveller:
        yield traveller


def form_data(checklist: Checklist, party: Community | None, **changes: Any) -> dict[str, Any]:
    """A community's fortnightly joint meeting held on 2 August, as the form posts it."""
    data: dict[str, Any] = {
        "duty": str(frequency_duty(checklist, 14).pk),
        "community": str(party.pk) if party else "",
        "state": "held",
        "starts_at": "2017-08-02T14:30",
        "place": "一号小区活动室",
        "topics": "一号小区停车难问题",
        "other_attendees": "甲物业 王经理\n业委会 李主任",
        "minutes": "议定:物业于8月底前划定临时停车位。",
        "items": [str(checklist.items.get(number=14).pk)],
    }
    data.update(changes)
    return data


def test_community_staff_record_a_held_meeting_with_its_sign_in_sheet(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    housing_staff: User,
    evidence_root: Path,
) -> None:
    client.force_login(community_one_staff)
    page = client.get("/meetings/new/")
    assert page.status_code == 200
    offered = [str(label) for _, label in page.context["form"].fields["duty"].choices]
    # items 3, 14 (community level) and 16: not the street's meeting
    assert offered == [
        "请选择",
        "3. 议事平台每月共同商议决策(每月)",
        "14. 社区层面联席会议(每两周)",
        "16. 居委会与城管执法每周联系(每周)",
    ]

    data = form_data(
        world,
        community_one,
        attendees=[str(community_one_staff.pk), str(housing_staff.pk)],
        attachments=SimpleUploadedFile("签到表.pdf", MINIMAL_PDF),
    )
    response = client.post("/meetings/new/", data)

    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/meetings/{meeting.pk}/"
    assert meeting.state == Meeting.State.HELD
    assert meeting.community == community_one and meeting.target.item.number == 14
    assert meeting.starts_at == datetime.datetime(2017, 8, 2, 14, 30, tzinfo=SHANGHAI)
    assert meeting.place == "一号小区活动室"
    assert meeting.recorded_by == community_one_staff
    assert set(meeting.attendees.all()) == {community_one_staff, housing_staff}
    assert meeting.other_attendee_names() == ["甲物业 王经理", "业委会 李主任"]
    assert [item.number for item in meeting.items.all()] == [14]
    attachment = meeting.attachments.get()
    assert (attachment.original_name, attachment.content_type) == ("签到表.pdf", "application/pdf")
    stored = stored_files(evidence_root)
    assert len(stored) == 1 and stored[0].parent.name == str(meeting.pk)
    assert "签到表" not in stored[0].name  # stored under a random name

    detail = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert "议定:物业于8月底前划定临时停车位。" in detail
    assert "甲物业 王经理" in detail and "已召开" in detail
    download = client.get(f"/meetings/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == MINIMAL_PDF  # type: ignore[attr-defined]
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"


def test_a_rejected_form_keeps_what_was_typed_and_saves_nothing(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    evidence_root: Path,
) -> None:
    client.force_login(community_one_staff)
    data = form_data(
        world,
        community_one,
        starts_at="2017-08-20T09:00",  # held, but still to come
        place="二号小区会所",
        attachments=[
            SimpleUploadedFile("照片.png", b"this is not a picture"),
            SimpleUploadedFile("纪要.pdf", MINIMAL_PDF),
        ],
    )
    response = client.post("/meetings/new/", data)

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["starts_at"] == ["会议时间在将来,不能记为已召开;请选择“已安排”。"]
    assert "照片.png" in errors["attachments"][0]
    page = response.content.decode()
    assert "什么都还没有保存" in page
    assert 'value="二号小区会所"' in page and "议定:物业于8月底前划定临时停车位。" in page
    assert 'value="2017-08-20T09:00"' in page
    assert not Meeting.objects.exists()
    assert not MeetingAttachment.objects.exists()
    assert stored_files(evidence_root) == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"community": ""}, "community", "请选择开展这项例行工作的社区。"),
        ({"starts_at": "2016-12-30T09:00"}, "starts_at", "会议时间须在 2017 年内。"),
        ({"starts_at": "明天下午"}, "starts_at", "时间格式不对,请按“2017-07-14 14:00”填写。"),
        ({"minutes": ""}, "minutes", "已召开的会议请填写会议纪要,或上传会议记录、签到表等附件。"),
        ({"duty": ""}, "duty", "请选择例行工作。"),
    ],
)
def test_each_bad_input_gets_its_message_at_its_field(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    client.force_login(community_one_staff)
    response = client.post("/meetings/new/", form_data(world, community_one, **changes))
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert not Meeting.objects.exists()


def test_community_staff_cannot_record_for_another_community_or_invite_its_staff(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_two: Community,
    community_one_staff: User,
    community_two_staff: User,
) -> None:
    client.force_login(community_one_staff)
    response = client.post("/meetings/new/", form_data(world, community_two))
    assert response.status_code == 400
    assert "community" in response.context["form"].errors
    # The other community's staff are not even offered as attendees.
    response = client.post(
        "/meetings/new/", form_data(world, community_one, attendees=[str(community_two_staff.pk)])
    )
    assert response.status_code == 400
    assert "attendees" in response.context["form"].errors
    assert not Meeting.objects.exists()


def test_the_lead_unit_records_the_street_meeting_and_any_community_s(
    client: Client,
    world: Checklist,
    community_two: Community,
    community_two_staff: User,
    autonomy_staff: User,
) -> None:
    client.force_login(autonomy_staff)
    street_duty = frequency_duty(world, 14, street=True)
    offered = {
        label for _, label in client.get("/meetings/new/").context["form"].fields["duty"].choices
    }
    assert offered == {"请选择", "14. 街道层面联席会议(每月)", "14. 社区层面联席会议(每两周)"}

    street = client.post("/meetings/new/", form_data(world, None, duty=str(street_duty.pk)))
    assert street.status_code == 302
    community = client.post(
        "/meetings/new/", form_data(world, community_two, attendees=[str(community_two_staff.pk)])
    )
    assert community.status_code == 302
    assert {(m.community, m.target.level) for m in Meeting.objects.all()} == {
        (None, "street"),
        (community_two, "party"),
    }
    # The street's meeting takes no community.
    refused = client.post(
        "/meetings/new/", form_data(world, community_two, duty=str(street_duty.pk))
    )
    assert refused.context["form"].errors["community"] == [
        "街道层面的例行工作不属于某个社区,请不要选择社区。"
    ]


def test_a_scheduled_meeting_is_changed_then_marked_held_with_a_new_file(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
) -> None:
    client.force_login(community_one_staff)
    client.post(
        "/meetings/new/",
        form_data(
            world, community_one, state="scheduled", starts_at="2017-08-16T14:00", minutes=""
        ),
    )
    meeting = Meeting.objects.get()
    assert meeting.state == Meeting.State.SCHEDULED

    edit = client.get(f"/meetings/{meeting.pk}/edit/")
    assert edit.status_code == 200
    assert 'value="2017-08-16T14:00"' in edit.content.decode()
    with time_machine.travel(datetime.datetime(2017, 8, 17, 9, 0, tzinfo=SHANGHAI)):
        client.force_login(community_one_staff)  # a week later: a new session
        response = client.post(
            f"/meetings/{meeting.pk}/edit/",
            form_data(
                world,
                community_one,
                starts_at="2017-08-16T15:00",
                place="居委会二楼",
                minutes="",
                attachments=SimpleUploadedFile("会议记录.pdf", MINIMAL_PDF),
            ),
        )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.state == Meeting.State.HELD
    assert meeting.place == "居委会二楼"
    assert meeting.starts_at == datetime.datetime(2017, 8, 16, 15, 0, tzinfo=SHANGHAI)
    assert [a.original_name for a in meeting.attachments.all()] == ["会议记录.pdf"]


def test_a_cancelled_meeting_no_longer_counts_and_cannot_be_changed(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
) -> None:
    meeting = held_meeting(frequency_duty(world, 3), community_one, 8, 2, community_one_staff)
    client.force_login(community_one_staff)

    response = client.post(f"/meetings/{meeting.pk}/cancel/")
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.state == Meeting.State.CANCELLED

    again = client.post(f"/meetings/{meeting.pk}/cancel/", follow=True)
    assert "这次会议已经取消了。" in again.content.decode()
    edit = client.get(f"/meetings/{meeting.pk}/edit/", follow=True)
    assert "这次会议已经取消,不能再修改。" in edit.content.decode()
    detail = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert "已取消" in detail and "取消会议" not in detail


def test_a_file_is_taken_off_a_meeting_and_off_the_disk(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    evidence_root: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(community_one_staff)
    client.post(
        "/meetings/new/",
        form_data(world, community_one, attachments=SimpleUploadedFile("照片.pdf", MINIMAL_PDF)),
    )
    attachment = MeetingAttachment.objects.get()
    assert len(stored_files(evidence_root)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/meetings/attachments/{attachment.pk}/delete/")
    assert response.status_code == 302
    assert not MeetingAttachment.objects.exists()
    assert stored_files(evidence_root) == []


def test_leadership_reads_but_records_nothing(
    client: Client, world: Checklist, community_one: Community, leader: User, street_admin: User
) -> None:
    meeting = held_meeting(frequency_duty(world, 14), community_one, 8, 2, street_admin)
    client.force_login(leader)
    assert client.get("/meetings/new/").status_code == 403
    assert client.get(f"/meetings/{meeting.pk}/").status_code == 200
    assert client.get(f"/meetings/{meeting.pk}/edit/").status_code == 403
    assert client.post(f"/meetings/{meeting.pk}/cancel/").status_code == 403
    page = client.get("/meetings/")
    assert page.context["compliance"] is not None and not page.context["may_record"]


def test_the_list_shows_a_community_its_own_and_the_street_s_meetings(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_two: Community,
    community_one_staff: User,
    street_admin: User,
) -> None:
    ours = held_meeting(frequency_duty(world, 14), community_one, 8, 1, street_admin)
    theirs = held_meeting(frequency_duty(world, 14), community_two, 8, 1, street_admin)
    street = held_meeting(frequency_duty(world, 14, street=True), None, 8, 3, street_admin)
    july = held_meeting(frequency_duty(world, 3), community_one, 7, 20, street_admin)
    client.force_login(community_one_staff)

    listed = client.get("/meetings/").context["page"].object_list
    assert list(listed) == [ours, street]
    assert client.get("/meetings/", {"month": "2017-07"}).context["page"].object_list[0] == july
    response = client.get("/meetings/")
    assert response.context["compliance"] is None  # the office's table
    assert f'href="/communities/{community_one.pk}/"' in response.content.decode()
    assert client.get(f"/meetings/{theirs.pk}/").status_code == 404
    only_street = client.get("/meetings/", {"community": "street"}).context["page"].object_list
    assert list(only_street) == [street]


def test_the_office_table_shows_each_community_and_the_street_for_the_month(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_two: Community,
    street_admin: User,
) -> None:
    for day in (3, 17, 31):
        held_meeting(frequency_duty(world, 14), community_one, 7, day, street_admin)
    held_meeting(frequency_duty(world, 14, street=True), None, 7, 25, street_admin)
    client.force_login(street_admin)

    response = client.get("/meetings/", {"month": "2017-07"})
    table = response.context["compliance"]
    assert [row.label for row in table.rows] == ["示例社区一", "示例社区二", "街道"]
    assert [cell.verdict if cell else None for cell in table.rows[0].cells] == [
        "behind",
        None,
        "met",
        "behind",
    ]
    page = response.content.decode()
    assert "3/2 达标" in page and "0/2 滞后" in page and "1/1 达标" in page
    assert "本月共 5 项滞后。" in page


def test_a_bad_month_in_the_address_falls_back_to_this_month(
    client: Client, world: Checklist, street_admin: User
) -> None:
    client.force_login(street_admin)
    response = client.get("/meetings/", {"month": "2017-13"})
    assert response.status_code == 200
    assert (response.context["year"], response.context["month"]) == (2017, 8)
    assert response.context["form"].errors["month"] == ["月份格式应为“年-月”,如 2017-07。"]


def _more_communities(world: Checklist, admin: User, count: int) -> None:
    for number in range(count):
        community = Community.objects.create(name=f"新增社区{number}", order=10 + number)
        _person(f"staff{number}", Role.COMMUNITY_STAFF, community=community)
        assignments_generate(checklist=world)
        held_meeting(frequency_duty(world, 14), community, 8, 1, admin)
        held_meeting(frequency_duty(world, 16), community, 8, 2, admin)


def test_the_office_list_needs_the_same_queries_for_any_number_of_communities(
    client: Client,
    world: Checklist,
    community_one: Community,
    street_admin: User,
    django_assert_num_queries: Any,
) -> None:
    held_meeting(frequency_duty(world, 14), community_one, 8, 1, street_admin)
    client.force_login(street_admin)
    # session, user; permissions of the user and of their groups (sees everything?); the
    # checklist the page opens on (it owes this month: no more); the checklists in use
    # (the month's, the period select's); compliance: duties, parties, the month's held
    # meetings, the last held before the month; communities for the filter; the list:
    # count, page; may record: parties (the duties are the table's); header: unread
    # messages (the session from the cache, the navigation from the session, no write).
    # The user and their permissions come with the session (yijia/sessions.py): 1 less.
    expected = 13
    with django_assert_num_queries(expected):
        response = client.get("/meetings/")
    assert len(response.context["compliance"].rows) == 3

    _more_communities(world, street_admin, 5)
    client.force_login(street_admin)
    with django_assert_num_queries(expected):
        response = client.get("/meetings/")
    assert len(response.context["compliance"].rows) == 8
    assert len(response.context["page"].object_list) == 11


def test_a_community_s_list_needs_the_same_queries_for_any_number_of_communities(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    street_admin: User,
    django_assert_num_queries: Any,
) -> None:
    held_meeting(frequency_duty(world, 14), community_one, 8, 1, street_admin)
    client.force_login(community_one_staff)
    # session, user; permissions of the user and of their groups (sees everything?); unit
    # staff?; the checklist the page opens on (it owes this month: no more); the
    # checklists in use (the month's, the period select's), its duties; the community for
    # the filter; the list: count, page; may record: items the user's unit leads, the
    # parties of the community's duties; header: unread messages (the session from the
    # cache, the navigation from the session, no write).
    # The user and their permissions come with the session (yijia/sessions.py): 2 fewer.
    expected = 11
    with django_assert_num_queries(expected):
        client.get("/meetings/")
    _more_communities(world, street_admin, 5)
    client.force_login(community_one_staff)
    with django_assert_num_queries(expected):
        response = client.get("/meetings/")
    assert len(response.context["page"].object_list) == 1


def test_a_meeting_s_page_needs_a_fixed_number_of_queries(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    housing_staff: User,
    django_assert_num_queries: Any,
) -> None:
    client.force_login(community_one_staff)
    client.post(
        "/meetings/new/",
        form_data(
            world,
            community_one,
            attendees=[str(community_one_staff.pk), str(housing_staff.pk)],
            items=[
                str(pk)
                for pk in Item.objects.filter(number__in=(14, 16)).values_list("pk", flat=True)
            ],
            attachments=[
                SimpleUploadedFile("签到表.pdf", MINIMAL_PDF),
                SimpleUploadedFile("纪要.pdf", MINIMAL_PDF),
            ],
        ),
    )
    meeting = Meeting.objects.get()
    # session, user; permissions of the user and of their groups (sees everything?); unit
    # staff?; the meeting with its duty, item, checklist, community and recorder; its
    # attendees, items, attachments (with who uploaded them); may the user change it?;
    # header: unread messages (the session from the cache, the navigation from the
    # session, no write).
    # The user and their permissions come with the session (yijia/sessions.py): 3 fewer.
    expected = 7
    with django_assert_num_queries(expected):
        response = client.get(f"/meetings/{meeting.pk}/")
    assert response.context["may_edit"]
