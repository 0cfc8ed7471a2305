"""Outbox benchmark on PostgreSQL + Redis, one worker at concurrency 2; each figure next to a floor measured here.

    .venv/bin/python -m bench.outbox [--events 5000] [--latency-seconds 10]

Creates a scratch database (bench_outbox_<pid>) on the PostgreSQL of DATABASE_URL, drops it at the end.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
import uuid

PG = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
DB_NAME = f"bench_outbox_{os.getpid()}"


def create_database() -> None:
    import psycopg

    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def drop_database() -> None:
    import psycopg

    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def setup_django() -> None:
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "config.settings.test",  # the profile with the loyalty/bench subscribers
        "DATABASE_URL": PG.rsplit("/", 1)[0] + f"/{DB_NAME}",
        "CELERY_BROKER_URL": REDIS,
        "CELERY_TASK_DEFAULT_QUEUE": f"bench-{os.getpid()}",
        # Longer than any queue wait here, so nothing is handed out twice while the worker catches up.
        "OUTBOX_LEASE_SECONDS": "60",
    })
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- phases --------------------------------------------------------------------------------------------


def producer_cost(rounds: int) -> tuple[float, float, float]:
    """Median µs of a transaction changing one row: alone, plus one plain extra row, plus publishing one event."""
    from django.db import transaction
    from django.db.models import F

    from outbox.api import publish
    from tests.loyalty.events import Bench
    from tests.loyalty.models import PointsAward

    row = PointsAward.objects.create(order_id="bench", customer_id=0, points=0)

    def plain(i):
        with transaction.atomic():
            PointsAward.objects.filter(pk=row.pk).update(points=F("points") + 1)

    def extra_row(i):
        with transaction.atomic():
            PointsAward.objects.filter(pk=row.pk).update(points=F("points") + 1)
            PointsAward.objects.create(order_id=f"x{i}", customer_id=i, points=1)

    def with_event(i):
        with transaction.atomic():
            PointsAward.objects.filter(pk=row.pk).update(points=F("points") + 1)
            publish(Bench(key=f"p{i % 50}", n=i))

    variants = [plain, extra_row, with_event]
    timings = {variant: [] for variant in variants}
    block = 50  # small blocks, interleaved in alternating order, so load on the machine hits all alike
    for number in range(rounds // block):
        for variant in variants if number % 2 == 0 else variants[::-1]:
            start = time.perf_counter()
            for i in range(block):
                variant(number * block + i)
            timings[variant].append((time.perf_counter() - start) / block)
    return tuple(statistics.median(timings[variant]) * 1e6 for variant in variants)


def clear_work() -> None:
    from outbox.models import Delivery, InboxRecord, OutboxEvent
    from tests.loyalty.models import ProbeEffect

    Delivery.objects.all().delete()
    OutboxEvent.objects.all().delete()
    InboxRecord.objects.all().delete()
    ProbeEffect.objects.all().delete()


def publish_many(count: int, *, per_transaction: int = 500) -> list[str]:
    from django.db import transaction

    from outbox.api import publish
    from tests.loyalty.events import Bench

    ids = []
    for start in range(0, count, per_transaction):
        with transaction.atomic():
            for n in range(start, min(count, start + per_transaction)):
                event = Bench(key=f"k{n % 100}", n=n)
                publish(event)
                ids.append(str(event.event_id))
    return ids


def handoff_rate(count: int) -> float:
    """Events/s the relay fans out and hands to the broker (no worker running; messages purged after)."""
    from outbox.relay import relay_until_idle

    clear_work()
    publish_many(count)
    start = time.perf_counter()
    relay_until_idle()
    elapsed = time.perf_counter() - start
    return count / elapsed


def purge_queues() -> None:
    from celery import current_app

    from tests.processes import all_queues

    with current_app.connection_for_write() as conn:
        channel = conn.default_channel
        for queue in all_queues().split(","):
            try:
                channel.queue_purge(queue)
            except Exception:
                pass


def wait_effects(subscriber: str, count: int, timeout: float = 300) -> float:
    from tests.loyalty.models import ProbeEffect

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ProbeEffect.objects.filter(subscriber=subscriber).count() >= count:
            return time.perf_counter()
        time.sleep(0.02)
    raise RuntimeError(f"only {ProbeEffect.objects.filter(subscriber=subscriber).count()} of {count} handled")


def throughput_outbox(count: int) -> float:
    """Events/s from a commit of `count` events to their handlers finished (relay + worker running)."""
    from django.db import transaction

    from outbox.api import publish
    from tests.loyalty.events import Bench

    clear_work()
    with transaction.atomic():
        for n in range(count):
            publish(Bench(key=f"k{n % 100}", n=n))
    start = time.perf_counter()  # committed: the NOTIFY goes out now
    return count / (wait_effects("loyalty.bench", count) - start)


def throughput_plain(count: int) -> float:
    """The floor: one plain Celery task per event running the same effect."""
    from celery import current_app

    clear_work()
    start = time.perf_counter()
    with current_app.producer_or_acquire() as producer:
        for n in range(count):
            current_app.send_task("loyalty.bench_plain", args=[str(uuid.uuid4()), {"key": f"k{n % 100}", "n": n}],
                                  producer=producer)
    return count / (wait_effects("loyalty.bench_plain", count) - start)


def latency(seconds: float, rate: float, *, plain: bool) -> tuple[float, float]:
    """p50 and p99 ms from commit to handler start at a steady `rate`, via the outbox or a plain task."""
    from celery import current_app
    from django.db import transaction

    from outbox.api import publish
    from tests.loyalty.events import Bench
    from tests.loyalty.models import ProbeEffect

    clear_work()
    committed: dict[str, float] = {}
    subscriber = "loyalty.bench_plain" if plain else "loyalty.bench"
    total = int(seconds * rate)
    next_at = time.perf_counter()
    for n in range(total):
        event = Bench(key=f"l{n % 10}", n=n)
        if plain:
            def send(event=event, n=n):
                committed[str(event.event_id)] = time.time()
                current_app.send_task("loyalty.bench_plain", args=[str(event.event_id), {"key": event.key, "n": n}])
            with transaction.atomic():
                transaction.on_commit(send)
        else:
            with transaction.atomic():
                publish(event)
            committed[str(event.event_id)] = time.time()
        next_at += 1 / rate
        time.sleep(max(0.0, next_at - time.perf_counter()))
    wait_effects(subscriber, total, timeout=60)
    samples = sorted(
        (started - committed[str(event_id)]) * 1000
        for event_id, started in ProbeEffect.objects.filter(subscriber=subscriber).values_list("event_id", "started_at")
    )
    return samples[len(samples) // 2], samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def relay_kill(count: int, env: dict) -> tuple[int, int, int]:
    """Publish `count` events while relays are SIGKILLed and restarted; (kills, lost, duplicate effects)."""
    from django.db.models import Count

    from outbox.models import OutboxEvent
    from tests.loyalty.models import ProbeEffect
    from tests.processes import kill_relays_until, relay

    clear_work()
    stop, kills = threading.Event(), []

    def killer():
        kills.append(kill_relays_until(stop, env=env, pause=(0.2, 0.6)))

    thread = threading.Thread(target=killer)
    thread.start()
    ids = []
    try:
        for start in range(0, count, 20):
            ids += publish_many(min(20, count - start), per_transaction=20)
            time.sleep(0.005)
    finally:
        stop.set()
        thread.join()
    with relay(env=env, log_name="bench-relay-final"):
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if ProbeEffect.objects.filter(subscriber="loyalty.bench").values("event_id").distinct().count() >= count:
                break
            time.sleep(0.2)
        time.sleep(1.0)  # anything redelivered late would show up as a duplicate now
    seen = {str(e) for e in ProbeEffect.objects.filter(subscriber="loyalty.bench").values_list("event_id", flat=True)}
    lost = len(set(ids) - seen)
    duplicates = sum(
        row["n"] - 1 for row in ProbeEffect.objects.filter(subscriber="loyalty.bench").values("event_id")
        .annotate(n=Count("id")).filter(n__gt=1)
    )
    assert OutboxEvent.objects.count() == count
    return kills[0], lost, duplicates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000, help="events for the throughput phases")
    parser.add_argument("--handoff-events", type=int, default=10000)
    parser.add_argument("--producer-rounds", type=int, default=3000)
    parser.add_argument("--latency-seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=75.0)
    parser.add_argument("--kill-events", type=int, default=3000)
    args = parser.parse_args()
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

    load_at_start = os.getloadavg()
    create_database()
    try:
        setup_django()
        from tests.processes import celery_worker, child_env, relay

        rows = []
        plain_us, row_us, event_us = producer_cost(args.producer_rounds)
        rows.append(("producer: txn changing 1 row + publish (µs)", f"{event_us:.0f}",
                     f"{plain_us:.0f} no event; {row_us:.0f} +1 plain row ({row_us / plain_us:.2f}x)",
                     f"{event_us / plain_us:.2f}x", "<= 1.5x", event_us / plain_us <= 1.5))
        rate = handoff_rate(args.handoff_events)
        purge_queues()
        rows.append(("relay hand-off to broker (events/s)", f"{rate:,.0f}", "-", "-", ">= 2,000", rate >= 2000))
        env = child_env()
        with celery_worker(concurrency=2, log_name="bench-worker"):
            throughput_plain(200)  # warm the worker's pool processes
            floor = throughput_plain(args.events)
            with relay(env=env, log_name="bench-relay"):
                throughput_outbox(200)
                ours = throughput_outbox(args.events)
                rows.append(("committed -> handled (events/s)", f"{ours:,.0f}", f"{floor:,.0f} (1 task/event)",
                             f"{ours / floor:.2f}x", ">= 2x", ours / floor >= 2))
                p50, p99 = latency(args.latency_seconds, args.rate, plain=False)
            floor50, floor99 = latency(args.latency_seconds, args.rate, plain=True)
            rows.append((f"commit -> handler start p50 @ {args.rate:.0f}/s (ms)", f"{p50:.1f}",
                         f"{floor50:.1f} (on_commit task)", "-", "<= 10", p50 <= 10))
            rows.append((f"commit -> handler start p99 @ {args.rate:.0f}/s (ms)", f"{p99:.1f}",
                         f"{floor99:.1f} (on_commit task)", "-", "<= 50", p99 <= 50))
            # Short leases: what the killed relays held goes out again within seconds.
            kills, lost, dups = relay_kill(args.kill_events, child_env(OUTBOX_LEASE_SECONDS="3"))
            rows.append((f"relay kill -9 x{kills} over {args.kill_events} events", f"{lost} lost, {dups} dup",
                         "-", "-", "0 lost, 0 dup", lost == 0 and dups == 0))
        print_table(rows)
        print(f"load average at the end (1, 5, 15 min): {os.getloadavg()}; at the start: {load_at_start}")
    finally:
        from django.db import connections

        connections.close_all()
        drop_database()


def print_table(rows) -> None:
    header = ("measure", "outbox", "floor (same run)", "ratio", "target", "met")
    table = [header] + [(*row[:5], "yes" if row[5] else "NO") for row in rows]
    widths = [max(len(str(r[i])) for r in table) for i in range(len(header))]
    line = "+".join("-" * (w + 2) for w in widths)
    for i, row in enumerate(table):
        print(" | ".join(str(c).ljust(w) for c, w in zip(row, widths)))
        if i == 0:
            print(line)


if __name__ == "__main__":
    main()
