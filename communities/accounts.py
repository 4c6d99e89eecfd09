"""Accounts as 等保 2.0 asks of a government system: strong passwords (not the username,
not one of the last five), the client address that the login lockout and the login audit
log (django-axes) record, unlocking a locked account, and the security log of logins and
lockouts (``core.security``)."""

from __future__ import annotations

import ipaddress
import logging

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from core.security import security_event


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


class UsernameNotInPasswordValidator:
    """A password may not contain the username, in any case and with anything around it
    (``Zhangsan2024!`` for ``zhangsan``): Django's similarity check lets a suffix through.
    Usernames shorter than ``min_length`` are not looked for (a two-letter name would
    forbid too many passwords)."""

    def __init__(self, min_length: int = 3) -> None:
        self.min_length = min_length

    def validate(self, password: str, user: AbstractBaseUser | None = None) -> None:
        username = (user.get_username() if user is not None else "") or ""
        if len(username) >= self.min_length and username.casefold() in password.casefold():
            raise ValidationError(_("密码不能包含用户名。"), code="password_contains_username")

    def get_help_text(self) -> str:
        return _("密码不能包含用户名。")


class PasswordHistoryValidator:
    """A new password may not be any of the user's last ``count`` passwords (the current
    one included), compared with their hashes (``PasswordHistory``). Each password set is
    recorded when the user is saved (``password_changed``, called by Django), and only
    the last ``count`` are kept."""

    def __init__(self, count: int = 5) -> None:
        self.count = count

    def _recent(self, user: AbstractBaseUser) -> list[str]:
        from .models import PasswordHistory

        return list(
            PasswordHistory.objects.filter(user_id=user.pk)
            .order_by("-created_at", "-pk")
            .values_list("password", flat=True)[: self.count]
        )

    def validate(self, password: str, user: AbstractBaseUser | None = None) -> None:
        if user is None or user.pk is None:
            return
        hashes = self._recent(user)
        if user.has_usable_password():
            hashes.append(user.password)  # set before the history was kept
        if any(check_password(password, encoded) for encoded in hashes):
            raise ValidationError(
                _("新密码不能与最近 %(count)d 次使用过的密码相同。"),
                code="password_reused",
                params={"count": self.count},
            )

    def password_changed(self, password: str, user: AbstractBaseUser) -> None:
        password_history_add(user, keep=self.count)

    def get_help_text(self) -> str:
        return _("新密码不能与最近 %(count)d 次使用过的密码相同。") % {"count": self.count}


def password_history_add(user: AbstractBaseUser, *, keep: int = 5) -> None:
    """Keep the user's current password (its hash) in the history, and the last ``keep``
    only. Called when a password is set (``PasswordHistoryValidator.password_changed``) and
    when a user is created with a password (``create_user`` stores the hash without telling
    the validators); the same hash twice in a row is kept once."""
    from .models import PasswordHistory

    if user.pk is None or not user.has_usable_password():
        return
    history = PasswordHistory.objects.filter(user_id=user.pk).order_by("-created_at", "-pk")
    if history.values_list("password", flat=True).first() == user.password:
        return
    PasswordHistory.objects.create(user_id=user.pk, password=user.password)
    kept = list(history.values_list("password", flat=True)[:keep])
    if len(kept) == keep:
        history.exclude(password__in=kept).delete()


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


# --- Lockout and the security log ------------------------------------------------------


def account_unlock(
    *, usernames: list[str], by: AbstractBaseUser, request: HttpRequest | None = None
) -> list[str]:
    """Unlock accounts locked by failed logins (axes' attempts of each username deleted),
    before the 30 minutes are over; each unlock goes to the security log. Returns the
    usernames that were locked or had failures counted."""
    from axes.utils import reset

    unlocked = []
    for username in usernames:
        attempts = reset(username=username)
        if attempts:
            unlocked.append(username)
        security_event(
            "unlock",
            request=request,
            username=by.get_username(),
            account=username,
            attempts=attempts,
        )
    return unlocked


def _login_succeeded(
    sender: object, request: HttpRequest, user: AbstractBaseUser, **_: object
) -> None:
    security_event("login", request=request, username=user.get_username())


def _login_failed(
    sender: object, credentials: dict[str, object], request: HttpRequest | None = None, **_: object
) -> None:
    username = str(credentials.get("username") or "")
    security_event("login_failed", request=request, username=username, level=logging.WARNING)


def _locked_out(sender: object, request: HttpRequest, username: str, **_: object) -> None:
    security_event(
        "lockout",
        request=request,
        username=username or "",
        level=logging.WARNING,
        failure_limit=settings.AXES_FAILURE_LIMIT,
    )


def _user_created(
    sender: object, instance: AbstractBaseUser, created: bool, raw: bool = False, **_: object
) -> None:
    if created and not raw:
        password_history_add(instance)


def accounts_connect() -> None:
    """Connect the login signals to the security log, and a new user's password to its
    history (``CommunitiesConfig.ready``)."""
    from axes.signals import user_locked_out
    from django.contrib.auth import get_user_model
    from django.contrib.auth.signals import user_logged_in, user_login_failed
    from django.db.models.signals import post_save

    post_save.connect(_user_created, sender=get_user_model(), dispatch_uid="password_history")
    user_logged_in.connect(_login_succeeded, dispatch_uid="security_log_login")
    user_login_failed.connect(_login_failed, dispatch_uid="security_log_login_failed")
    user_locked_out.connect(_locked_out, dispatch_uid="security_log_lockout")
