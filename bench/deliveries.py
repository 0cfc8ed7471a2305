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


def in_process_profile(count: int) -> tuple[int, float, dict[str, list]]:
    """The checkout's deliveries run in this process, batch by batch as a worker would: (deliveries, seconds,
    per subscriber [deliveries, seconds]). No broker or relay wait in it: the cost of the deliveries themselves."""
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
    return sum(n for n, _ in per.values()), time.perf_counter() - started, per


def in_process_a_b(count: int, rounds: int = 8) -> tuple[dict[bool, float], dict[str, list]]:
    """Deliveries/s in one process with synchronous and asynchronous handler commits, in alternating rounds
    (A B B A ...) so that the machine's load swings hit both alike; and the asynchronous rounds' per subscriber."""
    from django.conf import settings

    configured = settings.OUTBOX
    totals = {True: [0, 0.0], False: [0, 0.0]}
    per_async: dict[str, list] = defaultdict(lambda: [0, 0.0])
    try:
        for number in range(rounds):
            synchronous = number % 4 in (0, 3)
            settings.OUTBOX = {**configured, "SYNCHRONOUS_HANDLER_COMMIT": synchronous}
            deliveries, seconds, per = in_process_profile(max(1, 2 * count // rounds))
            totals[synchronous][0] += deliveries
            totals[synchronous][1] += seconds
            for name, (n, spent) in per.items():
                if not synchronous:
                    per_async[name][0] += n
                    per_async[name][1] += spent
    finally:
        settings.OUTBOX = configured
    return {mode: n / seconds for mode, (n, seconds) in totals.items()}, per_async


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


TABLES = ("outbox_outboxevent", "outbox_delivery", "outbox_inboxrecord")


def table_sizes() -> dict[str, tuple[int, int]]:
    """(rows, bytes with indexes and TOAST) of the outbox's tables."""
    from django.db import connection

    with connection.cursor() as cursor:
        sizes = {}
        for table in TABLES:
            cursor.execute(f"SELECT count(*), pg_total_relation_size('{table}') FROM {table}")
            sizes[table] = cursor.fetchone()
        return sizes


def soak(seconds: float, rate: float, retention: float) -> tuple[int, dict, dict]:
    """Orders at `rate`/s for `seconds`, pruning (and vacuuming) every 2 s at `retention` seconds for every kind
    of row; (orders, sizes at the end, sizes after everything left has aged out and was pruned)."""
    from outbox.retention import prune

    from django.db import connection

    clear_orders()
    with connection.cursor() as cursor:  # start from empty files: the sizes are then the soak's own
        cursor.execute(f"VACUUM FULL {', '.join(TABLES)}")
    placed, started, last_prune = 0, time.perf_counter(), time.perf_counter()
    while time.perf_counter() - started < seconds:
        place_orders(1)
        placed += 1
        if time.perf_counter() - last_prune > 2:
            prune(done_older_than_seconds=retention, older_than_days=retention / 86400)
            with connection.cursor() as cursor:  # what autovacuum does (tune it on these tables): space reusable
                cursor.execute(f"VACUUM {', '.join(TABLES)}")
            last_prune = time.perf_counter()
        time.sleep(max(0.0, started + placed / rate - time.perf_counter()))
    while not all_final():
        time.sleep(0.1)
    during = table_sizes()
    time.sleep(retention)
    prune(done_older_than_seconds=retention, older_than_days=retention / 86400)
    return placed, during, table_sizes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=300, help="choreographed orders per phase")
    parser.add_argument("--events", type=int, default=3000, help="synthetic events for the same-run figure")
    parser.add_argument("--workers", type=int, default=1, help="Celery worker processes (concurrency 2 each)")
    parser.add_argument("--soak-seconds", type=float, default=20.0, help="0 skips the table-size soak")
    parser.add_argument("--soak-rate", type=float, default=5.0, help="orders/s during the soak")
    args = parser.parse_args()
    create_database()
    try:
        setup_django()
        from tests.processes import celery_worker, child_env, relay

        seed()
        place_orders(20)  # warm caches and code paths, then measure
        rates, per = in_process_a_b(args.orders)
        print(f"\nin one process, no broker: {rates[False]:,.0f} deliveries/s of the real subscribers "
              f"({args.orders} choreographed orders); {rates[True]:,.0f}/s when each handler's commit waits for "
              f"the WAL flush (SYNCHRONOUS_HANDLER_COMMIT), in alternating rounds")
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
                if args.soak_seconds:
                    soaked, during, after = soak(args.soak_seconds, args.soak_rate, retention=5.0)
        print(f"\nrelay + {args.workers} worker(s) at concurrency 2, from commit to the last delivery done:")
        print(f"  real subscribers:      {real:,.0f} deliveries/s = {orders_rate:,.1f} orders/s "
              f"({deliveries / args.orders:.1f} deliveries per order)")
        print(f"  synthetic subscriber:  {synthetic:,.0f} deliveries/s (tests.Bench, batched)")
        print(f"  floor, plain task:     {floor:,.0f} tasks/s (one Celery task per event, same effect)")
        if args.soak_seconds:
            print(f"\nsoak: {soaked} orders at {args.soak_rate}/s for {args.soak_seconds:.0f} s, pruned and vacuumed every "
                  f"2 s with a 5 s retention for every kind of row (files start empty):")
            for table in TABLES:
                rows, size = during[table]
                print(f"  {table:<20} {rows:>6} rows kept, {size / 1024:>6,.0f} kB at the end "
                      f"({size / max(rows, 1):,.0f} B per kept row with indexes); after everything aged out: "
                      f"{after[table][0]} rows, {after[table][1] / 1024:,.0f} kB")
        print(f"load average (1, 5, 15 min): {os.getloadavg()}")
    finally:
        from django.db import connections

        connections.close_all()
        purge_queues()
        drop_database()


if __name__ == "__main__":
    main()
