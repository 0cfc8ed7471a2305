"""Deliveries/s with the shop's real subscribers (choreographed and orchestrated checkouts) through a relay and
real Celery workers, next to the synthetic subscriber measured in the same run; where a delivery's time goes;
and the outbox tables' sizes after a soak with retention.

    .venv/bin/python -m bench.deliveries [--orders 300] [--events 3000] [--workers 1] [--concurrency 2]
                                         [--profile-orders 60] [--soak-orders 0] [--timeout 300]

PostgreSQL + Redis on loopback (BENCH_POSTGRES_URL, BENCH_REDIS_URL); a scratch database, dropped at the end.
Every wait is bounded by --timeout: a phase that does not finish prints what is stuck and exits 1.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections import Counter, defaultdict
from contextlib import ExitStack

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.outbox import (clear_work, create_database, drop_database, purge_queues,  # noqa: E402
                          setup_django, throughput_outbox)

SKUS = {"BENCH-A": "10.00", "BENCH-B": "24.50", "BENCH-C": "3.75"}
TABLES = ("outbox_outboxevent", "outbox_delivery", "outbox_inboxrecord")


class Stuck(RuntimeError):
    """A phase did not finish within --timeout."""


def seed() -> None:
    from decimal import Decimal

    from inventory.api import get_inventory_api
    from shop.models import Product

    for sku, price in SKUS.items():
        Product.objects.create(sku=sku, name=sku, price_amount=Decimal(price))
        get_inventory_api().restock(sku=sku, quantity=1_000_000, reason="bench")


def place_orders(count: int, mode: str) -> None:
    """Orders as the storefront places them: choreographed ones answer at once, orchestrated ones run the saga."""
    from decimal import Decimal

    from django.conf import settings

    from common.money import Money
    from orders.api import PricedLine, get_orders_api

    settings.CHECKOUT_MODE = mode  # read by the checkout when the order is placed, stored on the order
    skus = list(SKUS)
    for n in range(count):
        sku = skus[n % len(skus)]
        get_orders_api().place_order(
            customer_id=n, email=f"c{n}@example.com", payment_token="tok_visa", shipping_address="1 Bench Road",
            lines=[PricedLine(sku=sku, name=sku, quantity=1 + n % 3, unit_price=Money(Decimal(SKUS[sku])))])


def unfinished() -> dict[str, int]:
    """What is left: orders not final, messages not fanned out, deliveries not done (empty when all is done).

    Read in that order, each in its own statement: a message is fanned out (and its deliveries created) in one
    transaction, so one that the second read finds fanned out has its deliveries visible to the third."""
    from orders.models import Order
    from outbox.models import Delivery, OutboxEvent

    left = {f"order {status}": n for status, n in Counter(
        Order.objects.exclude(status__in=["confirmed", "cancelled"]).values_list("status", flat=True)).items()}
    undispatched = OutboxEvent.objects.filter(dispatched_at__isnull=True).count()
    if undispatched:
        left["message not fanned out"] = undispatched
    left.update({f"delivery {status}": n for status, n in Counter(
        Delivery.objects.exclude(status="done").values_list("status", flat=True)).items()})
    return left


SWEPT = Counter()  # sagas the sweeper resumed, per phase: each waited for it instead of an event


def wait_until_done(timeout: float, what: str) -> None:
    """Until nothing is left, running orders' saga sweeper every 2 s as beat would (no beat runs here)."""
    from orders.saga import sagas_resume_stuck

    deadline = time.monotonic() + timeout
    swept_at = time.monotonic()
    while left := unfinished():
        if time.monotonic() > deadline:
            raise Stuck(f"{what} did not finish within {timeout:.0f} s; left: {left}")
        if time.monotonic() - swept_at > 2:
            SWEPT[what] += sagas_resume_stuck()
            swept_at = time.monotonic()
        time.sleep(0.05)


def clear_orders() -> None:
    from orders.models import Order

    clear_work()
    Order.objects.all().delete()


def window(since) -> tuple[int, float]:
    """(deliveries, seconds from `since` to the last delivery done)."""
    from django.db.models import Max

    from outbox.models import Delivery

    from orders.models import Order
    from outbox.models import OutboxEvent

    last = Delivery.objects.aggregate(t=Max("done_at"))["t"]
    if last is None:
        raise Stuck(f"no delivery was done: orders {Counter(Order.objects.values_list('status', flat=True))}, "
                    f"{OutboxEvent.objects.count()} messages, {Delivery.objects.count()} deliveries")
    return Delivery.objects.count(), (last - since).total_seconds()


def checkouts(count: int, mode: str, *, relay_process, timeout: float) -> tuple[int, float]:
    """`count` orders through the relay and the workers: (deliveries, seconds from the relay's resumption to the
    last delivery done). The relay is paused (SIGSTOP) while the orders are placed, so that the workers' rate is
    measured, not the rate this one process places orders at (an orchestrated order runs its saga in the call)."""
    from django.utils import timezone

    clear_orders()
    os.kill(relay_process.pid, signal.SIGSTOP)
    try:
        place_orders(count, mode)
    finally:
        os.kill(relay_process.pid, signal.SIGCONT)
        resumed = timezone.now()
    wait_until_done(timeout, f"{count} {mode} orders")
    return window(resumed)


def in_process_profile(count: int, mode: str, *, timeout: float) -> dict[str, list]:
    """The checkout's deliveries run in this process, batch by batch as a worker would, no broker or relay wait:
    per subscriber [deliveries, seconds]."""
    from outbox.delivery import deliver_batch
    from outbox.relay import claim, fan_out

    clear_orders()
    place_orders(count, mode)
    per: dict[str, list] = defaultdict(lambda: [0, 0.0])
    deadline = time.monotonic() + timeout
    while unfinished():
        if time.monotonic() > deadline:
            raise Stuck(f"the in-process profile did not finish within {timeout:.0f} s; left: {unfinished()}")
        _, in_flight = fan_out(batch=500)
        work = defaultdict(list)
        for delivery_id, subscriber in in_flight + claim(batch=500):
            work[subscriber].append(delivery_id)
        if not work:
            time.sleep(0.02)  # a backoff
        for subscriber, ids in work.items():
            for start in range(0, len(ids), 100):
                chunk = ids[start:start + 100]
                started = time.perf_counter()
                deliver_batch(subscriber, chunk)
                per[subscriber][0] += len(chunk)
                per[subscriber][1] += time.perf_counter() - started
    return per


def table_sizes() -> dict[str, tuple[int, int]]:
    """(rows, bytes with indexes and TOAST) of the outbox's tables."""
    from django.db import connection

    with connection.cursor() as cursor:
        sizes = {}
        for table in TABLES:
            cursor.execute(f"SELECT count(*), pg_total_relation_size('{table}') FROM {table}")
            sizes[table] = cursor.fetchone()
        return sizes


def soak(count: int, rate: float, retention: float, *, timeout: float) -> tuple[dict, dict, dict]:
    """`count` choreographed orders at `rate`/s through the relay and workers, pruning with a `retention`-second
    retention for every kind of row every 2 s until all is done (and vacuuming, as autovacuum would): the
    tables' largest (rows, bytes) seen at a prune, the sizes when all is done, and once everything has aged out."""
    from django.db import connection

    from orders.saga import sagas_resume_stuck
    from outbox.retention import prune

    def vacuum(full: bool = False) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM {'FULL ' if full else ''}{', '.join(TABLES)}")

    peak: dict[str, tuple[int, int]] = dict.fromkeys(TABLES, (0, 0))

    def prune_now() -> None:
        prune(done_older_than_seconds=retention, older_than_days=retention / 86400)
        vacuum()
        for table, (rows, size) in table_sizes().items():
            peak[table] = (max(peak[table][0], rows), max(peak[table][1], size))

    clear_orders()
    vacuum(full=True)  # start from empty files: the sizes are then the soak's own
    started = last_prune = time.perf_counter()
    deadline = time.monotonic() + timeout
    placed = 0
    while placed < count or unfinished():
        if time.monotonic() > deadline:
            raise Stuck(f"the soak did not finish within {timeout:.0f} s; left: {unfinished()}")
        if placed < count:
            place_orders(1, "choreographed")
            placed += 1
        if time.perf_counter() - last_prune > 2:
            prune_now()
            SWEPT["soak"] += sagas_resume_stuck()  # as beat would
            last_prune = time.perf_counter()
        time.sleep(max(0.0, started + placed / rate - time.perf_counter()) if placed < count else 0.1)
    done = table_sizes()
    time.sleep(retention)
    prune_now()
    return peak, done, table_sizes()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=300, help="orders per checkout mode")
    parser.add_argument("--events", type=int, default=3000, help="synthetic events for the same-run figure")
    parser.add_argument("--workers", type=int, default=1, help="Celery workers")
    parser.add_argument("--concurrency", type=int, default=2, help="processes per worker (prefork)")
    parser.add_argument("--profile-orders", type=int, default=60, help="choreographed orders run in this process, "
                                                                      "timed per subscriber (0 skips)")
    parser.add_argument("--soak-orders", type=int, default=0, help="orders for the table-size soak (0 skips)")
    parser.add_argument("--soak-rate", type=float, default=10.0, help="orders/s during the soak")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds any phase may take")
    parser.add_argument("--warmup", type=int, default=20, help="orders (and x10 events) run before each measure")
    args = parser.parse_args()
    load_at_start = os.getloadavg()
    create_database()
    try:
        setup_django()
        from tests.processes import celery_worker, child_env, relay

        seed()
        rows = []
        with ExitStack() as stack:
            env = child_env()
            for n in range(args.workers):
                stack.enter_context(celery_worker(concurrency=args.concurrency, env=env,
                                                  log_name=f"bench-deliveries-worker{n}"))
            relay_process = stack.enter_context(relay(env=env, log_name="bench-deliveries-relay"))
            if args.warmup:
                throughput_outbox(10 * args.warmup)  # warm the workers' pool processes and the relay
            synthetic = throughput_outbox(args.events)
            for mode in ("choreographed", "orchestrated"):
                if args.warmup:
                    checkouts(args.warmup, mode, relay_process=relay_process, timeout=args.timeout)
                deliveries, seconds = checkouts(args.orders, mode, relay_process=relay_process,
                                                timeout=args.timeout)
                rows.append((mode, deliveries, seconds))
            if args.soak_orders:
                peak, done, after = soak(args.soak_orders, args.soak_rate, retention=5.0, timeout=args.timeout)
        print(f"\nrelay + {args.workers} worker(s) at concurrency {args.concurrency}, from the relay's start on the "
              f"placed orders to the last delivery done:")
        print(f"  synthetic subscriber:  {synthetic:,.0f} deliveries/s (tests.Bench, batched)")
        for mode, deliveries, seconds in rows:
            print(f"  real subscribers, {mode + ':':<15} {deliveries / seconds:,.0f} deliveries/s = "
                  f"{args.orders / seconds:,.1f} orders/s ({deliveries / args.orders:.1f} deliveries per order), "
                  f"{deliveries / seconds / synthetic:.0%} of the synthetic; "
                  f"{SWEPT[f'{args.orders} {mode} orders']} resumed by the sweeper")
        if args.profile_orders:
            per = in_process_profile(args.profile_orders, "choreographed", timeout=args.timeout)
            spent = sum(seconds for _, seconds in per.values())
            total = sum(n for n, _ in per.values())
            print(f"\nin this process, no broker or relay wait ({args.profile_orders} choreographed orders): "
                  f"{total / spent:,.0f} deliveries/s")
            print(f"  {'subscriber':<46} {'deliveries':>10} {'us/delivery':>12} {'share':>6}")
            for name, (n, seconds) in sorted(per.items(), key=lambda item: -item[1][1]):
                print(f"  {name:<46} {n:>10} {seconds / n * 1e6:>12,.0f} {seconds / spent:>6.0%}")
        if args.soak_orders:
            print(f"\nsoak: {args.soak_orders} choreographed orders at {args.soak_rate:g}/s, pruned and vacuumed "
                  f"every 2 s with a 5 s retention for every kind of row until all was done (files start empty):")
            for table in TABLES:
                print(f"  {table:<20} at most {peak[table][0]:>6} rows, {peak[table][1] / 1024:>6,.0f} kB; "
                      f"{done[table][0]:>5} rows when all was done; after everything aged out: "
                      f"{after[table][0]} rows in {after[table][1] / 1024:,.0f} kB")
        print(f"load average (1, 5, 15 min): {os.getloadavg()}; at the start: {load_at_start}")
        return 0
    except Stuck as stuck:
        print(f"STUCK: {stuck}", file=sys.stderr)
        return 1
    finally:
        from django.db import connections

        connections.close_all()
        purge_queues()
        drop_database()


if __name__ == "__main__":
    sys.exit(main())
