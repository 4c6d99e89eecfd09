"""The API's own writes: issuing a system's token."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from rest_framework.authtoken.models import Token

from core.security import security_event


@transaction.atomic
def api_token_issue(*, user: User, by: User | None, renew: bool = False) -> Token:
    """The token ``user``'s system signs in with (REST framework keeps one per user): the
    existing one, or a new one when there is none or ``renew`` asks for it (the old one
    stops working at once). ``by``: who issued it, None for the operator at the command
    line. Recorded in the security log, without the key."""
    if not user.is_active:
        raise ValidationError(f"用户“{user.get_username()}”已停用,不能签发令牌。")
    if renew:
        Token.objects.filter(user=user).delete()
    token, created = Token.objects.get_or_create(user=user)
    if created:
        security_event(
            "api_token_issued",
            username=by.get_username() if by is not None else "manage.py",
            user_of_token=user.get_username(),
        )
    return token
