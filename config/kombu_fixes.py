"""Fixes for kombu's Redis transport, installed by config/celery.py: a worker must not exit when the broker goes,
and a channel reuses its Redis client.

When a worker loses Redis, kombu closes the connection's transport (its `client` becomes None) and then the
channel, whose close tries to put the messages the worker had taken but not acknowledged back in their queue
through that closed transport: AttributeError, "Unrecoverable error", and the worker process exits. The same
class of bug has come back in kombu several times (celery/kombu#582, #970). With the fix the close puts nothing
back: the messages stay in Redis's unacknowledged set, which kombu restores after the visibility timeout, and
the outbox sends a lost or held delivery again by its own leases long before that (outbox/relay.py).

A task the worker was running when the broker went finishes later, and Celery acknowledges its message through
the closed channel: kombu asks that channel for a Redis client, and with no connection left it raises
AttributeError, another "Unrecoverable error". With the fix the closed channel raises redis's ConnectionError,
which Celery logs ("Couldn't ack") and lives with; the message is restored as above.
"""
import logging
from contextlib import contextmanager

import redis
from kombu.transport import redis as redis_transport

logger = logging.getLogger(__name__)
_restore_unacked = redis_transport.QoS.restore_unacked


def _restore_unacked_unless_closed(self, client=None):
    """kombu's restore_unacked(), except on a channel whose transport was closed first: then nothing."""
    transport = self.channel.connection
    if client is None and (transport is None or transport.client is None):
        if self._delivered:
            logger.warning("broker connection closed: %d unacknowledged message(s) left for Redis to restore "
                           "after the visibility timeout", len(self._delivered))
        self._delivered.clear()
        return None
    return _restore_unacked(self, client)


@contextmanager
def _reused_client(self, client=None):
    # kombu built a new redis-py client (~0.1 ms of CPU: its command table copied) for every message a worker takes
    # and for every acknowledgement, and the relay one per queue-depth look-up. A client is only a handle on the
    # channel's connection pool and is safe to share, so one serves them all, until the channel gets a new pool.
    if client:
        yield client
        return
    if self.connection is None:  # the channel was closed (kombu's close_channel())
        raise redis.exceptions.ConnectionError("the broker connection of this channel was closed")
    reused = self.__dict__.get("_shop_client")
    if reused is None or reused.connection_pool is not self.pool:
        reused = self._shop_client = self._create_client()
    yield reused


def install() -> None:
    """Patch kombu's Redis transport once per process."""
    redis_transport.QoS.restore_unacked = _restore_unacked_unless_closed
    redis_transport.Channel.conn_or_acquire = _reused_client
