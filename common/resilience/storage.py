"""Where breaker state lives: process memory, or Redis shared by every process with a local fallback.

With Redis configured, state and the time a breaker opened are pybreaker's CircuitRedisStorage keys,
namespaced per breaker. When Redis stops answering, each breaker goes on with its own in-memory
copy of the last state it read or wrote (closed if it never saw one) for `down_retry_seconds`,
then tries Redis again; Redis calls use short socket timeouts, so a dead Redis costs a call at most
one timeout per retry period, never a hang.
"""
from __future__ import annotations

import logging
import threading
import time

import pybreaker
import redis
from django.conf import settings

from common.runtime import runtime

logger = logging.getLogger(__name__)

_forced_local: dict[str, str] = runtime.store("breakers.pinned_here")  # pinned states, this process


# Read on every call's permit: built once until RESILIENCE changes.
_config_cache: dict[str, dict] = runtime.store("breakers.storage_config", built_from={"RESILIENCE"})


def _config() -> dict:
    config = _config_cache.get("config")
    if config is None:
        config = _config_cache["config"] = {
            "backend": "memory", "url": "redis://127.0.0.1:6379/0", "namespace": "shop",
            "socket_timeout": 0.05, "down_retry_seconds": 5.0, "state_cache_seconds": 0.1,
            **getattr(settings, "RESILIENCE", {}).get("breaker_storage", {}),
        }
    return config


_clients: dict[str, redis.Redis] = runtime.store("breakers.redis_clients", kept_on_reset=True)


def _redis(config: dict) -> redis.Redis:
    client = _clients.get(config["url"])
    if client is None:
        client = _clients[config["url"]] = redis.Redis.from_url(
            config["url"], socket_timeout=config["socket_timeout"],
            socket_connect_timeout=config["socket_timeout"], retry_on_timeout=False,
        )
    return client


class _RedisDown:
    """Shared note of when Redis last failed, so no caller waits on it again before the retry period."""

    until = 0.0
    lock = threading.Lock()

    @classmethod
    def is_down(cls) -> bool:
        return time.monotonic() < cls.until

    @classmethod
    def mark(cls, retry_after: float, error: Exception) -> None:
        with cls.lock:
            if not cls.is_down():
                logger.warning("breaker storage: Redis unreachable (%s); local state for %ss", error, retry_after)
            cls.until = time.monotonic() + retry_after

    @classmethod
    def forget(cls) -> None:
        cls.until = 0.0


runtime.on_reload(_RedisDown.forget)


class FallbackRedisStorage(pybreaker.CircuitBreakerStorage):
    """pybreaker's Redis storage while Redis answers; this process's memory while it does not."""

    def __init__(self, name: str, config: dict):
        super().__init__("redis-with-fallback")
        self._config = config
        self._local = pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)
        self._remote: pybreaker.CircuitRedisStorage | None = None
        self._namespace = f"{config['namespace']}:breaker:{name}"
        self._cached_state: tuple[float, str] | None = None

    def _storage(self) -> pybreaker.CircuitBreakerStorage:
        if _RedisDown.is_down():
            return self._local
        if self._remote is None:
            try:
                self._remote = pybreaker.CircuitRedisStorage(
                    pybreaker.STATE_CLOSED, _redis(self._config), namespace=self._namespace
                )
            except redis.RedisError as error:
                _RedisDown.mark(self._config["down_retry_seconds"], error)
                return self._local
        return self._remote

    def _redis_call(self, action, local_action):
        storage = self._storage()
        if storage is self._local:
            return local_action()
        try:
            return action(self._remote)
        except redis.RedisError as error:
            _RedisDown.mark(self._config["down_retry_seconds"], error)
            return local_action()

    # pybreaker's Redis storage logs and swallows RedisError itself; read the key directly instead,
    # so a failure is noticed (and the fallback used) rather than silently read as "closed".
    @property
    def state(self) -> str:
        cached = self._cached_state
        if cached is not None and time.monotonic() - cached[0] < self._config["state_cache_seconds"]:
            return cached[1]

        def remote(storage):
            value = _redis(self._config).get(storage._namespace("state"))
            return value.decode() if value else pybreaker.STATE_CLOSED

        state = self._redis_call(remote, lambda: self._local.state)
        self._cached_state = (time.monotonic(), state)
        if self._local.state != state:
            self._local.state = state  # the copy to go on with if Redis goes away
        return state

    @state.setter
    def state(self, state: str) -> None:
        self._cached_state = None
        self._local.state = state

        def remote(storage):
            _redis(self._config).set(storage._namespace("state"), state)

        self._redis_call(remote, lambda: None)

    def increment_counter(self):
        self._storage().increment_counter()

    def reset_counter(self):
        self._storage().reset_counter()

    def increment_success_counter(self):
        self._storage().increment_success_counter()

    def reset_success_counter(self):
        self._storage().reset_success_counter()

    @property
    def counter(self):
        return self._storage().counter

    @property
    def success_counter(self):
        return self._storage().success_counter

    @property
    def opened_at(self):
        return self._storage().opened_at if not _RedisDown.is_down() else self._local.opened_at

    @opened_at.setter
    def opened_at(self, value):
        self._local.opened_at = value
        if not _RedisDown.is_down() and self._remote is not None:
            self._remote.opened_at = value


def breaker_storage(name: str) -> pybreaker.CircuitBreakerStorage:
    """The storage a new breaker uses, as settings.RESILIENCE['breaker_storage'] says."""
    config = _config()
    if config["backend"] == "redis":
        return FallbackRedisStorage(name, config)
    return pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)


def _forced_key(config: dict, name: str) -> str:
    return f"{config['namespace']}:breaker:{name}:forced"


_forced_cache: dict[str, tuple[float, str | None]] = runtime.store("breakers.pinned_read")


def forced_state(name: str) -> str | None:
    """The state an operator pinned the breaker to, if any (read from Redis at most every cache period)."""
    config = _config()
    if config["backend"] != "redis" or _RedisDown.is_down():
        return _forced_local.get(name)
    cached = _forced_cache.get(name)
    if cached is not None and time.monotonic() - cached[0] < config["state_cache_seconds"]:
        return cached[1]
    try:
        value = _redis(config).get(_forced_key(config, name))
    except redis.RedisError as error:
        _RedisDown.mark(config["down_retry_seconds"], error)
        return _forced_local.get(name)
    state = value.decode() if value else None
    _forced_cache[name] = (time.monotonic(), state)
    return state


def set_forced_state(name: str, state: str | None) -> None:
    """Pin (or unpin, with None) a breaker's state, in every process when Redis is shared."""
    _forced_cache.pop(name, None)
    if state is None:
        _forced_local.pop(name, None)
    else:
        _forced_local[name] = state
    config = _config()
    if config["backend"] == "redis":
        try:
            if state is None:
                _redis(config).delete(_forced_key(config, name))
            else:
                _redis(config).set(_forced_key(config, name), state)
        except redis.RedisError as error:
            _RedisDown.mark(config["down_retry_seconds"], error)
