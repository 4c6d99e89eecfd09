"""What every signed-in request costs (issue 14, part 2): the session is not written on
every request yet still ends after 30 idle minutes, the header's navigation is kept in the
session for a minute, and the dashboard's cached figures are never stale."""

from __future__ import annotations

import datetime
import re

from django.contrib.auth.models import Group, Permission, User
from django.contrib.sessions.models import Session
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from communities.models import Community
from communities.roles import Role
from communities.services import membership_add, membership_remove
from notifications.models import Message
from notifications.services import message_mark_read, messages_mark_all_read, notify
from tasks.models import Checklist
from tests.filing import file_report, time_travel

from .conftest import PASSWORD, assignment_of

PASSWORD_PAGE = "/accounts/password_change/"


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _expiry(client: Client) -> datetime.datetime:
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_the_cheapest_signed_in_page_takes_one_query_and_writes_nothing(
    community_one_staff: User, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with time_travel(2017, 8, 3):
        client = _signed_in(community_one_staff)
        # The session, the user, their permissions and the header's navigation come from
        # the cache, the session is not written; the unread count is counted once, then
        # kept in the cache until a message to the user is written or read.
        with django_assert_num_queries(1):
            client.get(PASSWORD_PAGE)
        for _ in range(2):
            with django_assert_num_queries(0):
                page = client.get(PASSWORD_PAGE).content.decode()
    assert "本月填报" in page and "示例社区一" in page  # the navigation, from the session


def test_a_read_only_request_does_not_write_the_session_within_a_minute(
    community_one_staff: User,
) -> None:
    with time_travel(2017, 8, 3) as traveller:
        client = _signed_in(community_one_staff)
        logged_in = _expiry(client)
        traveller.shift(datetime.timedelta(seconds=50))
        assert client.get(PASSWORD_PAGE).status_code == 200
        assert _expiry(client) == logged_in
        traveller.shift(datetime.timedelta(seconds=20))
        client.get(PASSWORD_PAGE)
        assert _expiry(client) == logged_in + datetime.timedelta(seconds=70)


def test_activity_keeps_the_session_alive_and_thirty_idle_minutes_end_it(
    community_one_staff: User,
) -> None:
    with time_travel(2017, 8, 3) as traveller:
        client = _signed_in(community_one_staff)
        for _ in range(12):  # two hours of a request every ten minutes
            traveller.shift(datetime.timedelta(minutes=10))
            assert client.get(PASSWORD_PAGE).status_code == 200
        traveller.shift(datetime.timedelta(minutes=30, seconds=1))
        response = client.get(PASSWORD_PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_header_shows_a_new_role_and_a_new_place_at_the_next_request(
    world: Checklist, community_one: Community
) -> None:
    user = User.objects.create_user("newcomer", password="x")
    client = _signed_in(user)
    page = client.get(PASSWORD_PAGE).content.decode()
    assert "本月填报" not in page and 'href="/dashboard/"' not in page

    membership = membership_add(user=user, community=community_one)
    user.groups.add(Group.objects.get(name=Role.LEADERSHIP))
    page = client.get(PASSWORD_PAGE).content.decode()
    assert "本月填报" in page and community_one.name in page
    assert 'href="/dashboard/"' in page

    membership_remove(membership=membership)
    community_one.name = "改名社区"
    community_one.save()
    page = client.get(PASSWORD_PAGE).content.decode()
    assert "本月填报" not in page and "改名社区" not in page


def test_a_permission_given_or_withdrawn_holds_at_the_next_request(world: Checklist) -> None:
    user = User.objects.create_user("newcomer", password="x")
    client = _signed_in(user)
    assert client.get("/dashboard/").status_code == 403
    assert client.get("/dashboard/").status_code == 403  # remembered: still refused

    leadership = Group.objects.get(name=Role.LEADERSHIP)
    user.groups.add(leadership)
    assert client.get("/dashboard/").status_code == 200

    # A role losing the permission, not the user losing the role.
    leadership.permissions.remove(Permission.objects.get(codename="view_dashboard"))
    assert client.get("/dashboard/").status_code == 403


def test_a_password_changed_elsewhere_or_a_deactivated_account_ends_the_session_at_once(
    community_one_staff: User,
) -> None:
    here, elsewhere = _signed_in(community_one_staff), _signed_in(community_one_staff)
    assert here.get(PASSWORD_PAGE).status_code == elsewhere.get(PASSWORD_PAGE).status_code == 200
    changed = elsewhere.post(
        PASSWORD_PAGE,
        {
            "old_password": PASSWORD,
            "new_password1": "Kx9-long-enough",
            "new_password2": "Kx9-long-enough",
        },
    )
    assert changed.status_code == 302, changed.content.decode()
    assert elsewhere.get(PASSWORD_PAGE).status_code == 200  # the browser that changed it
    assert here.get(PASSWORD_PAGE)["Location"].startswith("/accounts/login/")

    community_one_staff.refresh_from_db()
    community_one_staff.is_active = False
    community_one_staff.save()
    assert elsewhere.get(PASSWORD_PAGE)["Location"].startswith("/accounts/login/")


def test_a_new_message_is_counted_in_the_header_at_the_next_request(
    community_one_staff: User,
) -> None:
    client = _signed_in(community_one_staff)
    assert "unread-count" not in client.get(PASSWORD_PAGE).content.decode()
    Message.objects.create(
        recipient=community_one_staff, kind=Message.Kind.URGE, title="催办", body="请尽快填报"
    )
    page = client.get(PASSWORD_PAGE).content.decode()
    assert re.search(r'class="badge unread-count">1<', page)


def _unread_badge(client: Client) -> str | None:
    found = re.search(
        r'class="badge unread-count">(\d+)<', client.get(PASSWORD_PAGE).content.decode()
    )
    return found.group(1) if found else None


def test_the_kept_unread_count_follows_every_write_and_read_at_the_next_request(
    community_one_staff: User, street_admin: User
) -> None:
    client = _signed_in(community_one_staff)
    assert _unread_badge(client) is None
    assert _unread_badge(client) is None  # kept
    # Many at once (a digest, a notice to several people), and one to someone else.
    messages_ = notify(
        users=[community_one_staff, street_admin],
        kind=Message.Kind.URGE,
        title="催办",
        body="请尽快填报",
        url="/notifications/",
    )
    assert _unread_badge(client) == "1"
    Message.objects.create(
        recipient=street_admin, kind=Message.Kind.URGE, title="催办", body="请尽快填报"
    )
    assert _unread_badge(client) == "1"  # not theirs: still right
    mine = next(message for message in messages_ if message.recipient_id == community_one_staff.pk)
    Message.objects.bulk_create(
        [Message(recipient=community_one_staff, kind=Message.Kind.URGE, title="再催", body="…")]
    )
    assert _unread_badge(client) == "2"
    message_mark_read(message=mine, user=community_one_staff)
    assert _unread_badge(client) == "1"
    messages_mark_all_read(user=community_one_staff)
    assert _unread_badge(client) is None
    Message.objects.create(
        recipient=community_one_staff, kind=Message.Kind.URGE, title="又催", body="…"
    )
    assert _unread_badge(client) == "1"
    Message.objects.filter(recipient=community_one_staff).delete()
    assert _unread_badge(client) is None


def _received(page: str) -> str:
    found = re.search(r"已报 (\d+) / 应报 (\d+)", page)
    assert found, "the reporting figure is on the dashboard"
    return found[1]


def test_a_submission_is_on_the_dashboard_at_the_next_request(
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    street_admin: User,
) -> None:
    admin = _signed_in(street_admin)
    with time_travel(2017, 8, 3):
        before = admin.get("/dashboard/?year=2017&month=7")
        again = admin.get("/dashboard/?year=2017&month=7")  # from the cache
        assert _received(before.content.decode()) == _received(again.content.decode()) == "0"

        file_report(assignment_of(world, 7, community_one), community_one_staff, submit=True)

        after = admin.get("/dashboard/?year=2017&month=7")
    assert after.context["board"].figures.received == 1
    assert _received(after.content.decode()) == "1"


def test_the_kept_header_carries_each_request_s_token_address_and_user(
    community_one_staff: User, street_admin: User
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(community_one_staff)
    page = client.get(PASSWORD_PAGE + "?from=home&to=inbox").content.decode()
    assert (
        'name="next" type="hidden" value="/accounts/password_change/?from=home&amp;to=inbox"'
        in page
    )
    other = _signed_in(street_admin).get(PASSWORD_PAGE).content.decode()
    who = re.compile(r'<li class="who">([^<]*)</li>')
    mine, theirs = who.search(page), who.search(other)
    assert mine and theirs and mine.group(1) != theirs.group(1)
    assert (community_one_staff.get_full_name() or community_one_staff.username) in mine.group(1)
    # The logout form's token is this session's: the form works.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    assert (
        client.post("/accounts/logout/", {"csrfmiddlewaretoken": token.group(1)}).status_code == 302
    )
    assert client.get(PASSWORD_PAGE)["Location"].startswith("/accounts/login/")
