#!/usr/bin/env python
"""POST /api/orders/ through gunicorn at 1, 4, 8, 16 clients, monolith and split, next to a floor measured in the same run.

    .venv/bin/python bench/checkout.py [--seconds 10] [--clients 1,4,8,16] [--topologies monolith,split]
    .venv/bin/python bench/checkout.py --profile 300     # where a monolith checkout spends its time (cProfile)
    .venv/bin/python bench/checkout.py --cpu 600         # CPU per order in-process: the checkout, then the floor's view

PostgreSQL + Redis on loopback: it creates a scratch database (bench_checkout_<pid>) and drops it at the end,
uses Redis db 6 (BENCH_REDIS_URL) and queues of its own. Three servers run side by side, each under gunicorn
gthread with the same workers and threads (gthread, not sync: sync workers close every connection after
its response, so each order would pay a new TCP connection; gthread keeps client connections alive, as
production runs the web, docs/topology.md):

- floor: a bare Django view (bench/_floor.py, no middleware, no DRF) writing the rows a confirmed checkout
  leaves (order, lines, stock update and reservation, payment, shipment, the six outbox messages) in one
  transaction;
- floor-ctx: the same view writing each context's rows in a transaction of its own (five, the fewest for contexts
  that can each move to a database of their own), for information: the targets are against the floor;
- monolith: `run_topology` of config/topologies/monolith.toml, web alone (every boundary in-process);
- split: `run_topology` of split.toml: the web plus inventory (gRPC), orders, payments, shipping (REST),
  each a serve_context process.

No worker, relay or beat runs: the table measures the request path (the outbox rows pile up, as the
floor's do); bench/scaling.py measures the whole pipeline. The servers run one at a time (each gunicorn thread
holds a database connection; the PostgreSQL is shared), each level for --seconds; with --together all three
are up at once and each level runs on every server in turn, in alternating order. The load generator (bench/_load.py: a thread per client, each on a kept-alive
connection, a fresh Idempotency-Key per order) is a process of its own. CPU per order is what the server's
processes (gunicorn master and workers; in split also every context server) spent, from /proc, divided by the
orders answered 2xx; "db" is what the PostgreSQL backends of the scratch database spent. Targets, on the best
level of each: monolith orders/s >= 60% of the floor's, split >= 40%. Exits 1 when one is missed.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import _shop  # noqa: E402
from bench._table import percentile  # noqa: E402

TARGETS = {"monolith": 0.60, "split": 0.40}


class Floor:
    """bench/_floor.py under the same gunicorn settings as the web."""

    def __init__(self, address: str, env: dict, workers: int, threads: int, log: Path, transactions: str = "one"):
        self.address, self.workers, self.threads, self.log = address, workers, threads, log
        self.env = {**env, "FLOOR_TRANSACTIONS": transactions}

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "bench._floor:application", "--worker-class", "gthread",
             "--workers", str(self.workers), "--threads", str(self.threads), "--bind", self.address],
            cwd=_shop.ROOT, env=self.env, stdout=open(self.log, "w"), stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self) -> None:
        import requests

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://{self.address}/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
            if self.process.poll() is not None:
                break
        raise RuntimeError(f"the floor did not start:\n{self.log.read_text()[-2000:]}")

    def pids(self) -> dict[str, list[int]]:
        return {"web": [self.process.pid, *_shop.children(self.process.pid)]}



def measure(server, address: str, database: str, *, clients: int, seconds: float, tokens, skus) -> dict:
    """One bounded load run against one server: orders/s, latencies, errors, CPU per order (server and db)."""
    pids = [pid for group in server.pids().values() for pid in group]
    cpu_before = _shop.cpu_seconds(pids)
    db_before = {pid: _shop.cpu_seconds([pid]) for pid in _shop.database_backends(database)}
    result = _shop.load(address, clients=clients, seconds=seconds, tokens=tokens, skus=skus)
    cpu = _shop.cpu_seconds(pids) - cpu_before
    db_cpu = sum(_shop.cpu_seconds([pid]) - db_before.get(pid, 0.0) for pid in _shop.database_backends(database))
    ok = len(result["latencies"])
    errors = sum(count for status, count in result["statuses"].items() if status not in ("200", "201", "202"))
    return {
        "rate": ok / result["elapsed"], "p50": percentile(result["latencies"], 50) * 1000,
        "p99": percentile(result["latencies"], 99) * 1000, "ok": ok, "errors": errors,
        "error_kinds": {s: c for s, c in result["statuses"].items() if s not in ("200", "201", "202")},
        "cpu_ms": cpu / ok * 1000 if ok else float("nan"), "db_ms": db_cpu / ok * 1000 if ok else float("nan"),
    }


def report(results: dict, levels: list[int], seconds: float) -> bool:
    """Print the table and the verdicts; True when every target is met."""
    names = list(results)
    print(f"\nPOST /api/orders/, {seconds:g} s per row; CPU per order in ms (server processes / PostgreSQL backends)\n")
    print(f"| {'server':<9} | {'clients':>7} | {'orders/s':>8} | {'of floor':>8} | {'p50 ms':>7} | {'p99 ms':>7} | "
          f"{'errors':>6} | {'cpu ms/order':>12} | {'db ms/order':>11} |")
    print(f"|{'-' * 11}|{'-' * 9}|{'-' * 10}|{'-' * 10}|{'-' * 9}|{'-' * 9}|{'-' * 8}|{'-' * 14}|{'-' * 13}|")
    for clients in levels:
        for name in names:
            row = results[name][clients]
            share = row["rate"] / results["floor"][clients]["rate"] if results["floor"][clients]["rate"] else 0
            print(f"| {name:<9} | {clients:>7} | {row['rate']:>8.1f} | {share:>7.0%} | {row['p50']:>7.1f} | "
                  f"{row['p99']:>7.1f} | {row['errors']:>6} | {row['cpu_ms']:>12.1f} | {row['db_ms']:>11.1f} |")
    for name in names:
        kinds = {k: v for clients in levels for k, v in results[name][clients]["error_kinds"].items()}
        if kinds:
            print(f"errors of {name}: {kinds}")
    best_floor = max(results["floor"][c]["rate"] for c in levels)
    met = True
    print()
    for name, target in TARGETS.items():
        if name not in results:
            continue
        best = max(results[name][c]["rate"] for c in levels)
        ok = best >= target * best_floor
        met = met and ok
        print(f"{name}: best {best:.1f} orders/s = {best / best_floor:.0%} of the floor's best {best_floor:.1f} "
              f"(target >= {target:.0%}): {'met' if ok else 'MISSED'}")
    best_ctx = max(results["floor-ctx"][c]["rate"] for c in levels)
    print(f"floor-ctx (a transaction per context, no target): best {best_ctx:.1f} orders/s = "
          f"{best_ctx / best_floor:.0%} of the floor; " + "; ".join(
              f"{name} {max(results[name][c]['rate'] for c in levels) / best_ctx:.0%} of it"
              for name in TARGETS if name in results))
    return met


def run(args) -> bool:
    levels = [int(c) for c in args.clients.split(",")]
    topologies = [t for t in args.topologies.split(",") if t]
    load_at_start, began = os.getloadavg(), time.monotonic()
    with _shop.scratch_database("bench_checkout", args.database_url) as url:
        env = _shop.base_env(url)
        _shop.setup_django(env)
        from common.net import free_port
        from django.db import connections

        tokens, skus = _shop.seed(customers=args.customers, skus=args.skus)
        connections.close_all()
        database = url.rsplit("/", 1)[1]
        logs = _shop.scratch_logs("bench-checkout")
        servers, addresses = {}, {}
        addresses["floor"] = f"127.0.0.1:{free_port()}"
        servers["floor"] = Floor(addresses["floor"], env, args.web_workers, args.threads, logs / "floor.log")
        addresses["floor-ctx"] = f"127.0.0.1:{free_port()}"
        servers["floor-ctx"] = Floor(addresses["floor-ctx"], env, args.web_workers, args.threads,
                                     logs / "floor-ctx.log", transactions="per-context")
        for name in topologies:
            addresses[name] = f"127.0.0.1:{free_port()}"
            served = {context: f"127.0.0.1:{free_port()}" for context in _shop.served_contexts(name)}
            toml = _shop.topology_toml(name, web=addresses[name], web_workers=args.web_workers,
                                       threads=args.threads, served=served)
            servers[name] = _shop.Topology(name, toml, env, logs)
        results, rss = {name: {} for name in servers}, {}
        # Together: every server up at once and each level run on each in turn (drift touches all alike), but
        # each gunicorn thread keeps a database connection: split alone holds up to 5 x threads x workers.
        # One at a time (the default) holds only the running server's, for a PostgreSQL shared with others.
        rounds = [list(servers)] if args.together else [[name] for name in servers]
        for names in rounds:
            group = [servers[name] for name in names]
            try:
                _shop.start_all(group)
                print(f"{', '.join(names)} up after {time.monotonic() - began:.0f} s (logs in {logs})", flush=True)
                for name in names if args.warmup else ():  # first requests load code, open connections, fill caches
                    _shop.load(addresses[name], clients=max(levels), seconds=args.warmup, tokens=tokens, skus=skus)
                for number, clients in enumerate(levels):
                    for name in names if number % 2 == 0 else names[::-1]:
                        results[name][clients] = measure(servers[name], addresses[name], database, clients=clients,
                                                         seconds=args.seconds, tokens=tokens, skus=skus)
                        print(f"  {name} x{clients}: {results[name][clients]['rate']:.1f} orders/s", flush=True)
                for name in names:
                    rss[name] = {kind: max(_shop.rss_mb(pid) for pid in pids)
                                 for kind, pids in servers[name].pids().items()}
            finally:
                _shop.stop(*(server.process for server in group if hasattr(server, "process")))
    met = report(results, levels, args.seconds)
    print(f"\nRSS after the run (MB, the largest process of each kind): " + "; ".join(
        f"{name}: " + ", ".join(f"{kind} {mb:.0f}" for kind, mb in kinds.items()) for name, kinds in rss.items()))
    print(f"gunicorn gthread, {args.web_workers} workers x {args.threads} threads (floor and web alike); "
          f"{os.cpu_count()} CPUs; load average at the start {load_at_start}, at the end {os.getloadavg()}")
    return met


def commits(statements: list[str]) -> int:
    """Transactions committed: explicit ones, plus each statement run outside one (autocommit)."""
    count, depth = 0, 0
    for sql in statements:
        if sql.startswith("BEGIN"):  # SQLite: BEGIN IMMEDIATE
            depth = 1
        elif sql == "COMMIT":
            depth, count = 0, count + 1
        elif depth == 0 and not sql.startswith("SELECT"):
            count += 1
    return count


@contextlib.contextmanager
def in_process(prefix: str, database_url: str | None = None):
    """A migrated, seeded database and Django in this process; yields place(n), one order through the monolith's
    WSGI stack (DRF, token, a fresh Idempotency-Key, the whole checkout), after 20 orders of warm-up."""
    import json
    import uuid

    with _shop.scratch_database(prefix, database_url) as url:
        _shop.setup_django(_shop.base_env(url))
        tokens, skus = _shop.seed(customers=1, skus=10)
        from django.test import Client

        client = Client(HTTP_HOST="127.0.0.1")

        def place(n):
            response = client.post(
                "/api/orders/", data=json.dumps({"lines": [{"sku": skus[n % len(skus)], "quantity": 1}],
                                                 "payment_token": "tok_visa", "shipping_address": "1 Bench Street"}),
                content_type="application/json", HTTP_AUTHORIZATION=f"Token {tokens[0]}",
                HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
            assert response.status_code == 201, response.content

        for n in range(20):
            place(n)
        yield place, skus


def profile(orders: int) -> None:
    """Place `orders` orders in this process through the monolith's WSGI stack under cProfile; print the top."""
    import cProfile
    import pstats

    with in_process("bench_checkout_profile") as (place, _):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            place(0)
        statements = [q["sql"] for q in queries.captured_queries]
        print(f"one order: {len(statements)} statements, {commits(statements)} commits")
        # CPU time, not wall time: on a shared machine wall time is mostly waiting for the database and the scheduler.
        profiler = cProfile.Profile(time.process_time)
        started = time.perf_counter()
        profiler.enable()
        for n in range(orders):
            place(n)
        profiler.disable()
        print(f"{orders} orders in {time.perf_counter() - started:.2f} s in-process "
              f"({(time.perf_counter() - started) / orders * 1000:.1f} ms each, profiler on); CPU time below")
        stats = pstats.Stats(profiler).strip_dirs()
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(25)


def cpu_per_order(orders: int, database_url: str | None = None) -> None:
    """This process's CPU per order, no gunicorn or load generator: the checkout through the monolith's WSGI stack,
    then the floor's view (bench/_floor.py) called directly. Run it with TRACING_ENABLED=0 (or any other setting)
    to see what that setting costs; alternate runs, as the VM's speed drifts."""
    from django.test import RequestFactory

    with in_process("bench_checkout_cpu", database_url) as (place, skus):
        started = time.process_time()
        for n in range(orders):
            place(n)
        checkout = (time.process_time() - started) / orders * 1000
        from bench import _floor  # after the checkout: importing it swaps this process's URLs and middleware

        factory = RequestFactory()

        def floor(n):
            body = {"lines": [{"sku": skus[n % len(skus)], "quantity": 1}], "shipping_address": "1 Bench Street"}
            response = _floor.place(factory.post("/api/orders/", data=body, content_type="application/json"))
            assert response.status_code == 201, response.content

        for n in range(20):
            floor(n)
        started = time.process_time()
        for n in range(orders):
            floor(n)
        bare = (time.process_time() - started) / orders * 1000
    print(f"CPU per order in this process, {orders} orders each after 20 of warm-up:")
    print(f"  checkout (monolith's WSGI stack):  {checkout:6.2f} ms")
    print(f"  floor (bench/_floor.py's view):    {bare:6.2f} ms")
    print(f"  the checkout's rate as a share of the floor's, were CPU all that counted: {bare / checkout:.0%} "
          f"(monolith target >= {TARGETS['monolith']:.0%})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per server and level")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--clients", default="1,4,8,16")
    parser.add_argument("--topologies", default="monolith,split")
    parser.add_argument("--together", action="store_true",
                        help="every server up at once, levels interleaved (needs ~6 x workers x threads connections)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers of the web and the floor")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--customers", type=int, default=32)
    parser.add_argument("--database-url", help="a PostgreSQL database to use as it is (default: a scratch one)")
    parser.add_argument("--skus", type=int, default=64, help="one drawn per order: no single hot stock row")
    parser.add_argument("--profile", type=int, metavar="ORDERS", help="profile ORDERS in-process and exit")
    parser.add_argument("--cpu", type=int, metavar="ORDERS",
                        help="CPU per order of ORDERS checkouts and ORDERS floor orders in this process, and exit")
    args = parser.parse_args()
    if args.profile:
        return profile(args.profile)
    if args.cpu:
        return cpu_per_order(args.cpu, args.database_url)
    sys.exit(0 if run(args) else 1)


if __name__ == "__main__":
    main()
