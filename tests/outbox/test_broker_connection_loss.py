"""A Celery worker on Redis survives losing the broker while it holds unacknowledged messages; a channel reuses
its Redis client (config/kombu_fixes.py).

kombu closes the lost connection's transport before its channel; the channel's close then tries to put its
unacknowledged messages back through that closed transport and raises AttributeError, which Celery reports as
"Unrecoverable error" and the worker exits (found by tests/chaos: a broker restart mid-load stopped the worker).
A task that finishes after that close has its message acknowledged through the closed channel, which raised
AttributeError too (found the same way, in CI).
"""
import logging
import os

import pytest
from kombu import Connection, Exchange, Queue

BROKER = os.environ.get("CELERY_BROKER_URL", "")
pytestmark = pytest.mark.skipif(not BROKER.startswith("redis://"), reason="about the Redis transport")


def declared_queue(name: str, channel) -> Queue:
    """A direct queue of this run's own, bound to `channel`, declared and empty; its routing key is `name`."""
    queue = Queue(f"{name}-{os.getpid()}", Exchange(name, type="direct"), routing_key=name)(channel)
    queue.declare()
    queue.purge()
    return queue


def test_closing_a_channel_whose_transport_is_gone_puts_nothing_back_and_raises_nothing():
    import config.celery  # noqa: F401  (the worker's process imports it: the fix is installed there)

    with Connection(BROKER) as connection:
        channel = connection.channel()
        bound = declared_queue("test-connection-loss", channel)
        connection.Producer(channel).publish({"n": 1}, exchange=bound.exchange, routing_key=bound.routing_key)
        message = bound.get(no_ack=False)  # delivered, not acknowledged: the channel's QoS holds it
        assert message is not None and channel.qos._delivered
        # What kombu's Connection._do_close_transport() does first when Celery closes a lost connection.
        channel.connection.client = None
        channel.close()  # before the fix: AttributeError: 'NoneType' object has no attribute 'hostname'
        assert not channel.qos._delivered
    with Connection(BROKER) as connection:
        # The message stays in Redis's unacknowledged set (restored after the visibility timeout), not lost.
        client = connection.default_channel.client
        assert client.hexists("unacked", message.delivery_tag)
        client.hdel("unacked", message.delivery_tag)
        client.zrem("unacked_index", message.delivery_tag)
        bound(connection.default_channel).delete()


def test_acknowledging_through_a_closed_channel_is_a_logged_connection_error_not_a_crash(caplog):
    import config.celery  # noqa: F401  (installs the fixes)

    with Connection(BROKER) as connection:
        channel = connection.channel()
        bound = declared_queue("test-ack-after-loss", channel)
        connection.Producer(channel).publish({"n": 1}, exchange=bound.exchange, routing_key=bound.routing_key)
        message = bound.get(no_ack=False)  # a task the worker runs while the broker goes
        channel.connection.client = None
        channel.close()
        # What Celery's Request.acknowledge() does when the task ends; before the fix: AttributeError:
        # 'NoneType' object has no attribute 'client', and the worker exited.
        message.ack_log_error(logging.getLogger("test"), connection.connection_errors)
        assert "Couldn't ack" in caplog.text and "was closed" in caplog.text
    with Connection(BROKER) as connection:
        client = connection.default_channel.client
        assert client.hexists("unacked", message.delivery_tag)  # left for Redis to restore
        client.hdel("unacked", message.delivery_tag)
        client.zrem("unacked_index", message.delivery_tag)
        bound(connection.default_channel).delete()


def test_a_channel_reuses_one_redis_client_for_its_publishes_gets_and_acks(monkeypatch):
    import config.celery  # noqa: F401  (installs the fixes)
    from kombu.transport import redis as redis_transport

    created = []
    create = redis_transport.Channel._create_client

    def counted(self, asynchronous=False):
        created.append(asynchronous)
        return create(self, asynchronous)

    monkeypatch.setattr(redis_transport.Channel, "_create_client", counted)
    with Connection(BROKER) as connection:
        channel = connection.channel()
        bound = declared_queue("test-client-reuse", channel)
        producer = connection.Producer(channel)
        for n in range(3):
            producer.publish({"n": n}, exchange=bound.exchange, routing_key=bound.routing_key)
            bound.get(no_ack=False).ack()  # a worker's take (its unacknowledged copy) and its acknowledgement
        bound.delete()
    assert created.count(False) == 1  # before: a new client for each publish, take and acknowledgement
