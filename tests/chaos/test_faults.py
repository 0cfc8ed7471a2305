"""The shop's own processes (web, worker, relay, beat) on a PostgreSQL and Redis of the test's own, while the
infrastructure fails; afterwards every order is final within a stated time and the books balance.

Bounded: each test posts at most ORDERS orders in LOAD_SECONDS and waits at most SETTLE_SECONDS after.
"""
import threading
import time

import pytest
import urllib3

from tests.chaos.checks import assert_books_balance, post_orders, record, wait_all_final
from tests.processes import wait_for

ORDERS, LOAD_SECONDS, SETTLE_SECONDS = 60, 8.0, 60.0
PROCESSES = ("web", "worker", "relay", "beat")


def later(seconds: float, action) -> threading.Thread:
    thread = threading.Thread(target=lambda: (time.sleep(seconds), action()))
    thread.start()
    return thread


def settle_and_check(pg, shop, what: str, *, since: float, dead_allowed: int = 0, within: float | None = None) -> dict:
    try:
        settled = wait_all_final(pg, shop.database, timeout=SETTLE_SECONDS)
    except AssertionError as failure:
        raise AssertionError(f"{what}: {failure}\n{shop.diagnose()}") from None
    books = assert_books_balance(pg, shop.database, dead_allowed=dead_allowed)
    recovered = time.monotonic() - since
    assert books["orders"] >= 10, f"{what}: only {books['orders']} orders were placed: the load itself failed"
    assert within is None or recovered <= within, f"{what}: all final only {recovered:.1f}s after the fault"
    record(f"{what}: {books['orders']} orders, all final {time.monotonic() - since:.1f}s after the fault ended "
           f"(waited {settled:.1f}s after the load), max attempts {books['max_attempts']}, dead {books['dead']}")
    return books


# Both modes: the order and its saga are written in one transaction (orders.saga.checkout_place), so an order
# committed just before the database goes down always has a saga for the sweeper to finish.
@pytest.mark.parametrize("mode", ["choreographed", "orchestrated"])
def test_database_restart_mid_load_and_at_idle(chaos_postgres, chaos_shop, mode):
    shop = chaos_shop(CHECKOUT_MODE=mode)
    shop.start(*PROCESSES)
    restarted = {}

    def restart():
        restarted["stopping"] = time.monotonic()
        chaos_postgres.stop("fast")
        time.sleep(2)
        chaos_postgres.start()
        restarted["at"] = time.monotonic()

    fault = later(3, restart)
    load = post_orders(shop.url, count=ORDERS, seconds=LOAD_SECONDS)
    load_ended = time.monotonic()
    fault.join()
    # Within seconds, not the step's 30 s lease: a step cut off by the restart hands its saga back, and a step's claim
    # cut off by it is tried again once the database answers (orders.saga._release, _while_the_database_is_away).
    settle_and_check(chaos_postgres, shop, f"database restart mid-load ({mode})", since=restarted["at"], within=20)
    # Orders were taken before the fault, and again once the database was back if the load outlasted the restart
    # by more than a moment (on a loaded machine PostgreSQL may take the rest of the window to start).
    assert load.accepted() - load.accepted(after=restarted["stopping"]) >= 5, load
    assert load_ended - restarted["at"] < 1.5 or load.accepted(after=restarted["at"]) > 0, load

    # At idle: every process holds a dead connection when the next work comes.
    time.sleep(2)
    chaos_postgres.stop("fast")
    chaos_postgres.start()
    back = time.monotonic()
    load = post_orders(shop.url, count=3, seconds=5, clients=3)  # at once: several web threads, each its own connection
    assert load.statuses.get(201, 0) + load.statuses.get(202, 0) == 3, load  # the web's first request succeeds
    settle_and_check(chaos_postgres, shop, f"database restart at idle ({mode})", since=back)
    assert time.monotonic() - back < 20


def test_processes_started_while_the_database_is_down_serve_once_it_is_back(chaos_postgres, chaos_shop):
    # Found by a loaded CI run: a relay that booted while PostgreSQL restarted exited at once (its LISTEN
    # connection refused), and every choreographed step then waited for beat's safety net.
    shop = chaos_shop(CHECKOUT_MODE="choreographed")
    shop.start("web")
    chaos_postgres.stop("fast")
    try:
        shop.start("worker", "relay", "beat")
        time.sleep(4)  # each boots against a database that refuses it
    finally:
        chaos_postgres.start()
    back = time.monotonic()
    post_orders(shop.url, count=12, seconds=3, clients=2)
    settle_and_check(chaos_postgres, shop, "processes started while the database was down", since=back, within=20)
    exited = {kind: process.returncode for kind, process in shop.processes.items() if process.poll() is not None}
    assert not exited, f"exited: {exited}\n{shop.diagnose()}"


def test_broker_restart_mid_load_loses_no_order(chaos_postgres, chaos_redis, chaos_shop):
    # Production's lease: what the broker lost must come back by the hand-off lease, not by the lease.
    shop = chaos_shop(CHECKOUT_MODE="choreographed", OUTBOX_LEASE_SECONDS="60")
    shop.start(*PROCESSES)
    restarted = {}

    def restart():
        chaos_redis.stop()  # no persistence: every queued and unacknowledged message is gone
        time.sleep(3)
        chaos_redis.start()
        restarted["at"] = time.monotonic()

    fault = later(3, restart)
    post_orders(shop.url, count=ORDERS, seconds=LOAD_SECONDS)
    fault.join()
    # Before the relay gave up on an absent broker within a second, it hung in kombu's connect retries
    # (2, 4, 6... s) and every order took ~26 s after Redis was back.
    settle_and_check(chaos_postgres, shop, "broker restart mid-load", since=restarted["at"], within=20)


def test_a_lost_queue_is_detected_and_sent_again(chaos_postgres, chaos_redis, chaos_shop):
    shop = chaos_shop(CHECKOUT_MODE="choreographed", OUTBOX_LEASE_SECONDS="60")  # production's lease
    shop.start("web", "worker", "relay", "beat")
    post_orders(shop.url, count=10, seconds=2, clients=2)
    wait_all_final(chaos_postgres, shop.database, timeout=SETTLE_SECONDS)
    shop.stop("worker")
    post_orders(shop.url, count=10, seconds=2, clients=2)
    client = chaos_redis.client()

    def queued() -> int:
        return sum(client.llen(key) for key in client.keys("chaos.*") if not key.startswith(b"_"))

    wait_for(lambda: queued() > 0, timeout=20, message="messages queued for the contexts")
    time.sleep(1)
    lost = [key for key in client.keys("chaos.*") if not key.startswith(b"_")]
    assert client.delete(*lost) > 0  # every context's queued messages, as a broker that lost them
    shop.start("worker")
    started = time.monotonic()
    # Before the hand-off lease, they came back only when the (then 300 s) lease expired.
    settle_and_check(chaos_postgres, shop, "queued messages lost", since=started, within=30)


def test_worker_and_relay_killed_again_and_again(chaos_postgres, chaos_shop):
    shop = chaos_shop(CHECKOUT_MODE="choreographed")
    shop.start(*PROCESSES)
    stop = threading.Event()

    def killer():
        n = 0
        while not stop.is_set():
            time.sleep(1.5)
            kind = ("worker", "relay")[n % 2]
            shop.kill(kind)
            shop.start(kind)
            n += 1

    thread = threading.Thread(target=killer)
    thread.start()
    try:
        post_orders(shop.url, count=ORDERS, seconds=LOAD_SECONDS)
    finally:
        stop.set()
        thread.join()
    settle_and_check(chaos_postgres, shop, "worker and relay kill -9 every 1.5s", since=time.monotonic())


def test_two_relays_deliver_each_message_once(chaos_postgres, chaos_shop):
    shop = chaos_shop(CHECKOUT_MODE="choreographed")
    shop.start("web", "worker", "relay-a", "relay-b", "beat")
    post_orders(shop.url, count=ORDERS, seconds=LOAD_SECONDS)
    settle_and_check(chaos_postgres, shop, "two relays", since=time.monotonic())
    assert chaos_postgres.sql("SELECT count(*) FROM outbox_inboxrecord", database=shop.database)[0][0] == \
        chaos_postgres.sql("SELECT count(*) FROM outbox_delivery", database=shop.database)[0][0]


def test_a_poison_payload_is_dead_lettered_alone(chaos_postgres, chaos_shop):
    shop = chaos_shop(CHECKOUT_MODE="choreographed")
    shop.start(*PROCESSES)
    post_orders(shop.url, count=10, seconds=2, clients=2)
    chaos_postgres.sql(
        "INSERT INTO outbox_outboxevent (event_id, name, version, aggregate_type, aggregate_id, payload, headers, "
        "occurred_at, created_at) VALUES (gen_random_uuid(), 'orders.OrderPlaced', 1, 'order', 'poison', "
        "'\"not an object\"', '{}', now(), now())", database=shop.database)
    post_orders(shop.url, count=20, seconds=3, clients=2)
    subscribers = chaos_postgres.sql(
        "SELECT count(*) FROM outbox_delivery d JOIN outbox_outboxevent e ON e.id = d.event_id "
        "WHERE e.aggregate_id = 'poison'", database=shop.database)
    settle_and_check(chaos_postgres, shop, "poison payload among orders", since=time.monotonic(),
                     dead_allowed=subscribers[0][0])
    dead = chaos_postgres.sql(
        "SELECT e.aggregate_id, d.attempts, d.last_error FROM outbox_delivery d "
        "JOIN outbox_outboxevent e ON e.id = d.event_id WHERE d.status = 'dead'", database=shop.database)
    assert dead and all(aggregate == "poison" and attempts == 1 and "unreadable stored message" in error
                        for aggregate, attempts, error in dead)


def test_serve_context_answers_over_rest_and_grpc_right_after_a_database_restart(chaos_postgres, chaos_shop):
    from inventory.transports.grpc.client import GrpcInventoryApi
    from scenarios.processes import wait_listening

    shop = chaos_shop()
    shop.start("serve_inventory")
    http, grpc_port = shop.serve_ports
    wait_listening(http, timeout=60)
    wait_listening(grpc_port, timeout=60)
    pool = urllib3.PoolManager(maxsize=8, retries=False, timeout=5)
    token = "dev-inventory-service-token"
    grpc = GrpcInventoryApi(target=f"127.0.0.1:{grpc_port}", timeout=5, token=token)

    def answers() -> list:
        rest = [pool.request("GET", f"http://127.0.0.1:{http}/internal/inventory/availability/?skus=CHAOS-A",
                             headers={"Authorization": f"Bearer {token}"}).status for _ in range(8)]
        return rest + [grpc.get_availability(skus=["CHAOS-A"])[0].sku for _ in range(8)]

    # Concurrently, so that several server threads (each with its own connection) hold one when it dies.
    threads = [threading.Thread(target=answers) for _ in range(4)]
    [thread.start() for thread in threads], [thread.join() for thread in threads]
    chaos_postgres.stop("fast")
    chaos_postgres.start()
    back = time.monotonic()
    results = []
    threads = [threading.Thread(target=lambda: results.extend(answers())) for _ in range(4)]
    [thread.start() for thread in threads], [thread.join() for thread in threads]
    assert sorted(map(str, results)) == sorted(map(str, [200] * 32 + ["CHAOS-A"] * 32)), results
    record(f"serve_context after a database restart: 64 calls over REST and gRPC all answered, the last "
           f"{time.monotonic() - back:.1f}s after the restart")
