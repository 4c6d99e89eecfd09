"""Forgotten password: the reset pages speak Chinese in the portal's layout (not the
Django admin's), and the email says what to do."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from tests.conftest import PASSWORD

NEW_PASSWORD = "Xincheng-lu-2017!"


def _in_the_layout(html: str) -> None:
    assert 'class="container site-header"' in html
    assert "/static/css/yijia.css" in html
    assert "Django" not in html  # not the admin's look


@pytest.mark.django_db
def test_the_login_page_offers_the_password_reset(client: Client) -> None:
    html = client.get("/accounts/login/").content.decode()

    assert 'href="/accounts/password_reset/"' in html
    assert "忘记密码?" in html


def test_a_worker_resets_a_forgotten_password_by_email(
    client: Client, community_one_staff: User
) -> None:
    community_one_staff.email = "one@shequ.example"
    community_one_staff.save(update_fields=["email"])

    form = client.get("/accounts/password_reset/")
    assert form.status_code == 200
    _in_the_layout(form.content.decode())
    assert "找回密码" in form.content.decode()
    assert "电子邮箱" in form.content.decode()

    sent = client.post("/accounts/password_reset/", {"email": "one@shequ.example"}, follow=True)
    assert sent.redirect_chain[-1][0] == "/accounts/password_reset/done/"
    _in_the_layout(sent.content.decode())
    assert "邮件已发送" in sent.content.decode()

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.subject == "宜居家园目标任务门户:重设密码"
    assert email.to == ["one@shequ.example"]
    assert "one,您好" in email.body
    assert "您的用户名是:one" in email.body
    assert "如果不是您本人申请的,请忽略这封邮件" in email.body
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", str(email.body))
    assert link is not None

    confirm = client.get(link.group(1), follow=True)
    html = confirm.content.decode()
    _in_the_layout(html)
    assert "设置新密码" in html
    assert 'autocomplete="new-password"' in html

    done = client.post(
        confirm.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert done.redirect_chain[-1][0] == "/accounts/reset/done/"
    _in_the_layout(done.content.decode())
    assert "密码已重设" in done.content.decode()

    community_one_staff.refresh_from_db()
    assert community_one_staff.check_password(NEW_PASSWORD)
    assert not community_one_staff.check_password(PASSWORD)


def test_a_used_reset_link_says_it_has_expired(client: Client, community_one_staff: User) -> None:
    response = client.get("/accounts/reset/MQ/set-password/")

    assert response.status_code == 200
    html = response.content.decode()
    _in_the_layout(html)
    assert "这个重设密码的链接已失效" in html
    assert 'href="/accounts/password_reset/"' in html


def test_mismatched_new_passwords_are_refused_at_the_field(
    client: Client, community_one_staff: User
) -> None:
    community_one_staff.email = "one@shequ.example"
    community_one_staff.save(update_fields=["email"])
    client.post("/accounts/password_reset/", {"email": "one@shequ.example"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", str(mail.outbox[0].body))
    assert link is not None
    confirm = client.get(link.group(1), follow=True)

    response = client.post(
        confirm.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert 'class="field-error"' in html
