"""Accounts as 等保 2.0 asks of a government system: strong passwords, and the client
address that the login lockout and the login audit log (django-axes) record."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's, with an error message of our own: Django 5.2's zh-hans catalogue still
    holds the message's old wording, so Django's error would show in English."""

    def get_error_message(self) -> str:
        return _("密码太短,至少需要 %(min_length)d 个字符。") % {"min_length": self.min_length}


class CharacterClassesValidator:
    """A password must mix at least ``min_classes`` of four kinds of character: lowercase
    letters, uppercase letters, digits and symbols. Any character that is none of the first
    three (punctuation, a space, a Chinese character) counts as a symbol."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: AbstractBaseUser | None = None) -> None:
        kinds = {
            "lowercase" if character.islower()
            else "uppercase" if character.isupper()
            else "digit" if character.isdigit()
            else "symbol"
            for character in password
        }  # fmt: skip
        if len(kinds) < self.min_classes:
            raise ValidationError(
                _("密码须包含小写字母、大写字母、数字、符号中的至少 %(min_classes)d 类。"),
                code="password_too_few_character_classes",
                params={"min_classes": self.min_classes},
            )

    def get_help_text(self) -> str:
        return _("密码须包含小写字母、大写字母、数字、符号中的至少 %(min_classes)d 类。") % {
            "min_classes": self.min_classes
        }


def client_ip_address(request: HttpRequest) -> str | None:
    """The address of the browser behind a request (axes' ``AXES_CLIENT_IP_CALLABLE``).

    With no reverse proxy (``PROXY_COUNT`` 0) it is ``REMOTE_ADDR`` and X-Forwarded-For is
    ignored: a browser can send that header with any address in it. Behind ``PROXY_COUNT``
    proxies, each has appended the address it was reached from, so the browser is the
    ``PROXY_COUNT``-th entry from the right; entries further left are the browser's own
    claims. A header too short or not an address falls back to ``REMOTE_ADDR``.
    """
    remote_address = request.META.get("REMOTE_ADDR")
    proxy_count: int = settings.PROXY_COUNT
    if proxy_count == 0:
        return remote_address
    forwarded_for = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    ]
    if len(forwarded_for) < proxy_count:
        return remote_address
    try:
        return str(ipaddress.ip_address(forwarded_for[-proxy_count]))
    except ValueError:
        return remote_address
