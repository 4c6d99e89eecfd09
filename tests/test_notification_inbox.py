"""The in-app inbox: the unread count in the header, the list, mark as read."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from notifications.models import Message
from notifications.services import notify

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def tell(user: User, title: str, url: str = "/workspace/?year=2017&month=7") -> Message:
    [message] = notify(
        users=[user], kind=Message.Kind.REPORT_RETURNED, title=title, body="请补充照片。", url=url
    )
    return message


def test_the_header_shows_how_many_messages_are_unread(community_one_staff: User) -> None:
    tell(community_one_staff, "第 1 项 7月进展被退回")
    tell(community_one_staff, "第 2 项 7月进展被退回")
    page = client_for(community_one_staff).get("/").content.decode()
    assert 'class="badge unread-count">2</span>' in page


def test_no_count_is_shown_when_everything_is_read(community_one_staff: User) -> None:
    page = client_for(community_one_staff).get("/").content.decode()
    assert "unread-count" not in page


def test_the_inbox_lists_only_the_users_own_messages(
    community_one_staff: User, community_two_staff: User
) -> None:
    tell(community_one_staff, "给社区一的消息")
    tell(community_two_staff, "给社区二的消息")
    page = client_for(community_one_staff).get("/notifications/").content.decode()
    assert "给社区一的消息" in page
    assert "给社区二的消息" not in page
    assert "请补充照片。" in page


def test_opening_a_message_marks_it_read_and_goes_to_its_page(
    community_one_staff: User,
) -> None:
    message = tell(community_one_staff, "第 1 项 7月进展被退回")
    client = client_for(community_one_staff)
    response = client.post(f"/notifications/{message.pk}/read/", {"open": "1"})
    assert response.status_code == 302
    assert response["Location"] == "/workspace/?year=2017&month=7"
    message.refresh_from_db()
    assert message.is_read
    assert "unread-count" not in client.get("/").content.decode()


def test_marking_every_message_read(community_one_staff: User, community_two_staff: User) -> None:
    tell(community_one_staff, "一")
    tell(community_one_staff, "二")
    other = tell(community_two_staff, "三")
    client_for(community_one_staff).post("/notifications/read-all/")
    assert not Message.objects.filter(recipient=community_one_staff, read_at=None).exists()
    other.refresh_from_db()
    assert not other.is_read


def test_nobody_can_read_or_mark_another_persons_message(
    community_one_staff: User, community_two_staff: User
) -> None:
    message = tell(community_two_staff, "给社区二的消息")
    response = client_for(community_one_staff).post(f"/notifications/{message.pk}/read/")
    assert response.status_code == 404
    message.refresh_from_db()
    assert not message.is_read


def test_marking_read_needs_a_post(community_one_staff: User) -> None:
    message = tell(community_one_staff, "消息")
    response = client_for(community_one_staff).get(f"/notifications/{message.pk}/read/")
    assert response.status_code == 405


def test_the_inbox_page_takes_a_fixed_number_of_queries(
    community_one_staff: User, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    client = client_for(community_one_staff)
    for number in range(3):
        tell(community_one_staff, f"消息 {number}")
    # The page: count, messages (2); the header's unread count. The session comes from
    # the cache, and with it the user and the header's navigation; it is renewed at most
    # once a minute (yijia/sessions.py).
    with django_assert_num_queries(3):
        client.get("/notifications/")
    for number in range(20):
        tell(community_one_staff, f"更多消息 {number}")
    with django_assert_num_queries(3):
        client.get("/notifications/")


def test_the_unread_filter(community_one_staff: User) -> None:
    read = tell(community_one_staff, "已读的")
    read.read_at = read.created_at
    read.save()
    tell(community_one_staff, "未读的")
    page = client_for(community_one_staff).get("/notifications/?unread=1").content.decode()
    assert "未读的" in page and "已读的" not in page
