"""Delivery under trouble, in one process: waiting for an earlier message, unreadable payloads, lost hand-offs,
a database connection lost mid-batch, and the admin's dead-letter action."""
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from outbox.api import publish
from outbox.delivery import deliver_batch
from outbox.models import Delivery, OutboxEvent
from outbox.registry import subscriber_named
from outbox.relay import claim, fan_out, hand_off, keep_queued_leases, queued_messages
from tests.conftest import deliver_outbox, on_postgres
from tests.loyalty.events import Bench, Follower
from tests.loyalty.models import ProbeEffect

pytestmark = pytest.mark.django_db(transaction=True)


def store(*events):
    with transaction.atomic():
        for event in events:
            publish(event)


@pytest.fixture
def celery_queue():
    """Purges broker queues; every queue it touched is purged again afterwards."""
    from celery import current_app

    class Queues:
        touched: set = set()

        def purge(self, queue: str) -> None:
            self.touched.add(queue)
            with current_app.connection_or_acquire() as conn:
                conn.default_channel.queue_purge(queue)

    queues = Queues()
    yield queues
    for queue in queues.touched:
        queues.purge(queue)


def leader_seen(key: str) -> None:
    ProbeEffect.objects.create(event_id=OutboxEvent.objects.first().event_id, subscriber="test", key=f"leader:{key}",
                               n=0, started_at=0, pid=0)


def run_due() -> None:
    """Skip the waits: make every failed delivery due now, then deliver what is due."""
    Delivery.objects.filter(status="failed").update(next_attempt_at=timezone.now())
    deliver_outbox()


def test_waiting_for_an_earlier_message_spends_no_attempt_however_long_it_takes():
    store(Follower(key="f1"))
    for _ in range(3 * settings.OUTBOX["MAX_ATTEMPTS"]):  # far more tries than the failure budget
        run_due()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 0)
    assert delivery.last_error.startswith("waiting: leader of f1 not seen yet")
    assert delivery.next_attempt_at > timezone.now()  # not hammered: it waits a little between tries
    leader_seen("f1")
    run_due()
    assert Delivery.objects.get().status == "done"
    assert ProbeEffect.objects.filter(subscriber="loyalty.follower").count() == 1


def test_a_message_waiting_past_its_budget_is_dead_with_the_reason(settings):
    settings.OUTBOX = {**settings.OUTBOX, "WAIT_SECONDS": 60}
    store(Follower(key="f2", occurred_at=timezone.now() - timedelta(seconds=61)))
    deliver_outbox()
    delivery = Delivery.objects.get()
    assert delivery.status == "dead"
    assert "gave up waiting" in delivery.last_error and "leader of f2" in delivery.last_error


def test_an_unreadable_payload_is_dead_lettered_alone_and_its_neighbours_are_handled():
    store(Bench(key="b", n=1))
    with transaction.atomic():
        OutboxEvent.objects.create(name="tests.Bench", aggregate_type="bench", aggregate_id="b",
                                   payload="a JSON string, not an object", occurred_at=timezone.now())
    store(Bench(key="b", n=3))
    _, in_flight = fan_out(batch=10)
    counts = deliver_batch("loyalty.bench", [d for d, _ in in_flight])  # the three in one Celery message
    assert (counts["handled"], counts["dead"]) == (2, 1)
    bad = Delivery.objects.get(status="dead")
    assert bad.attempts == 1 and bad.last_error.startswith("unreadable stored message")
    assert sorted(ProbeEffect.objects.values_list("n", flat=True)) == [1, 3]
    assert not claim(batch=10)  # nothing comes back


def test_a_handed_off_delivery_not_started_in_time_is_sent_again_unless_its_queue_is_backed_up(celery_queue):
    store(Bench(key="h", n=1))
    _, in_flight = fan_out(batch=10)
    [(delivery_id, name)] = in_flight
    queue = subscriber_named(name).queue
    assert Delivery.objects.get().leased_until <= timezone.now() + timedelta(seconds=settings.OUTBOX["HANDOFF_SECONDS"])
    assert claim(batch=10) == []  # within its hand-off lease

    hand_off(in_flight)
    Delivery.objects.update(leased_until=timezone.now() - timedelta(seconds=1))
    assert queued_messages(queue) == 1
    assert keep_queued_leases() == 1 and claim(batch=10) == []  # still queued: a backlog, not a loss

    celery_queue.purge(queue)  # lost with the broker
    Delivery.objects.update(leased_until=timezone.now() - timedelta(seconds=1))
    assert keep_queued_leases() == 0
    assert claim(batch=10) == [(delivery_id, name)]


def test_a_started_delivery_keeps_the_long_lease():
    from outbox.delivery import start_attempts

    store(Bench(key="s", n=1))
    _, in_flight = fan_out(batch=10)
    started, _ = start_attempts([d for d, _ in in_flight])  # a worker took it, then died mid-handler
    assert len(started) == 1
    delivery = Delivery.objects.get()
    assert delivery.started_at is not None and delivery.attempts == 1
    assert delivery.leased_until > timezone.now() + timedelta(seconds=settings.OUTBOX["LEASE_SECONDS"] - 2)
    assert keep_queued_leases() == 0 and claim(batch=10) == []


@pytest.mark.postgres
def test_a_database_connection_lost_mid_batch_spends_no_attempt_and_puts_the_rest_back():
    if not on_postgres():
        pytest.skip("kills its own PostgreSQL backend")
    store(Follower(key="one"), Follower(key="two"), Follower(key="three"))
    leader_seen("one"), leader_seen("two"), leader_seen("three")
    ProbeEffect.objects.create(event_id=OutboxEvent.objects.first().event_id, subscriber="test", key="cut:two",
                               n=0, started_at=0, pid=0)
    _, in_flight = fan_out(batch=10)
    counts = deliver_batch("loyalty.follower", [d for d, _ in in_flight])
    statuses = dict(Delivery.objects.values_list("event__aggregate_id", "status"))
    assert counts["handled"] == 1 and counts["failed"] == 0, (counts, statuses)
    statuses = dict(Delivery.objects.values_list("event__aggregate_id", "status"))
    assert statuses == {"one": "done", "two": "pending", "three": "pending"}
    assert set(Delivery.objects.exclude(status="done").values_list("attempts", flat=True)) == {0}
    ProbeEffect.objects.filter(key="cut:two").delete()  # the database is back
    deliver_outbox()
    assert ProbeEffect.objects.filter(subscriber="loyalty.follower").count() == 3


def test_the_admin_can_dead_letter_any_delivery_that_is_not_done_and_replay_it(client):
    store(Bench(key="a", n=1), Bench(key="a", n=2))
    fan_out(batch=10)  # both in flight
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "root-pass"))
    first, second = Delivery.objects.order_by("id")
    changelist = reverse("admin:outbox_delivery_changelist")
    client.post(changelist, {"action": "dead_letter", "_selected_action": [first.pk]})
    first.refresh_from_db()
    assert first.status == "dead" and first.last_error.startswith("dead-lettered by root")
    client.post(changelist, {"action": "replay", "_selected_action": [first.pk, second.pk]})
    assert set(Delivery.objects.values_list("status", "attempts")) == {("pending", 0)}
    deliver_outbox()
    assert sorted(ProbeEffect.objects.values_list("n", flat=True)) == [1, 2]


@contextmanager
def taken_by_a_worker(key: str):
    """One delivery handed off, then taken from its queue and not acknowledged (a worker's prefetch): yields it
    and a function acknowledging the message (the worker let go of it without starting it)."""
    from celery import current_app

    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("reads the messages workers hold from Redis")
    store(Bench(key=key, n=1))
    _, in_flight = fan_out(batch=10)
    hand_off(in_flight)
    queue = subscriber_named(in_flight[0][1]).queue
    with current_app.connection_for_write() as conn:
        message = conn.default_channel.basic_get(queue, no_ack=False)
        assert message is not None and queued_messages(queue) == 0
        acknowledged = []
        try:
            yield in_flight[0], lambda: acknowledged.append(message.ack())
        finally:
            if not acknowledged:
                message.ack()


def expire_hand_offs(**changes) -> None:
    Delivery.objects.update(leased_until=timezone.now() - timedelta(seconds=1), **changes)


def test_a_delivery_prefetched_by_a_busy_worker_is_not_sent_twice():
    with taken_by_a_worker("p") as (delivery, let_go):
        expire_hand_offs()
        assert keep_queued_leases() == 1 and claim(batch=10) == []  # held, not lost
        let_go()  # as a worker killed before it started it, after acknowledging
    expire_hand_offs()
    assert keep_queued_leases() == 0
    assert claim(batch=10) == [delivery]


def test_a_delivery_held_by_a_worker_that_died_is_sent_again_after_the_lease():
    with taken_by_a_worker("d") as (delivery, _):  # its worker is killed: Redis keeps it unacknowledged
        expire_hand_offs(updated_at=timezone.now() - timedelta(seconds=settings.OUTBOX["LEASE_SECONDS"] + 1))
        assert keep_queued_leases() == 0
        assert claim(batch=10) == [delivery]


def test_a_hand_off_that_fails_midway_puts_back_every_delivery_it_may_not_have_sent(monkeypatch, celery_queue):
    from celery import current_app

    monkeypatch.setitem(settings.OUTBOX, "TASK_BATCH", 1)  # a Celery message per delivery: three sends
    store(*(Bench(key=f"h{n}", n=n) for n in range(3)))
    _, in_flight = fan_out(batch=10)
    celery_queue.touched.add(subscriber_named(in_flight[0][1]).queue)
    send, calls = current_app.send_task, []

    def second_fails(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise ConnectionError("the broker went away")
        return send(*args, **kwargs)

    monkeypatch.setattr(current_app, "send_task", second_fails)
    with pytest.raises(ConnectionError):
        hand_off(in_flight)
    with current_app.producer_or_acquire() as producer:
        batched = producer.supports_batch_publish  # Redis: nothing left before the batch's end, so none was sent
    pending = set(Delivery.objects.filter(status="pending").values_list("id", flat=True))
    assert pending == {delivery_id for delivery_id, _ in (in_flight if batched else in_flight[1:])}
