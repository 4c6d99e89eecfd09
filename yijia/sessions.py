"""What a signed-in request costs: the session, its renewal, and the user.

Idle sessions end after ``SESSION_COOKIE_AGE`` (30 minutes) without writing the session
row on every request. ``SESSION_SAVE_EVERY_REQUEST`` wrote (and committed) the session on
every page: a database write per read-only request. ``SessionRenewalMiddleware`` renews the
session only when the last save is more than ``SESSION_RENEW_SECONDS`` old (60): a signed-in
user's session is written at most once a minute, and it still ends 29–30 minutes after the
last request (30 after the last write). A session changed by the request itself (login,
messages) is saved anyway, and records the time of that save.

The user: Django reads the user's row on every request (a query), their permissions on every
page that checks one (a query), and the header's navigation took two more. The session
(``SessionStore``: ``cached_db``, read from the cache with the version of who may do what,
``communities.access.access_version``, in the same round trip) remembers all three under that
version (``AuthenticationMiddleware``); any write of users, roles, permissions, memberships,
places or lead units gives a new version (``access_watch``), so the next request of every
user reads them again. Nothing is served stale, and a request whose version is unchanged
reads no row: the session's authentication hash is still compared with the one the user's
row gave under this version and this ``SECRET_KEY``."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthentication
from django.contrib.auth.models import AnonymousUser, Group, Permission, User
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDbStore
from django.core.cache import caches
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.functional import SimpleLazyObject

from communities import access

RENEWED_AT = "_renewed_at"
# The session's copy of the user, their permissions and header (see the module's docstring).
ACCESS = "_access"


class SessionRenewalMiddleware:
    """After ``SessionMiddleware`` in ``MIDDLEWARE``: its response phase runs first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = request.session
        # No session (an anonymous visitor), one this request never read, or one just
        # flushed (logout): nothing to renew, and nothing is created.
        if session.session_key is None or not session.accessed or session.is_empty():
            return response
        now = int(timezone.now().timestamp())
        renewed_at = session.get(RENEWED_AT, 0)
        if session.modified or now - renewed_at >= settings.SESSION_RENEW_SECONDS:
            session[RENEWED_AT] = now
        return response


def renewed_at_login(*, request: HttpRequest, **kwargs: object) -> None:
    """At login (``user_logged_in``), the session is saved: it is new for a minute."""
    request.session[RENEWED_AT] = int(timezone.now().timestamp())


class SessionStore(CachedDbStore):
    """Django's ``cached_db`` sessions, read from the cache together with the access
    version: one round trip for both."""

    access_version_found: str | None = None

    def load(self) -> dict[str, Any]:
        store = caches[settings.SESSION_CACHE_ALIAS]  # cached_db's self._cache
        version_key = access.access_version_key()
        try:
            found = store.get_many([self.cache_key, version_key])
        except Exception:  # as cached_db: an invalid key resets the session (Django #17810)
            found = {}
        self.access_version_found = found.get(version_key)
        data: dict[str, Any] | None = found.get(self.cache_key)
        if data is None:
            session = self._get_session_from_db()  # type: ignore[attr-defined]
            if session:
                data = self.decode(session.session_data)
                store.set(self.cache_key, data, self.get_expiry_age(expiry=session.expire_date))
            else:
                data = {}
        return data


@cache
def _key_fingerprint() -> str:
    """A copy made under another ``SECRET_KEY`` is not used (a new key ends sessions)."""
    return salted_hmac("yijia.sessions.access", "", algorithm="sha256").hexdigest()[:16]


# The user's fields the session keeps: all but the password hash, which is read (one query)
# only by what needs it (checking or changing the password).
_FIELDS = [field for field in User._meta.concrete_fields if field.attname != "password"]


def _user_row(user: User) -> dict[str, Any]:
    row = {}
    for field in _FIELDS:
        value = getattr(user, field.attname)
        row[field.attname] = value.isoformat() if isinstance(value, datetime.datetime) else value
    return row


def _user_from(row: dict[str, Any], db: str) -> User:
    values = [
        field.to_python(row[field.attname])
        if isinstance(field, models.DateTimeField) and row[field.attname] is not None
        else row[field.attname]
        for field in _FIELDS
    ]
    return User.from_db(db, [field.attname for field in _FIELDS], values)


def _remember(request: HttpRequest, user: User, version: str) -> None:
    """Keep the user, their permissions and their header in the session under ``version``
    (three queries, at most once a version)."""
    from .context_processors import _navigation_read

    header = _navigation_read(user)
    request.session[ACCESS] = {
        "v": version,
        "k": _key_fingerprint(),
        "id": str(user.pk),
        "hash": request.session.get(auth.HASH_SESSION_KEY, ""),
        "db": user._state.db or "default",
        "user": _user_row(user),
        "perms": sorted(access.global_permissions(user)),
        "nav": header,
    }
    request._access_header = header  # type: ignore[attr-defined]


def _remembered(request: HttpRequest, version: str) -> User | None:
    """The session's copy of the user, if it was made under ``version`` for this session's
    user, authentication hash and key."""
    session = request.session
    copy = session.get(ACCESS)
    if (
        not copy
        or copy["v"] != version
        or copy["k"] != _key_fingerprint()
        or copy["id"] != str(session.get(auth.SESSION_KEY))
        or session.get(auth.BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS
        or not constant_time_compare(session.get(auth.HASH_SESSION_KEY, ""), copy["hash"])
    ):
        return None
    user = _user_from(copy["user"], copy["db"])
    if not user.is_active:
        return None
    # Where ModelBackend remembers the permissions for the rest of the request.
    user._perm_cache = set(copy["perms"])  # type: ignore[attr-defined]
    request._access_header = copy["nav"]  # type: ignore[attr-defined]
    return user


def user_of(request: HttpRequest) -> User | AnonymousUser:
    """``request.user``: the session's copy under the current access version, else
    Django's (the user's row, the session's hash checked), then remembered."""
    cached: User | AnonymousUser | None = getattr(request, "_cached_user", None)
    if cached is not None:
        return cached
    session = request.session
    if auth.SESSION_KEY not in session:
        user: User | AnonymousUser = AnonymousUser()
    else:
        version = access.access_version(getattr(session, "access_version_found", None))
        remembered = _remembered(request, version)
        if remembered is not None:
            user = remembered
        else:
            found = auth.get_user(request)
            if isinstance(found, User) and found.is_authenticated:
                _remember(request, found, version)
            user = found
    request._cached_user = user  # type: ignore[attr-defined]
    return user


class AuthenticationMiddleware(DjangoAuthentication):
    """Django's, with ``request.user`` from ``user_of``."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: user_of(request))  # type: ignore[assignment]


def remembered_at_login(*, request: HttpRequest, user: User, **kwargs: object) -> None:
    """At login (``user_logged_in``): the session's copy for the pages that follow."""
    _remember(request, user, access.access_version())


def _user_saved(*, update_fields: frozenset[str] | None = None, **kwargs: object) -> None:
    # A login records its time: nothing the session keeps of the user depends on it.
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    access.access_changed()


def access_watch() -> None:
    """Connect ``access_changed`` to every write that changes who may do what, or what the
    header shows (yijia/apps.py). Bulk inserts and updates send no signal: the few that
    write these tables call ``access_changed`` themselves (``memberships_add_in_bulk``);
    lead units are bulk-inserted only after their item is saved, in the same transaction."""
    from guardian.models import GroupObjectPermission, UserObjectPermission

    from communities.models import (
        Community,
        CommunityGroupObjectPermission,
        CommunityUserObjectPermission,
        Membership,
        Unit,
        UnitGroupObjectPermission,
        UnitUserObjectPermission,
    )
    from tasks.models import Item, ItemLeadUnit

    post_save.connect(_user_saved, sender=User, dispatch_uid="access-user-saved")
    post_delete.connect(access.access_changed, sender=User, dispatch_uid="access-user-deleted")
    watched: list[type[models.Model]] = [
        Group,
        Permission,
        Membership,
        Community,
        Unit,
        Item,
        ItemLeadUnit,
        CommunityUserObjectPermission,
        CommunityGroupObjectPermission,
        UnitUserObjectPermission,
        UnitGroupObjectPermission,
        UserObjectPermission,
        GroupObjectPermission,
    ]
    for model in watched:
        uid = f"access-{model._meta.label_lower}"
        post_save.connect(access.access_changed, sender=model, dispatch_uid=f"{uid}-saved")
        post_delete.connect(access.access_changed, sender=model, dispatch_uid=f"{uid}-deleted")
    for through in (
        User.groups.through,
        User.user_permissions.through,
        Group.permissions.through,
    ):
        m2m_changed.connect(
            access.access_changed, sender=through, dispatch_uid=f"access-{through._meta.label}"
        )
