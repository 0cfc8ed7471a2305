"""Which database each context's data lives in, and transactions on it: atomic_for("orders")."""
from __future__ import annotations

import select
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connections, transaction

# The alias the code running now works on: set by atomic_for() (a service) and using() (the relay, a worker).
# The outbox's tables exist on every alias; they are read and written on this one (config/routers.py).
_current: ContextVar[str] = ContextVar("shop_db_alias", default=DEFAULT_DB_ALIAS)


def alias_for(context: str) -> str:
    """The DATABASES alias of a context's data (settings.CONTEXT_DATABASES; `default` when not named)."""
    return settings.CONTEXT_DATABASES.get(context, DEFAULT_DB_ALIAS)


def current_alias() -> str:
    """The alias of the transaction the caller runs in (the innermost atomic_for/using)."""
    return _current.get()


def aliases() -> list[str]:
    """Every configured database alias, `default` first: one relay, one retention run and one migrate each."""
    return list(settings.DATABASES)


@contextmanager
def using(alias: str):
    """Run the block on `alias`: the outbox's queries and publish() go to that database."""
    token = _current.set(alias)
    try:
        yield alias
    finally:
        _current.reset(token)


@contextmanager
def atomic_for(context: str, *, durable: bool = False, savepoint: bool = True):
    """transaction.atomic() on the database of `context`, with the outbox writing to that database too."""
    alias = alias_for(context)
    token = _current.set(alias)
    try:
        with transaction.atomic(using=alias, durable=durable, savepoint=savepoint):
            yield
    finally:
        _current.reset(token)


def seed_prefetch(instance, name: str, objects) -> list:
    """Cache `objects`, rows just written, as `instance.<name>.all()`: what prefetch_related_objects() would read.

    The caller reads none of them back. Returns the cached list, to which rows written later may be appended."""
    queryset = getattr(instance, name).all()
    # The same three attributes Django's prefetch_related_objects() sets on what it read (prefetch_one_level).
    queryset._result_cache, queryset._prefetch_done = list(objects), True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset
    return queryset._result_cache


def close_old_connections_trusting_quiet_ones() -> None:
    """Django's close_old_connections(), then trust_quiet_connections(): what a worker does before each task."""
    close_old_connections()
    trust_quiet_connections()


def trust_quiet_connections(**_signal) -> None:
    """A kept PostgreSQL connection whose socket has nothing to read skips CONN_HEALTH_CHECKS' `SELECT 1` before
    its next query (a receiver of request_started too, after Django's close_old_connections).

    A server that restarts or ends a session says so on the socket (an error message, then end of file), so a
    connection it dropped is readable; one with nothing to read is as alive as a `SELECT 1` would find it (a
    network gone silent hangs either). Any doubt leaves Django's check on.
    """
    for conn in connections.all(initialized_only=True):
        if conn.vendor != "postgresql" or conn.connection is None or conn.health_check_done:
            continue
        try:
            quiet = select.poll()
            quiet.register(conn.connection.fileno(), select.POLLIN)
            if not quiet.poll(0):
                conn.health_check_done = True
        except Exception:  # noqa: BLE001  (psycopg raises on a connection it knows lost: Django's check decides)
            continue


class _CurrentConnection:
    """Like django.db.connection, but the connection of current_alias() (the outbox's raw SQL runs on it)."""

    def __getattr__(self, name):
        return getattr(connections[_current.get()], name)


connection = _CurrentConnection()
