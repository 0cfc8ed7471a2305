"""Waking the relay right after a commit: LISTEN/NOTIFY on PostgreSQL, Redis pub/sub otherwise, else polling."""
from __future__ import annotations

import logging
import select
import threading

from django.conf import settings
from django.db import transaction

from common.db import connection, current_alias
from common.runtime import runtime

from .conf import outbox_settings
from .dialects import dialect

logger = logging.getLogger(__name__)
CHANNEL = "outbox"  # NOTIFY is per database, so test runs on their own databases never wake each other


def mode() -> str:
    """'postgres', 'redis' or 'poll', read from outbox_settings.OUTBOX['WAKE'] ('auto' picks by database and broker)."""
    configured = outbox_settings.OUTBOX["WAKE"]
    if configured != "auto":
        return configured
    if dialect(connection).notifies_on_commit:
        return "postgres"  # a trigger on the outbox table NOTIFYs: delivered at commit, free for the producer
    if settings.CELERY_BROKER_URL.startswith("redis://"):
        return "redis"
    return "poll"


def _redis_channel() -> str:
    return f"outbox-wake:{connection.settings_dict['NAME']}"


_redis_clients: dict[str, object] = runtime.store("outbox.wake_redis_clients", kept_on_reset=True)


def _redis():
    import redis

    url = settings.CELERY_BROKER_URL
    client = _redis_clients.get(url)
    if client is None:
        # Short timeouts: a wake-up is an optimisation, it must never hold up a committed request.
        client = _redis_clients.setdefault(
            url, redis.Redis.from_url(url, socket_connect_timeout=0.2, socket_timeout=0.2)
        )
    return client


def _publish_redis_wake() -> None:
    try:
        _redis().publish(_redis_channel(), b"1")
    except Exception as error:  # the relay's polling still finds the work
        logger.debug("outbox wake-up not sent: %s", error)


def wake_after_commit() -> None:
    """Wake the relay once the current transaction commits (nothing to do on PostgreSQL: the trigger does it)."""
    if mode() != "redis":
        return
    if any(func is _publish_redis_wake for _, func, _ in connection.run_on_commit):
        return  # once per transaction is enough
    transaction.on_commit(_publish_redis_wake, using=current_alias())


def wake_now() -> None:
    """Wake the relay now (a delivery became due outside a producer's transaction)."""
    current = mode()
    if current == "postgres":
        dialect(connection).notify(CHANNEL)
    elif current == "redis":
        if connection.in_atomic_block:
            wake_after_commit()
        else:
            _publish_redis_wake()


class Listener:
    """Blocks until a wake-up or a timeout; the relay's only waiting point."""

    def __init__(self):
        self.mode = mode()
        self._stopped = threading.Event()
        self._broken = False
        self._conn = self._pubsub = None

    def open_or_poll(self) -> Listener:
        """open(), or when the channel cannot be opened yet (its database or Redis is down): poll, and reopen it
        at each wait() until it opens, as after a failure."""
        try:
            return self.open()
        except Exception as error:
            logger.warning("outbox wake-up channel unavailable (%s); polling until it is back", error)
            self._broken = True
            self.close()
            return self

    def open(self) -> Listener:
        if self.mode == "postgres":
            import psycopg

            db = connection.settings_dict
            self._conn = psycopg.connect(
                host=db["HOST"] or None, port=db["PORT"] or None, dbname=db["NAME"], user=db["USER"] or None,
                password=db["PASSWORD"] or None, autocommit=True,
            )
            self._conn.execute(f"LISTEN {CHANNEL}")
        elif self.mode == "redis":
            self._pubsub = _redis().pubsub(ignore_subscribe_messages=True)
            self._pubsub.subscribe(_redis_channel())
        return self

    def wait(self, timeout: float) -> bool:
        """True when woken, False on timeout; a broken wake-up channel falls back to polling and is reopened."""
        if self._broken:
            self._stopped.wait(timeout)
            try:
                self.open()
                self._broken = False
            except Exception:
                self.close()
            return False
        try:
            if self.mode == "postgres":
                readable, _, _ = select.select([self._conn.pgconn.socket], [], [], timeout)
                if readable:
                    for _ in self._conn.notifies(timeout=0):  # drain: one cycle serves them all
                        pass
                return bool(readable)
            if self.mode == "redis":
                woken = self._pubsub.get_message(timeout=timeout) is not None
                while self._pubsub.get_message(timeout=0) is not None:  # drain: one cycle serves them all
                    pass
                return woken
        except Exception as error:
            logger.warning("outbox wake-up channel failed (%s); polling until it is back", error)
            self._broken = True
            self.close()
            return False
        return self._stopped.wait(timeout)  # polling only

    def interrupt(self) -> None:
        self._stopped.set()

    def close(self) -> None:
        for resource in (self._conn, self._pubsub):
            try:
                if resource is not None:
                    resource.close()
            except Exception:
                pass
        self._conn = self._pubsub = None
