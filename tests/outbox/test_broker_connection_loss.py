"""A Celery worker on Redis survives losing the broker while it holds unacknowledged messages.

kombu closes the lost connection's transport before its channel; the channel's close then tries to put its
unacknowledged messages back through that closed transport and raises AttributeError, which Celery reports as
"Unrecoverable error" and the worker exits (found by tests/chaos: a broker restart mid-load stopped the worker).
"""
import os

import pytest
from kombu import Connection, Exchange, Queue

BROKER = os.environ.get("CELERY_BROKER_URL", "")
pytestmark = pytest.mark.skipif(not BROKER.startswith("redis://"), reason="about the Redis transport")


def test_closing_a_channel_whose_transport_is_gone_puts_nothing_back_and_raises_nothing():
    import config.celery  # noqa: F401  (the worker's process imports it: the fix is installed there)

    queue = Queue(f"test-connection-loss-{os.getpid()}", Exchange("test-connection-loss", type="direct"),
                  routing_key="loss")
    with Connection(BROKER) as connection:
        channel = connection.channel()
        bound = queue(channel)
        bound.declare()
        bound.purge()
        connection.Producer(channel).publish({"n": 1}, exchange=queue.exchange, routing_key="loss")
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
        queue(connection.default_channel).delete()
