"""Urging notices (催办): from a late cell of the completion dashboard the street admin or
the item's lead unit urges the party to file; the party's staff acknowledge it.

Community one's July report on item 8 (led by 房管所) is due on Monday 7 August 2017 (the
5th is a Saturday); on Thursday 10 August it is three days late."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
import time_machine
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils.http import urlencode
from pytest_django import DjangoAssertNumQueries

from communities.models import Community
from communities.services import membership_add
from dashboards.models import UrgeNotice
from dashboards.services import urge_acknowledge, urge_send
from notifications.models import Message, OutboxMessage
from notifications.services import message_deliver
from tasks.models import Assignment, Checklist
from tasks.services import extension_decide, extension_request, progress_report_approve
from tests.conftest import SHANGHAI, assignment_of
from tests.filing import file_report, time_travel
from tests.reminders import inbox
from tests.smtp import SMTPServer

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse

pytestmark = pytest.mark.django_db

DASHBOARD = "/?year=2017&month=7"


@pytest.fixture
def august_10th_2017() -> Iterator[time_machine.Traveller]:
    """Thursday 10 August 2017, 10:00 in Shanghai: July's reports are three days late."""
    with time_travel(2017, 8, 10) as traveller:
        yield traveller


@pytest.fixture
def late_cell(world: Checklist, community_one: Community) -> Assignment:
    """Community one's assignment of item 8 (led by 房管所), not filed for July."""
    return assignment_of(world, 8, community_one)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def urge_page(assignment: Assignment, month: int = 7, next_url: str = DASHBOARD) -> str:
    """The one page that sends an urge: the dashboard's urge page of the cell."""
    params: dict[str, int | str] = {
        "assignment": assignment.pk,
        "year": 2017,
        "month": month,
        "next": next_url,
    }
    query = urlencode(params)
    return f"{reverse('dashboard_urge')}?{query}"


def post_urge(
    user: User, assignment: Assignment, month: int = 7, next_url: str = DASHBOARD, **data: str
) -> _MonkeyPatchedWSGIResponse:
    return client_for(user).post(urge_page(assignment, month, next_url), data)


def flashed(response: _MonkeyPatchedWSGIResponse) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def urge_of(assignment: Assignment, by: User) -> UrgeNotice:
    return urge_send(assignment=assignment, year=2017, month=7, by=by)


# Sending


def test_the_street_admin_urges_a_late_month_and_the_party_staff_find_it_in_their_inbox(
    late_cell: Assignment,
    street_admin: User,
    community_one_staff: User,
    community_two_staff: User,
    august_10th_2017: time_machine.Traveller,
) -> None:
    response = post_urge(street_admin, late_cell)

    assert response.status_code == 302
    assert response["Location"] == DASHBOARD
    urge = UrgeNotice.objects.get()
    assert (urge.assignment, urge.year, urge.month) == (late_cell, 2017, 7)
    assert urge.text == "请尽快填报第 8 项 7月进展,截止日期为 2017-08-07,已逾期 3 天。"
    assert urge.sent_by == street_admin
    assert not urge.is_acknowledged
    assert flashed(response) == ["已催办示例社区一填报第 8 项 7月进展,等待对方确认收到。"]

    [message] = inbox(community_one_staff)
    assert message.kind == Message.Kind.URGE
    assert message.title == "催办:请尽快填报第 8 项 7月进展"
    assert urge.text in message.body
    assert message.url == f"/notifications/urges/{urge.pk}/"
    assert inbox(community_two_staff) == []
    assert inbox(street_admin) == []


def test_the_urging_text_can_be_written_by_the_sender(
    late_cell: Assignment,
    street_admin: User,
    community_one_staff: User,
    august_10th_2017: time_machine.Traveller,
) -> None:
    post_urge(street_admin, late_cell, text="  区里周五检查,请今天内补报。 ")
    assert UrgeNotice.objects.get().text == "区里周五检查,请今天内补报。"
    assert "区里周五检查,请今天内补报。" in inbox(community_one_staff)[0].body


def test_the_lead_unit_of_the_item_urges_too(
    late_cell: Assignment,
    housing_staff: User,
    community_one_staff: User,
    august_10th_2017: time_machine.Traveller,
) -> None:
    response = post_urge(housing_staff, late_cell)
    assert response.status_code == 302
    assert UrgeNotice.objects.get().sent_by == housing_staff
    assert len(inbox(community_one_staff)) == 1


def test_the_urge_is_emailed_through_the_outbox_with_a_link_to_acknowledge(
    late_cell: Assignment,
    street_admin: User,
    community_one_staff: User,
    smtp_server: SMTPServer,
    august_10th_2017: time_machine.Traveller,
) -> None:
    community_one_staff.email = "one@example.cn"
    community_one_staff.save()
    urge = urge_of(late_cell, street_admin)

    [message] = inbox(community_one_staff)
    [work] = OutboxMessage.objects.all()
    assert work.task == "notifications.message_deliver"
    assert work.kwargs == {"message_id": message.pk}
    assert message_deliver(message_id=message.pk)
    [mail] = smtp_server.to("one@example.cn")
    assert mail.subject == "催办:请尽快填报第 8 项 7月进展"
    assert f"/notifications/urges/{urge.pk}/" in mail.body


def test_a_double_click_urges_once(
    late_cell: Assignment,
    street_admin: User,
    community_one_staff: User,
    august_10th_2017: time_machine.Traveller,
) -> None:
    first = post_urge(street_admin, late_cell)
    second = post_urge(street_admin, late_cell)

    assert first.status_code == second.status_code == 302
    assert UrgeNotice.objects.count() == 1
    assert len(inbox(community_one_staff)) == 1


def test_a_month_still_unacknowledged_can_be_urged_again_the_next_day(
    late_cell: Assignment,
    street_admin: User,
    community_one_staff: User,
    august_10th_2017: time_machine.Traveller,
) -> None:
    first = urge_of(late_cell, street_admin)
    august_10th_2017.shift(datetime.timedelta(days=1))
    second = urge_of(late_cell, street_admin)

    assert second.pk != first.pk
    assert second.text.endswith("已逾期 4 天。")
    assert len(inbox(community_one_staff)) == 2


def test_an_acknowledged_month_can_be_urged_again_the_same_day(
    late_cell: Assignment,
    street_admin: User,
    community_one_staff: User,
    august_10th_2017: time_machine.Traveller,
) -> None:
    urge_acknowledge(urge=urge_of(late_cell, street_admin), by=community_one_staff)
    urge_of(late_cell, street_admin)
    assert UrgeNotice.objects.count() == 2


def test_a_draft_or_returned_report_is_still_late(
    late_cell: Assignment,
    street_admin: User,
    community_one_staff: User,
    august_3rd_2017: time_machine.Traveller,
) -> None:
    file_report(late_cell, community_one_staff)  # a draft, saved before the deadline
    august_3rd_2017.move_to(datetime.datetime(2017, 8, 10, 10, tzinfo=SHANGHAI))
    assert urge_of(late_cell, street_admin).pk


# Refusals


def test_a_submitted_report_is_not_urged(
    late_cell: Assignment,
    street_admin: User,
    community_one_staff: User,
    august_3rd_2017: time_machine.Traveller,
) -> None:
    file_report(late_cell, community_one_staff, submit=True)
    august_3rd_2017.move_to(datetime.datetime(2017, 8, 10, 10, tzinfo=SHANGHAI))

    response = post_urge(street_admin, late_cell)

    assert response.status_code == 400
    assert "未能催办:示例社区一 的 7月进展已提交,无需催办。" in response.content.decode()
    assert not UrgeNotice.objects.exists()
    assert inbox(community_one_staff) == []


def test_an_approved_report_is_not_urged(
    late_cell: Assignment,
    street_admin: User,
    housing_staff: User,
    community_one_staff: User,
    august_3rd_2017: time_machine.Traveller,
) -> None:
    report = file_report(late_cell, community_one_staff, submit=True)
    progress_report_approve(report=report, by=housing_staff)
    august_3rd_2017.move_to(datetime.datetime(2017, 8, 10, 10, tzinfo=SHANGHAI))

    with pytest.raises(ValidationError, match="已审核,无需催办"):
        urge_of(late_cell, street_admin)


def test_a_month_before_its_deadline_is_not_urged(
    late_cell: Assignment, street_admin: User, august_3rd_2017: object
) -> None:
    response = post_urge(street_admin, late_cell)
    assert response.status_code == 400
    page = response.content.decode()
    assert "未能催办:7月进展的填报截止日期为 2017-08-07,尚未逾期,不能催办。" in page
    assert not UrgeNotice.objects.exists()


def test_a_month_of_another_year_is_not_urged(
    late_cell: Assignment, street_admin: User, august_10th_2017: time_machine.Traveller
) -> None:
    with pytest.raises(ValidationError, match="2017年度清单的任务只能催办2017年的月份"):
        urge_send(assignment=late_cell, year=2016, month=7, by=street_admin)


def test_a_granted_extension_moves_the_day_urging_starts(
    late_cell: Assignment,
    street_admin: User,
    housing_staff: User,
    community_one_staff: User,
    august_3rd_2017: time_machine.Traveller,
) -> None:
    extension = extension_request(
        assignment=late_cell,
        year=2017,
        month=7,
        requested_deadline=datetime.date(2017, 8, 15),
        reason="台风影响",
        by=community_one_staff,
    )
    extension_decide(extension=extension, by=housing_staff, grant=True)
    august_3rd_2017.move_to(datetime.datetime(2017, 8, 10, 10, tzinfo=SHANGHAI))

    with pytest.raises(ValidationError, match="截止日期为 2017-08-15,尚未逾期"):
        urge_of(late_cell, street_admin)


def test_leadership_reads_but_cannot_urge(
    late_cell: Assignment, leader: User, august_10th_2017: time_machine.Traveller
) -> None:
    assert post_urge(leader, late_cell).status_code == 403
    with pytest.raises(PermissionDenied, match="只有街道管理员或该任务的牵头单位可以催办"):
        urge_of(late_cell, leader)
    assert not UrgeNotice.objects.exists()


def test_a_lead_unit_cannot_urge_an_item_it_does_not_lead(
    late_cell: Assignment, party_building_staff: User, august_10th_2017: time_machine.Traveller
) -> None:
    assert post_urge(party_building_staff, late_cell).status_code == 403
    assert not UrgeNotice.objects.exists()


def test_the_party_cannot_urge_itself(
    late_cell: Assignment, community_one_staff: User, august_10th_2017: time_machine.Traveller
) -> None:
    assert post_urge(community_one_staff, late_cell).status_code == 403


def test_an_unsafe_next_address_is_ignored(
    late_cell: Assignment, street_admin: User, august_10th_2017: time_machine.Traveller
) -> None:
    response = post_urge(street_admin, late_cell, next_url="https://evil.example/")
    assert UrgeNotice.objects.exists()
    assert response["Location"] == f"{reverse('dashboard_matrix')}?year=2017&month=7"


def test_opening_the_urge_page_sends_nothing(
    late_cell: Assignment, street_admin: User, august_10th_2017: time_machine.Traveller
) -> None:
    assert client_for(street_admin).get(urge_page(late_cell)).status_code == 200
    assert not UrgeNotice.objects.exists()


# The urge's page and acknowledging it


def test_the_party_staff_see_the_urge_and_acknowledge_it(
    late_cell: Assignment,
    street_admin: User,
    community_one_staff: User,
    august_10th_2017: time_machine.Traveller,
) -> None:
    urge = urge_of(late_cell, street_admin)
    client = client_for(community_one_staff)

    page = client.get(urge.get_absolute_url()).content.decode()
    assert "已催办 · 未确认" in page
    assert "2017-08-07" in page and "已逾期 3 天" in page
    assert "admin" in page  # who urged
    assert reverse("urge_acknowledge", args=[urge.pk]) in page
    assert "/workspace/?year=2017&amp;month=7" in page

    response = client.post(reverse("urge_acknowledge", args=[urge.pk]))

    assert response.status_code == 302
    assert response["Location"] == urge.get_absolute_url()
    urge.refresh_from_db()
    assert urge.is_acknowledged
    assert urge.acknowledged_by == community_one_staff
    assert urge.acknowledged_at is not None
    [message] = inbox(community_one_staff)
    assert message.is_read
    page = client.get(urge.get_absolute_url()).content.decode()
    assert "已催办 · 已确认" in page
    assert reverse("urge_acknowledge", args=[urge.pk]) not in page


def test_acknowledging_twice_is_one_acknowledgement(
    late_cell: Assignment,
    street_admin: User,
    community_one_staff: User,
    august_10th_2017: time_machine.Traveller,
) -> None:
    colleague = User.objects.create_user("one-colleague")
    membership_add(user=colleague, community=late_cell.community)
    urge = urge_of(late_cell, street_admin)
    first = urge_acknowledge(urge=urge, by=community_one_staff)
    august_10th_2017.shift(datetime.timedelta(hours=1))
    second = urge_acknowledge(urge=urge, by=colleague)

    assert second.acknowledged_at == first.acknowledged_at
    assert second.acknowledged_by == community_one_staff


def test_the_sender_sees_whether_the_urge_was_acknowledged(
    late_cell: Assignment,
    street_admin: User,
    community_one_staff: User,
    august_10th_2017: time_machine.Traveller,
) -> None:
    urge = urge_of(late_cell, street_admin)
    urge_acknowledge(urge=urge, by=community_one_staff)
    page = client_for(street_admin).get(urge.get_absolute_url()).content.decode()
    assert "已催办 · 已确认" in page
    assert "one" in page  # who acknowledged
    assert reverse("urge_acknowledge", args=[urge.pk]) not in page  # not theirs to confirm


def test_another_community_neither_sees_nor_acknowledges_the_urge(
    late_cell: Assignment,
    street_admin: User,
    community_two_staff: User,
    august_10th_2017: time_machine.Traveller,
) -> None:
    urge = urge_of(late_cell, street_admin)
    client = client_for(community_two_staff)

    assert client.get(urge.get_absolute_url()).status_code == 404
    assert client.post(reverse("urge_acknowledge", args=[urge.pk])).status_code == 404
    urge.refresh_from_db()
    assert not urge.is_acknowledged
    with pytest.raises(PermissionDenied, match="只有被催办的社区或单位的工作人员可以确认收到"):
        urge_acknowledge(urge=urge, by=community_two_staff)


@pytest.mark.parametrize("role", ["street_admin", "leader", "housing_staff"])
def test_the_street_leadership_and_the_lead_unit_see_the_urge_but_do_not_acknowledge_it(
    late_cell: Assignment,
    street_admin: User,
    august_10th_2017: time_machine.Traveller,
    role: str,
    request: pytest.FixtureRequest,
) -> None:
    urge = urge_of(late_cell, street_admin)
    client = client_for(request.getfixturevalue(role))

    assert client.get(urge.get_absolute_url()).status_code == 200
    assert client.post(reverse("urge_acknowledge", args=[urge.pk])).status_code == 403
    urge.refresh_from_db()
    assert not urge.is_acknowledged


def test_a_lead_unit_of_other_items_does_not_see_the_urge(
    late_cell: Assignment,
    street_admin: User,
    party_building_staff: User,
    august_10th_2017: time_machine.Traveller,
) -> None:
    urge = urge_of(late_cell, street_admin)
    assert client_for(party_building_staff).get(urge.get_absolute_url()).status_code == 404


def test_the_urge_page_takes_a_fixed_number_of_queries(
    late_cell: Assignment,
    street_admin: User,
    community_one_staff: User,
    django_assert_num_queries: DjangoAssertNumQueries,
    august_10th_2017: time_machine.Traveller,
) -> None:
    urge = urge_of(late_cell, street_admin)
    client = client_for(community_one_staff)
    client.get(urge.get_absolute_url())
    # the urge with its item, party, sender and acknowledger, the extensions (2); the
    # month's report, whether the user is the party's staff (2). The user, their
    # permissions and the header's navigation come with the session (yijia/sessions.py),
    # read from the cache and not written within a minute; the unread count, counted at
    # the first request, from the cache (notifications/unread.py).
    with django_assert_num_queries(4):
        client.get(urge.get_absolute_url())


def test_the_inbox_offers_to_acknowledge_an_urge(
    late_cell: Assignment,
    street_admin: User,
    community_one_staff: User,
    august_10th_2017: time_machine.Traveller,
) -> None:
    urge = urge_of(late_cell, street_admin)
    client = client_for(community_one_staff)
    [message] = inbox(community_one_staff)

    page = client.get(reverse("inbox")).content.decode()
    assert "查看并确认收到" in page  # the button opens the urge page, where it is confirmed
    response = client.post(reverse("message_read", args=[message.pk]), {"open": "1"})
    assert response["Location"] == urge.get_absolute_url()


# The includes the dashboard uses


def test_the_urge_state_says_whether_it_was_acknowledged(
    late_cell: Assignment,
    street_admin: User,
    community_one_staff: User,
    august_10th_2017: time_machine.Traveller,
) -> None:
    urge = urge_of(late_cell, street_admin)
    assert render_to_string("dashboards/urge_state.html", {"urge": None}).strip() == ""
    assert "已催办 · 未确认" in render_to_string("dashboards/urge_state.html", {"urge": urge})
    urge = urge_acknowledge(urge=urge, by=community_one_staff)
    html = render_to_string("dashboards/urge_state.html", {"urge": urge})
    assert "已催办 · 已确认" in html
    assert "8月10日 10:00" in html


# What the dashboard reads


def test_the_admin_lists_urges_read_only_with_an_acknowledged_filter(
    late_cell: Assignment,
    street_admin: User,
    community_one_staff: User,
    august_10th_2017: time_machine.Traveller,
) -> None:
    urge_acknowledge(urge=urge_of(late_cell, street_admin), by=community_one_staff)
    august_10th_2017.shift(datetime.timedelta(days=1))
    pending = urge_of(late_cell, street_admin)
    admin_client = client_for(User.objects.create_superuser("root"))
    changelist = reverse("admin:dashboards_urgenotice_changelist")

    assert admin_client.get(changelist).context["cl"].result_count == 2
    response = admin_client.get(changelist, {"acknowledged": "no"})
    assert list(response.context["cl"].result_list) == [pending]
    assert admin_client.get(reverse("admin:dashboards_urgenotice_add")).status_code == 403
    change = reverse("admin:dashboards_urgenotice_change", args=[pending.pk])
    assert admin_client.post(change, {}).status_code == 403
