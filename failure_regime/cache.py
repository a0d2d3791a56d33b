"""The shared cache (Redis in production), failing open: when Redis cannot be reached the service carries on from the
database instead of answering 500.

Everything that uses the cache goes through Django's cache backend: the public page cache and its site version, the
register's cached answers, search's vocabulary, sessions (``cached_db``, which keeps every session in the database
too), the contact form's and the recruitment form's rate limits (django-ratelimit) and the API throttles. So the
rule lives here, once, in the backend that production settings name: when Redis is unreachable (a connection error
or a time-out) a call is treated as a miss.

- ``get`` gives the default and ``get_many`` nothing, ``has_key`` is False;
- ``set``, ``add``, ``touch`` and ``delete`` store or remove nothing (and say so: ``add`` is False);
- ``incr`` raises ``ValueError``, as it does for a missing key.

The first failure in a request is logged at WARNING, and the rest of that request does not try Redis again, so a
dead Redis costs each request at most one connect time-out (``REDIS_CONNECT_TIMEOUT``). Outside a request (a worker,
a management command) each failure is logged and the next call tries again. Other Redis errors (a command Redis
refuses, say) are not caught: they are faults in the service, not an outage.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.core.signals import request_finished, request_started
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

T = TypeVar("T")

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)

# Within a request: "up" until the cache first fails, then "down" (later calls skip Redis). None outside a request.
_request_cache: ContextVar[str | None] = ContextVar("request_cache", default=None)


def _request_started(**kwargs: Any) -> None:
    _request_cache.set("up")


def _request_finished(**kwargs: Any) -> None:
    _request_cache.set(None)


request_started.connect(_request_started, dispatch_uid="failure_regime.cache.request_started")
request_finished.connect(_request_finished, dispatch_uid="failure_regime.cache.request_finished")


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client, keeping one ``redis.Redis`` per connection pool instead of building a new one for
    every call: on a page served from the cache, building them was a large share of the work. A ``redis.Redis``
    takes a connection from its pool for each command, so one may be shared by threads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # The pool and client helpers are Django's own, not in its type stubs.
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
            client = self._clients[index] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class FailOpenRedisCache(RedisCache):
    """Django's Redis cache, treating an unreachable Redis as a cache miss (see the module)."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    def _attempt(self, fallback: Callable[[], T], call: Callable[..., T], *args: Any) -> T:
        state = _request_cache.get()
        if state == "down":
            return fallback()
        try:
            return call(*args)
        except UNREACHABLE as exc:
            # Keys are not logged: a session's key is its cookie.
            logger.warning(
                "The cache is unreachable (%s in %s: %s); carrying on without it%s.",
                type(exc).__name__,
                call.__name__,
                exc,
                " for the rest of this request" if state == "up" else "",
            )
            if state == "up":
                _request_cache.set("down")
            return fallback()

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._attempt(_false, super().add, key, value, timeout, version)

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._attempt(lambda: default, super().get, key, default, version)

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        self._attempt(_none, super().set, key, value, timeout, version)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._attempt(_false, super().touch, key, timeout, version)

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._attempt(_false, super().delete, key, version)

    def get_many(self, keys: Iterable[Any], version: int | None = None) -> dict[Any, Any]:
        return self._attempt(dict, super().get_many, keys, version)

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._attempt(_false, super().has_key, key, version)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        return self._attempt(_missing, super().incr, key, delta, version)

    def set_many(self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> list[Any]:
        return self._attempt(lambda: list(data), super().set_many, data, timeout, version)

    def delete_many(self, keys: Iterable[Any], version: int | None = None) -> None:
        self._attempt(_none, super().delete_many, keys, version)

    def clear(self) -> None:
        self._attempt(_none, super().clear)


def _false() -> bool:
    return False


def _none() -> None:
    return None


def _missing() -> int:
    raise ValueError("Key not found: the cache is unreachable.")
