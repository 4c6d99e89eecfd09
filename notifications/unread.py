"""The unread count in the header, kept in the cache instead of a COUNT on every request.

A person's count is stored with the two versions it was counted under: theirs (a new token
whenever a message to them is written or deleted one by one: ``Message.save``, ``delete``,
``bulk_create``) and everyone's (a new token whenever messages are changed or deleted in
bulk, ``QuerySet.update`` / ``delete``, where the recipients are not known without a
query). A count whose versions are not the current ones is counted again, so a change is
seen at the next request. A version is renewed at once and again when the transaction
commits: a request that counted before the commit cannot store a count under the version
that follows it. A version lost from the cache gets a new random token, never an old one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import transaction

from .models import Message

EVERYONE_KEY = "notifications:unread-version"
KEEP_SECONDS = 24 * 60 * 60


def _person_key(user_id: int) -> str:
    return f"notifications:unread-version:{user_id}"


def _count_key(user_id: int) -> str:
    return f"notifications:unread:{user_id}"


def _renew(keys: list[str]) -> None:
    if keys:
        cache.set_many({key: uuid.uuid4().hex for key in keys}, KEEP_SECONDS)


def _renew_now_and_at_commit(keys: list[str]) -> None:
    _renew(keys)
    transaction.on_commit(lambda: _renew(keys))


def unread_changed(user_ids: Iterable[int | None]) -> None:
    """Messages to these people were written, read or deleted: count theirs afresh."""
    _renew_now_and_at_commit(sorted({_person_key(pk) for pk in user_ids if pk is not None}))


def unread_changed_for_everyone() -> None:
    """Messages were changed in bulk (recipients unknown): count everyone's afresh."""
    _renew_now_and_at_commit([EVERYONE_KEY])


def _version(found: dict[str, object], key: str) -> str:
    token = found.get(key)
    if isinstance(token, str):
        return token
    token = uuid.uuid4().hex
    if not cache.add(key, token, KEEP_SECONDS):  # another request set it meanwhile
        current = cache.get(key)
        if isinstance(current, str):
            return current
    return token


def unread_count(user: User) -> int:
    """How many of the user's messages are unread: from the cache (one round trip) while
    nothing was written, otherwise counted (one query) and kept."""
    keys = [EVERYONE_KEY, _person_key(user.pk), _count_key(user.pk)]
    found = cache.get_many(keys)
    versions = (_version(found, keys[0]), _version(found, keys[1]))
    kept = found.get(keys[2])
    if isinstance(kept, tuple) and len(kept) == 3 and kept[:2] == versions:
        return int(kept[2])
    count = Message.objects.for_user(user).unread().count()
    cache.set(keys[2], (*versions, count), KEEP_SECONDS)
    return count


def _message_saved_or_deleted(*, instance: Message, **kwargs: object) -> None:
    unread_changed([instance.recipient_id])


def _logged_in(*, user: User, **kwargs: object) -> None:
    unread_changed([user.pk])


def watch() -> None:
    """Connected once from ``NotificationsConfig.ready``; ``MessageQuerySet`` renews the
    versions for ``bulk_create``, ``update`` and ``delete``, which send no signal per row.
    A login counts afresh: a new session starts from the database."""
    from django.contrib.auth.signals import user_logged_in
    from django.db.models.signals import post_delete, post_save

    user_logged_in.connect(_logged_in, dispatch_uid="unread-login")

    post_save.connect(_message_saved_or_deleted, sender=Message, dispatch_uid="unread-save")
    post_delete.connect(_message_saved_or_deleted, sender=Message, dispatch_uid="unread-delete")
