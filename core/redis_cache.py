"""Django's Redis cache with one Redis client per connection pool, made once.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` object for every cache
call (about 170 response callbacks set up each time: a third of a millisecond here), and a
signed-in request makes two calls (the session with the access version, the header's unread
count). The client objects are thread-safe and hold no connection of their own (the pool
does), so one per pool serves every call; the pools are Django's, unchanged."""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _ClientOncePerPool(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        this: Any = self  # Django's private attributes, which django-stubs does not declare
        index = this._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in this._pools:
                this._pools[index] = this._pool_class.from_url(
                    this._servers[index], **this._pool_options
                )
            client = self._clients[index] = this._client(connection_pool=this._pools[index])
        return client


class RedisCache(DjangoRedisCache):
    """``django.core.cache.backends.redis.RedisCache`` reusing its clients."""

    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _ClientOncePerPool
