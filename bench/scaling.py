#!/usr/bin/env python
"""Checkout throughput as gunicorn workers and Celery workers grow (1, 2, 4), and each process kind's RSS after a run.

    .venv/bin/python bench/scaling.py [--levels 1,2,4] [--seconds 15] [--clients 8] [--topology monolith|split]

For each level N, `run_topology` starts the topology (bench/_shop.py writes its file) with the web under
gunicorn gthread with N workers and every Celery worker at concurrency N, plus the relay and beat, on a
scratch PostgreSQL database (bench_scaling_<pid>, dropped at the end) and Redis db 6 (BENCH_REDIS_URL).
The load generator (bench/_load.py, its own process) places orders with --clients kept-alive clients for
--seconds; then the bench waits (bounded) until every outbox delivery is done. Per level: orders/s answered
by the web, orders/s through the whole pipeline (placed until their last event and command were handled:
emails sent, stock sold... ), and the CPU each process kind used, as a share of one core, over that time:
where a kind's share stops growing with N while throughput stalls, that kind is the limit ("db" is the
PostgreSQL backends of the scratch database). RSS (MB) of the largest process of each kind after the last
level, against a target of 150 MB each. Exits 1 when an RSS target is missed.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import _shop  # noqa: E402

RSS_TARGET_MB = 150
DRAIN_TIMEOUT = 180  # seconds to wait for the pipeline to finish what a level placed


def pending_deliveries() -> int:
    from outbox.models import Delivery, OutboxEvent

    return (Delivery.objects.exclude(status=Delivery.Status.DONE).count()
            + OutboxEvent.objects.filter(dispatched_at__isnull=True).count())


def wait_drained(timeout: float) -> float | None:
    """Wait until every message is fanned out and every delivery done; the time it happened, or None."""
    deadline = time.monotonic() + timeout
    time.sleep(1.0)  # the relay's first cycle after the last commit
    while time.monotonic() < deadline:
        if pending_deliveries() == 0:
            return time.monotonic()
        time.sleep(0.25)
    return None


def kinds(pids: dict[str, list[int]]) -> dict[str, list[int]]:
    """Group a topology's processes by kind: web, worker (every Celery worker), relay, beat, each context server."""
    grouped: dict[str, list[int]] = {}
    for name, group in pids.items():
        kind = "worker" if name.startswith("worker") else name
        grouped.setdefault(kind, []).extend(group)
    return grouped


def run_level(level: int, args, env: dict, database: str, tokens, skus, logs: Path) -> tuple[dict, dict]:
    from common.net import free_port

    import tomllib

    with open(_shop.ROOT / "config" / "topologies" / f"{args.topology}.toml", "rb") as handle:
        workers = {name: {**declared, "concurrency": level} for name, declared in tomllib.load(handle)["workers"].items()}
    address = f"127.0.0.1:{free_port()}"
    served = {context: f"127.0.0.1:{free_port()}" for context in _shop.served_contexts(args.topology)}
    toml = _shop.topology_toml(args.topology, web=address, web_workers=level, threads=args.threads, served=served,
                               workers=workers, relay=True, beat=True)
    with _shop.Topology(f"{args.topology}-{level}", toml, env, logs) as topology:
        if args.warmup:
            _shop.load(address, clients=args.clients, seconds=args.warmup, tokens=tokens, skus=skus)
        if wait_drained(DRAIN_TIMEOUT) is None:
            raise RuntimeError("the warm-up's messages were not all delivered")
        by_kind = kinds(topology.pids())
        cpu_before = {kind: _shop.cpu_seconds(pids) for kind, pids in by_kind.items()}
        db_before = {pid: _shop.cpu_seconds([pid]) for pid in _shop.database_backends(database)}
        started = time.monotonic()
        result = _shop.load(address, clients=args.clients, seconds=args.seconds, tokens=tokens, skus=skus)
        drained = wait_drained(DRAIN_TIMEOUT)
        finished = drained or time.monotonic()
        wall = finished - started
        by_kind = kinds(topology.pids())
        cpu = {kind: (_shop.cpu_seconds(pids) - cpu_before.get(kind, 0.0)) / wall for kind, pids in by_kind.items()}
        cpu["db"] = sum(_shop.cpu_seconds([pid]) - db_before.get(pid, 0.0)
                        for pid in _shop.database_backends(database)) / wall
        rss = {kind: max(_shop.rss_mb(pid) for pid in pids) for kind, pids in by_kind.items()}
    placed = len(result["latencies"])
    errors = sum(count for status, count in result["statuses"].items() if status not in ("200", "201", "202"))
    row = {"level": level, "placed": placed, "errors": errors, "web_rate": placed / result["elapsed"],
           "pipeline_rate": placed / wall if drained else float("nan"), "drained": drained is not None, "cpu": cpu}
    return row, rss


def report(rows: list[dict], rss: dict, args) -> bool:
    kinds_seen = sorted({kind for row in rows for kind in row["cpu"]}, key=lambda k: (k != "web", k == "db", k))
    print(f"\n{args.topology}: {args.clients} clients for {args.seconds:g} s per level; CPU as % of one core from the "
          f"load's start until the last delivery was done\n")
    header = (f"| {'web workers / worker concurrency':>32} | {'web orders/s':>12} | {'pipeline orders/s':>17} | "
              f"{'errors':>6} | " + " | ".join(f"{kind + ' cpu':>12}" for kind in kinds_seen) + " |")
    print(header)
    print("|" + "|".join("-" * len(cell) for cell in header.split("|")[1:-1]) + "|")
    for row in rows:
        pipeline = f"{row['pipeline_rate']:.1f}" if row["drained"] else "not drained"
        print(f"| {row['level']:>32} | {row['web_rate']:>12.1f} | {pipeline:>17} | {row['errors']:>6} | "
              + " | ".join(f"{row['cpu'].get(kind, 0) * 100:>11.0f}%" for kind in kinds_seen) + " |")
    print(f"\nRSS after the last level (MB, the largest process of each kind; target <= {RSS_TARGET_MB}):")
    met = True
    for kind, mb in sorted(rss.items()):
        ok = mb <= RSS_TARGET_MB
        met = met and ok
        print(f"  {kind:<14} {mb:>6.0f}  {'ok' if ok else 'MISSED'}")
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,2,4", help="gunicorn workers = Celery concurrency per level")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--topology", default="monolith", choices=("monolith", "split"))
    parser.add_argument("--customers", type=int, default=32)
    parser.add_argument("--database-url", help="a PostgreSQL database to use as it is (default: a scratch one)")
    parser.add_argument("--skus", type=int, default=64)
    args = parser.parse_args()
    load_at_start = os.getloadavg()
    with _shop.scratch_database("bench_scaling", args.database_url) as url:
        # Leases longer than any backlog here, so nothing is handed out twice while the workers catch up.
        env = _shop.base_env(url, OUTBOX_LEASE_SECONDS="120", OUTBOX_HANDOFF_SECONDS="60")
        _shop.setup_django(env)
        from django.db import connections

        tokens, skus = _shop.seed(customers=args.customers, skus=args.skus)
        connections.close_all()
        logs = _shop.scratch_logs("bench-scaling")
        rows, rss = [], {}
        for level in [int(n) for n in args.levels.split(",")]:
            row, rss = run_level(level, args, env, url.rsplit("/", 1)[1], tokens, skus, logs)
            rows.append(row)
            print(f"  level {level}: {row['web_rate']:.1f} orders/s at the web", flush=True)
        connections.close_all()
    met = report(rows, rss, args)
    print(f"\nlogs in {logs}; {os.cpu_count()} CPUs; load average at the start {load_at_start}, at the end "
          f"{os.getloadavg()}")
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
