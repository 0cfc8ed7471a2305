"""Real relay, worker and Redis processes on PostgreSQL, killed with SIGKILL: nothing lost, nothing twice."""
import os
import shutil
import signal
import socket
import threading
import time
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import connections, transaction

from inventory.api import get_inventory_api
from notifications.models import Notification, OrderActivity
from orders.api import get_orders_api
from outbox.api import publish
from outbox.models import Delivery, InboxRecord, OutboxEvent
from outbox.registry import subscribers_for
from payments.models import Invoice
from tests.conftest import on_postgres, priced
from tests.loyalty.events import Bench, Probe
from tests.loyalty.models import PointsAward, ProbeEffect
from tests.processes import celery_worker, child_env, kill_relays_until, relay, running, wait_for

pytestmark = [pytest.mark.processes, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgres_and_redis(db):
    if not on_postgres() or not settings.CELERY_BROKER_URL.startswith(("redis://", "amqp://")):
        pytest.skip("crash tests run on PostgreSQL with Redis or RabbitMQ as the broker (scripts/test)")


def needs_redis_broker():
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("about the Redis broker itself (RabbitMQ: its delivery-limit policy, docs/topology.md)")


def all_delivered() -> bool:
    """Every message fanned out, and every delivery it should have exists and is done."""
    if OutboxEvent.objects.filter(dispatched_at__isnull=True).exists():
        return False
    expected = sum(len(subscribers_for(name)) for name in OutboxEvent.objects.values_list("name", flat=True))
    return Delivery.objects.filter(status="done").count() == expected == Delivery.objects.count()


def place_orders(count: int, *, pause: float = 0.0) -> list:
    orders = []
    try:
        for i in range(count):
            orders.append(get_orders_api().place_order(
                customer_id=i, email=f"c{i}@example.com", lines=[priced("MUG", 1)], payment_token="tok_visa",
                shipping_address="",
            ))
            time.sleep(pause)
    finally:
        connections.close_all()
    return orders


def assert_each_effect_once(orders) -> None:
    order_ids = {o.order_id for o in orders}
    assert all(o.status == "confirmed" for o in orders)
    assert sorted(PointsAward.objects.values_list("order_id", flat=True)) == sorted(order_ids)
    assert sorted(str(i) for i in Invoice.objects.values_list("order_id", flat=True)) == sorted(order_ids)
    assert sorted(str(i) for i in OrderActivity.objects.values_list("order_id", flat=True)) == sorted(order_ids)
    confirmations = Notification.objects.filter(kind="order_confirmation", status="sent")
    assert sorted(str(i) for i in confirmations.values_list("order_id", flat=True)) == sorted(order_ids)
    assert InboxRecord.objects.count() == Delivery.objects.count()


@pytest.fixture
def plenty_of_mugs(catalog):
    get_inventory_api().restock(sku="MUG", quantity=10_000, reason="crash tests")


def test_relay_killed_mid_batch_again_and_again_while_orders_flow(plenty_of_mugs):
    # Tiny batches, so a kill lands between claiming deliveries and handing them all to the broker.
    env = child_env(OUTBOX_BATCH_SIZE="3", OUTBOX_TASK_BATCH="2")
    stop, kills = threading.Event(), []

    with celery_worker(concurrency=2):
        killer = threading.Thread(target=lambda: kills.append(kill_relays_until(stop, env=env)))
        killer.start()
        try:
            orders = place_orders(40, pause=0.1)
        finally:
            stop.set()
            killer.join(timeout=20)
        assert kills[0] >= 4
        with relay(env=env):  # leases of what the killed relays held expire, and it goes out again
            wait_for(all_delivered, timeout=60, interval=0.3, message="every message delivered to every subscriber")
    assert_each_effect_once(orders)


def pool_children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as children:
        return [int(child) for child in children.read().split()]


def test_worker_killed_mid_handler_is_redelivered_and_takes_effect_once():
    with relay(), celery_worker(concurrency=1) as worker:
        with transaction.atomic():
            publish(Probe(key="slow", n=1, sleep=2.0))
        wait_for(lambda: Delivery.objects.filter(attempts=1, status="in_flight").exists(), timeout=20,
                 message="the handler to start")
        time.sleep(0.5)
        for child in pool_children(worker.pid):
            os.kill(child, signal.SIGKILL)  # the pool process running the handler dies mid-way
        wait_for(lambda: Delivery.objects.filter(status="done").exists(), timeout=30, message="the redelivery")
    delivery = Delivery.objects.get()
    assert delivery.attempts == 2
    assert ProbeEffect.objects.count() == 1


def test_two_relays_over_thousands_of_messages_lose_none_and_keep_aggregate_order():
    with transaction.atomic():
        for n in range(2000):
            publish(Bench(key=f"b{n % 50}", n=n))
        for n in range(600):
            publish(Probe(key=f"p{n % 20}", n=n))  # ordered per key
    with relay(log_name="relay-a"), relay(log_name="relay-b"), celery_worker(concurrency=2):
        wait_for(all_delivered, timeout=120, interval=0.5, message="2,600 messages delivered")
    bench = ProbeEffect.objects.filter(subscriber="loyalty.bench")
    assert bench.count() == bench.values("event_id").distinct().count() == 2000
    probes = ProbeEffect.objects.filter(subscriber="loyalty.probe")
    assert probes.count() == probes.values("event_id").distinct().count() == 600
    for key in {f"p{k}" for k in range(20)}:
        seen = list(probes.filter(key=key).order_by("id").values_list("n", flat=True))
        assert seen == sorted(seen) and len(seen) == 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def own_redis(port: int):
    """A redis-server of this test's own on `port` (the shared one is never stopped)."""
    args = [shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no"]
    with running(args, log_name=f"redis-{port}") as process:
        wait_for(lambda: _answers(port), timeout=10, message="redis to start")
        yield process


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server to start one of its own")
def test_orders_are_accepted_while_redis_is_down_and_delivered_after(plenty_of_mugs):
    needs_redis_broker()
    port = free_port()
    env = child_env(CELERY_BROKER_URL=f"redis://127.0.0.1:{port}/0")
    with own_redis(port) as redis_process:
        with relay(env=env), celery_worker(env=env):
            before = place_orders(3)
            wait_for(all_delivered, timeout=30, message="deliveries while Redis is up")
            os.killpg(redis_process.pid, signal.SIGTERM)
            redis_process.wait(timeout=10)
            during = place_orders(3)  # the producer needs only PostgreSQL
            time.sleep(1.5)
            assert not all_delivered()
            with own_redis(port):
                wait_for(all_delivered, timeout=60, interval=0.3, message="deliveries after Redis is back")
    assert_each_effect_once(before + during)
