"""Deliveries/s with the shop's real subscribers (a choreographed checkout), next to the synthetic subscriber
and a plain Celery task measured in the same run, and where a delivery's time goes, per subscriber.

    .venv/bin/python -m bench.deliveries [--orders 300] [--events 3000] [--workers 1]

PostgreSQL + Redis on loopback (BENCH_POSTGRES_URL, BENCH_REDIS_URL); a scratch database, dropped at the end.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from contextlib import ExitStack

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ["CHECKOUT_MODE"] = "choreographed"  # every step of the checkout is a delivery

from bench.outbox import (clear_work, create_database, drop_database, purge_queues,  # noqa: E402
                          setup_django, throughput_outbox, throughput_plain)

SKUS = {"BENCH-A": "10.00", "BENCH-B": "24.50", "BENCH-C": "3.75"}


def seed() -> None:
    from decimal import Decimal

    from inventory.api import get_inventory_api
    from shop.models import Product

    for sku, price in SKUS.items():
        Product.objects.create(sku=sku, name=sku, price_amount=Decimal(price))
        get_inventory_api().restock(sku=sku, quantity=1_000_000, reason="bench")


def place_orders(count: int) -> None:
    """Orders as the storefront places them in the choreographed mode: the order and OrderPlaced, committed."""
    from decimal import Decimal

    from common.money import Money
    from orders.api import PricedLine, get_orders_api

    skus = list(SKUS)
    for n in range(count):
        sku = skus[n % len(skus)]
        get_orders_api().place_order(
            customer_id=n, email=f"c{n}@example.com", payment_token="tok_visa", shipping_address="1 Bench Road",
            lines=[PricedLine(sku=sku, name=sku, quantity=1 + n % 3, unit_price=Money(Decimal(SKUS[sku])))])


def all_final() -> bool:
    from orders.models import Order
    from outbox.models import Delivery, OutboxEvent

    return (not Order.objects.exclude(status__in=["confirmed", "cancelled"]).exists()
            and not Delivery.objects.exclude(status__in=["done", "dead"]).exists()
            and not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists())


def clear_orders() -> None:
    from orders.models import Order

    clear_work()
    Order.objects.all().delete()


def in_process_profile(count: int) -> tuple[float, dict[str, tuple[int, float]]]:
    """The checkout's deliveries run in this process, batch by batch as a worker would: (deliveries/s, per
    subscriber (deliveries, seconds)). No broker or relay wait in it: the cost of the deliveries themselves."""
    from outbox.delivery import deliver_batch
    from outbox.relay import claim, fan_out

    clear_orders()
    place_orders(count)
    per: dict[str, list] = defaultdict(lambda: [0, 0.0])
    started = time.perf_counter()
    while not all_final():
        _, in_flight = fan_out(batch=500)
        work = defaultdict(list)
        for delivery_id, subscriber in in_flight + claim(batch=500):
            work[subscriber].append(delivery_id)
        if not work:
            time.sleep(0.05)  # a wait for an earlier message, or a backoff
        for subscriber, ids in work.items():
            for start in range(0, len(ids), 100):
                t = time.perf_counter()
                deliver_batch(subscriber, ids[start:start + 100])
                per[subscriber][0] += len(ids[start:start + 100])
                per[subscriber][1] += time.perf_counter() - t
    elapsed = time.perf_counter() - started
    total = sum(n for n, _ in per.values())
    return total / elapsed, {name: (n, seconds) for name, (n, seconds) in per.items()}


def end_to_end(count: int) -> tuple[float, float, int]:
    """Relay and worker processes running: (deliveries/s, orders/s, deliveries) from the orders' commit to the
    last delivery done."""
    from outbox.models import Delivery

    clear_orders()
    place_orders(count)
    started = time.perf_counter()  # committed: the relay is woken now
    deadline = started + 600
    while not all_final():
        if time.perf_counter() > deadline:
            raise RuntimeError("the checkout did not finish within 600 s")
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    deliveries = Delivery.objects.count()
    return deliveries / elapsed, count / elapsed, deliveries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=300, help="choreographed orders per phase")
    parser.add_argument("--events", type=int, default=3000, help="synthetic events for the same-run figure")
    parser.add_argument("--workers", type=int, default=1, help="Celery worker processes (concurrency 2 each)")
    args = parser.parse_args()
    create_database()
    try:
        setup_django()
        from tests.processes import celery_worker, child_env, relay

        seed()
        from django.conf import settings

        place_orders(20)  # warm caches and code paths, then measure
        synchronous = settings.OUTBOX
        settings.OUTBOX = {**synchronous, "SYNCHRONOUS_HANDLER_COMMIT": True}
        floor_rate, _ = in_process_profile(args.orders)  # each handler's commit waits for the WAL flush
        settings.OUTBOX = {**synchronous, "SYNCHRONOUS_HANDLER_COMMIT": False}
        rate, per = in_process_profile(args.orders)
        settings.OUTBOX = synchronous
        print(f"\nin one process, no broker: {rate:,.0f} deliveries/s of the real subscribers "
              f"({args.orders} choreographed orders); {floor_rate:,.0f}/s when each handler's commit waits for "
              f"the WAL flush (SYNCHRONOUS_HANDLER_COMMIT)")
        print(f"{'subscriber':<48} {'deliveries':>10} {'us/delivery':>12} {'share':>6}")
        spent = sum(seconds for _, seconds in per.values())
        for name, (n, seconds) in sorted(per.items(), key=lambda item: -item[1][1]):
            print(f"{name:<48} {n:>10} {seconds / n * 1e6:>12,.0f} {seconds / spent:>6.0%}")
        env = child_env(CHECKOUT_MODE="choreographed")
        with ExitStack() as stack:
            for n in range(args.workers):
                stack.enter_context(celery_worker(concurrency=2, log_name=f"bench-deliveries-worker{n}", env=env))
            floor = throughput_plain(200) and throughput_plain(args.events)  # warm the pool, then measure
            with relay(env=env, log_name="bench-deliveries-relay"):
                throughput_outbox(200)
                synthetic = throughput_outbox(args.events)
                end_to_end(20)
                real, orders_rate, deliveries = end_to_end(args.orders)
        print(f"\nrelay + {args.workers} worker(s) at concurrency 2, from commit to the last delivery done:")
        print(f"  real subscribers:      {real:,.0f} deliveries/s = {orders_rate:,.1f} orders/s "
              f"({deliveries / args.orders:.1f} deliveries per order)")
        print(f"  synthetic subscriber:  {synthetic:,.0f} deliveries/s (tests.Bench, batched)")
        print(f"  floor, plain task:     {floor:,.0f} tasks/s (one Celery task per event, same effect)")
        print(f"load average (1, 5, 15 min): {os.getloadavg()}")
    finally:
        from django.db import connections

        connections.close_all()
        purge_queues()
        drop_database()


if __name__ == "__main__":
    main()
