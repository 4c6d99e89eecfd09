"""A password may not contain the username (in any case, with anything around it) and
may not be one of the user's last five: refused in Chinese at the new password's field,
on the change page, the reset page and in the admin."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from communities.models import PasswordHistory

pytestmark = pytest.mark.django_db

FIRST = "Xincheng-2017"
NOT_THE_USERNAME = "密码不能包含用户名。"
NOT_A_RECENT_ONE = "新密码不能与最近 5 次使用过的密码相同。"


@pytest.fixture
def zhang(django_user_model: type[User]) -> User:
    return django_user_model.objects.create_user("zhangsan", password=FIRST)


def change(client: Client, old: str, new: str) -> Any:
    return client.post(
        "/accounts/password_change/",
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


def errors_at_new_password(response: Any) -> list[str]:
    return [str(error) for error in response.context["form"].errors.get("new_password2", [])]


@pytest.mark.parametrize("password", ["Zhangsan-2024", "ZHANGSAN#lu9", "my.zhangsan.PW1"])
def test_a_password_containing_the_username_is_refused_at_its_field(
    client: Client, zhang: User, password: str
) -> None:
    client.force_login(zhang)

    response = change(client, FIRST, password)

    assert response.status_code == 200
    assert NOT_THE_USERNAME in errors_at_new_password(response)
    assert 'id="id_new_password2_errors"' in response.content.decode()
    zhang.refresh_from_db()
    assert zhang.check_password(FIRST)


def test_none_of_the_last_five_passwords_may_come_back_but_the_sixth_may(
    client: Client, zhang: User
) -> None:
    client.force_login(zhang)
    passwords = [FIRST, *(f"Jiading#{year}" for year in range(2018, 2023))]  # six in all
    for old, new in zip(passwords[:-1], passwords[1:], strict=True):
        # The password the account was created with counts as the first.
        refused = change(client, old, FIRST)
        assert NOT_A_RECENT_ONE in errors_at_new_password(refused), f"{FIRST} after {old}"
        assert change(client, old, new).status_code == 302, new
    current = passwords[-1]

    for recent in passwords[1:]:  # the current one and the four before it
        refused = change(client, current, recent)
        assert NOT_A_RECENT_ONE in errors_at_new_password(refused), recent
    # Only the last five are kept, as hashes.
    assert PasswordHistory.objects.filter(user=zhang).count() == 5
    assert all(
        row.password.startswith(("pbkdf2", "md5", "argon2", "bcrypt"))
        for row in PasswordHistory.objects.filter(user=zhang)
    )

    assert change(client, current, FIRST).status_code == 302  # six changes ago
    zhang.refresh_from_db()
    assert zhang.check_password(FIRST)


def test_the_reset_page_refuses_the_current_password(client: Client, zhang: User) -> None:
    uid = urlsafe_base64_encode(force_bytes(zhang.pk))
    token = default_token_generator.make_token(zhang)
    page = client.get(f"/accounts/reset/{uid}/{token}/", follow=True)
    form_url = page.redirect_chain[-1][0]

    response = client.post(form_url, {"new_password1": FIRST, "new_password2": FIRST})

    assert response.status_code == 200
    assert NOT_A_RECENT_ONE in errors_at_new_password(response)
    assert NOT_A_RECENT_ONE in response.content.decode()


def test_the_admin_refuses_the_username_in_a_password_in_chinese(
    client: Client, zhang: User, street_admin: User
) -> None:
    client.force_login(street_admin)

    response = client.post(
        reverse("admin:auth_user_password_change", args=[zhang.pk]),
        {"password1": "Zhangsan-2024", "password2": "Zhangsan-2024"},
    )

    assert response.status_code == 200
    assert NOT_THE_USERNAME in response.content.decode()
    zhang.refresh_from_db()
    assert zhang.check_password(FIRST)
