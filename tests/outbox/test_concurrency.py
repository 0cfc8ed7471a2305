"""On PostgreSQL: a late commit of a lower id is still delivered; one message from 8 threads takes effect once."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections, transaction

from outbox.api import publish
from outbox.delivery import envelope_of, handle
from outbox.models import InboxRecord, OutboxEvent
from outbox.registry import subscriber_named
from tests.conftest import deliver_outbox, on_postgres
from tests.loyalty.events import Bench
from tests.loyalty.models import ProbeEffect

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgres_only(db):
    if not on_postgres():
        pytest.skip("concurrent transactions need PostgreSQL; SQLite serialises every writer")


def test_a_lower_id_committed_after_a_higher_one_is_still_delivered():
    published, release = threading.Event(), threading.Event()

    def slow_producer():
        try:
            with transaction.atomic():
                publish(Bench(key="slow", n=1))  # takes the lower id ...
                published.set()
                release.wait(timeout=10)  # ... and commits after the fast one was relayed and handled
        finally:
            connections.close_all()

    thread = threading.Thread(target=slow_producer)
    thread.start()
    assert published.wait(timeout=10)
    with transaction.atomic():
        publish(Bench(key="fast", n=2))
    deliver_outbox()
    assert list(ProbeEffect.objects.values_list("key", flat=True)) == ["fast"]
    release.set()
    thread.join(timeout=10)
    deliver_outbox()
    slow, fast = OutboxEvent.objects.order_by("id")
    assert (slow.payload["key"], fast.payload["key"]) == ("slow", "fast")
    assert sorted(ProbeEffect.objects.values_list("key", flat=True)) == ["fast", "slow"]


def test_the_same_message_handled_from_eight_threads_takes_effect_once():
    with transaction.atomic():
        publish(Bench(key="k", n=1))
    envelope = envelope_of(OutboxEvent.objects.get())
    subscriber = subscriber_named("loyalty.bench")
    barrier = threading.Barrier(8)

    def one(_):
        try:
            barrier.wait(timeout=10)
            return handle(subscriber, envelope)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(one, range(8)))
    assert results.count(True) == 1
    assert InboxRecord.objects.filter(event_id=envelope.event_id).count() == 1
    assert ProbeEffect.objects.count() == 1
