"""On RabbitMQ, the broker caps redeliveries: a command that keeps killing its worker is dead-lettered by a
quorum queue's delivery-limit policy (outbox deliveries count their own starts; this covers any other task)."""
import json
import os
import shutil
import subprocess
import time
from urllib.parse import unquote, urlparse

import pytest
from django.conf import settings
from kombu import Connection, Exchange, Queue

from tests.loyalty.models import ProbeEffect
from tests.processes import celery_worker, wait_for

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]

DELIVERY_LIMIT = 2


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, timeout=60, capture_output=True)


@pytest.fixture
def dead_letters():
    """A delivery-limit policy with a dead-letter queue on this run's default queue; removed after."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith("amqp://") or shutil.which("rabbitmqctl") is None:
        pytest.skip("about RabbitMQ (scripts/test runs this suite with CELERY_BROKER_URL=amqp://...)")
    vhost = unquote(urlparse(url).path[1:]) or "/"
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    dead = Queue(f"{queue}.dead-letters", Exchange(f"{queue}.dead-letters", "fanout"),
                 queue_arguments={"x-queue-type": "quorum"})
    with Connection(url) as connection:
        dead(connection.default_channel).declare()
    rabbitmqctl("set_policy", "-p", vhost, "--apply-to", "queues", f"{queue}-delivery-limit", f"^{queue}$",
                json.dumps({"delivery-limit": DELIVERY_LIMIT, "dead-letter-exchange": dead.exchange.name}))
    try:
        yield url, dead
    finally:
        rabbitmqctl("clear_policy", "-p", vhost, f"{queue}-delivery-limit")
        with Connection(url) as connection:
            dead(connection.default_channel).delete()


def test_a_command_that_keeps_killing_its_worker_is_dead_lettered_by_the_broker(dead_letters):
    from celery import current_app

    url, dead = dead_letters
    key = f"killer-{os.getpid()}-{time.time()}"
    letters = []

    def dead_lettered() -> bool:
        with Connection(url) as connection:
            waiting = connection.SimpleQueue(dead)
            try:
                message = waiting.get(block=False)
            except waiting.Empty:
                return False
            letters.append({"headers": message.headers, "body": message.decode()})
            message.ack()
        return True

    with celery_worker(concurrency=1):
        current_app.send_task("loyalty.kill_my_worker", args=[key], queue=settings.CELERY_TASK_DEFAULT_QUEUE)
        wait_for(dead_lettered, timeout=90, interval=0.5, message="the command to be dead-lettered")
        time.sleep(1)
    # The first start and DELIVERY_LIMIT redeliveries, no more; the message kept, with its task name.
    assert ProbeEffect.objects.filter(key=key).count() == DELIVERY_LIMIT + 1
    assert letters[0]["headers"]["task"] == "loyalty.kill_my_worker"
    assert key in json.dumps(letters[0]["body"])
