"""`run_topology split` with a PostgreSQL database per context: N orders in each checkout mode all end confirmed
or cancelled, and each confirmed order's email is sent exactly once.

    .venv/bin/python -m bench.split_databases [--orders 100] [--clients 4]

Creates scratch databases bench_split_<pid> (default: users, tokens, the storefront) and
bench_split_<pid>_<context> (one per context, given to every process as DATABASE_URLS) on the PostgreSQL of
BENCH_POSTGRES_URL, with BENCH_REDIS_URL (any Celery broker URL) as the broker, runs the topology once per
checkout mode on free ports (logs under var/bench-split-<pid>/), and drops the databases at the end. Exits 1 when an order is left open or an email is missing or sent twice.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench._shop import stop

ROOT = Path(__file__).resolve().parents[1]
PG = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
NAME = f"bench_split_{os.getpid()}"
# The contexts: every app with an api.py but the outbox, which each of them holds.
CONTEXTS = sorted(p.parent.name for p in ROOT.glob("*/api.py") if p.parent.name != "outbox")
SKUS = ("MUG-001", "TEE-002", "SOCK-004", "BAG-007")  # load_demo's catalog; restocked below
SETTLE_SECONDS = 240


def url(name: str) -> str:
    return PG.rsplit("/", 1)[0] + f"/{name}"


def databases(create: bool) -> None:
    import psycopg

    with psycopg.connect(PG, autocommit=True) as conn:
        for name in [NAME, *(f"{NAME}_{context}" for context in CONTEXTS)]:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            if create:
                conn.execute(f"CREATE DATABASE {name}")


def query(context: str, sql: str) -> list[tuple]:
    import psycopg

    for attempt in range(30):  # a shared server may be out of connections for a moment
        try:
            with psycopg.connect(url(f"{NAME}_{context}" if context != "default" else NAME)) as conn:
                return conn.execute(sql).fetchall()
        except psycopg.OperationalError:
            if attempt == 29:
                raise
            time.sleep(1)


def environment(mode: str, var: Path) -> dict:
    return {
        **os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.dev", "DEBUG": "0", "SHOP_VAR_DIR": str(var),
        "DATABASE_URL": url(NAME),
        "DATABASE_URLS": ",".join(f"{context}={url(f'{NAME}_{context}')}" for context in CONTEXTS),
        "CELERY_BROKER_URL": REDIS, "API_THROTTLE": "off", "CHECKOUT_MODE": mode, "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


def start(mode: str, var: Path, port: int, *, first: bool) -> tuple[subprocess.Popen, Path]:
    out = var / f"run_topology-{mode}.out"
    args = [sys.executable, "manage.py", "run_topology", "split", "--free-ports", "--web", f"127.0.0.1:{port}",
            "--web-server", "gunicorn", "--log-dir", str(var / mode), *(("--migrate", "--demo") if first else ())]
    with out.open("w") as handle:
        process = subprocess.Popen(args, cwd=ROOT, env=environment(mode, var), stdout=handle,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 240
    while "==> ready in" not in out.read_text():
        if process.poll() is not None or "not ready" in out.read_text() or time.monotonic() > deadline:
            stop(process, timeout=60)
            raise SystemExit(f"run_topology split did not become ready:\n{out.read_text()[-3000:]}")
        time.sleep(0.5)
    return process, out


def place_orders(web: str, token: str, count: int, clients: int, rng: random.Random) -> dict[int, int]:
    import requests

    headers = {"Authorization": f"Token {token}"}
    bodies = [{"lines": [{"sku": rng.choice(SKUS), "quantity": 1}], "shipping_address": "1 Bench Road",
               "payment_token": "tok_declined" if rng.random() < 0.1 else "tok_visa"} for _ in range(count)]

    def place(body):
        response = requests.post(f"{web}/api/orders/", json=body, timeout=60,
                                 headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
        return response.status_code

    with ThreadPoolExecutor(clients) as pool:
        answers = list(pool.map(place, bodies))
    codes: dict[int, int] = {}
    for code in answers:
        codes[code] = codes.get(code, 0) + 1
    return codes


def settle(ids: list[str]) -> dict[str, str]:
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        statuses = dict(query("orders", "SELECT id::text, status FROM orders_order WHERE status <> 'cancelled' "
                                        "UNION ALL SELECT id::text, 'cancelled:' || cancel_code FROM orders_order "
                                        "WHERE status = 'cancelled'"))
        statuses = {order_id: statuses.get(order_id) for order_id in ids}
        if all(s and s.startswith(("confirmed", "cancelled")) for s in statuses.values()) or time.monotonic() > deadline:
            return statuses
        time.sleep(1)


def run_mode(mode: str, args, var: Path, rng: random.Random, *, first: bool) -> dict:
    from common.net import free_port

    port = free_port()
    started = time.monotonic()
    process, out = start(mode, var, port, first=first)
    ready = time.monotonic() - started
    try:
        if first:  # enough stock for every order of both modes
            subprocess.run([sys.executable, "manage.py", "shell", "-c",
                            "from inventory.api import get_inventory_api as g\n"
                            f"for sku in {SKUS!r}: g().restock(sku=sku, quantity={2 * args.orders}, reason='bench')"],
                           cwd=ROOT, env=environment(mode, var), check=True, timeout=120)
        token = re.search(r"API token: (\w+)", (var / "run_topology-orchestrated.out").read_text()).group(1)
        before = time.monotonic()
        codes = place_orders(f"http://127.0.0.1:{port}", token, args.orders, args.clients, rng)
        placed = time.monotonic() - before
        # Every answer (201, 202, or 402 for a declined card, whose body names no order) created an order.
        ids = [row[0] for row in query("orders", f"SELECT id::text FROM orders_order WHERE checkout = '{mode}'")]
        statuses = settle(ids)
        settled = time.monotonic() - before
        # Let the last confirmations' emails and deliveries finish before reading them.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(
                query(alias, "SELECT count(*) FROM outbox_delivery WHERE status <> 'done'")[0][0]
                for alias in ["default", *CONTEXTS]):
            time.sleep(1)
    finally:
        stop(process, timeout=60)
    emails = dict(query("notifications", "SELECT order_id::text, count(*) FROM notifications_notification "
                                         "WHERE kind = 'order_confirmation' AND status = 'sent' GROUP BY order_id"))
    printed = (var / mode / "worker-notifications.log").read_text()
    confirmed = [i for i, s in statuses.items() if s == "confirmed"]
    cancelled = [i for i, s in statuses.items() if s and s.startswith("cancelled")]
    codes_cancelled: dict[str, int] = {}
    for i in cancelled:
        codes_cancelled[statuses[i].split(":", 1)[1]] = codes_cancelled.get(statuses[i].split(":", 1)[1], 0) + 1
    open_ = {i: s for i, s in statuses.items() if not (s or "").startswith(("confirmed", "cancelled"))}
    not_done = {alias: query(alias, "SELECT count(*) FROM outbox_delivery WHERE status <> 'done'")[0][0]
                for alias in ["default", *CONTEXTS]}
    return {
        "mode": mode, "answers": codes, "cancel_codes": codes_cancelled, "placed": len(ids), "confirmed": len(confirmed), "cancelled": len(cancelled),
        "open": open_, "ready_s": ready, "place_s": placed, "settle_s": settled,
        "email_once": sum(emails.get(i) == 1 for i in confirmed),
        "email_wrong": {i: emails.get(i) for i in confirmed if emails.get(i) != 1}
        | {i: emails[i] for i in cancelled if i in emails},
        "printed_once": sum(printed.count(f"Subject: Your order {i[:8]} is confirmed") == 1 for i in confirmed),
        "not_done": {alias: n for alias, n in not_done.items() if n},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100, help="orders per checkout mode")
    parser.add_argument("--clients", type=int, default=4, help="concurrent storefront clients")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    var = ROOT / "var" / f"bench-split-{os.getpid()}"
    var.mkdir(parents=True, exist_ok=True)
    rng = random.Random(int(os.environ.get("BENCH_SEED", "12")))
    databases(create=True)
    results = []
    try:
        for position, mode in enumerate(("orchestrated", "choreographed")):
            results.append(run_mode(mode, args, var, rng, first=position == 0))
    finally:
        databases(create=False)
    ok = True
    print(f"run_topology split, {len(CONTEXTS)} context databases + default ({', '.join(CONTEXTS)}); logs in {var}")
    print("mode          | placed | HTTP answers        | confirmed | cancelled | open | email once | "
          "printed once | deliveries not done | ready s | place s | settled s")
    for r in results:
        print(f"{r['mode']:<13} | {r['placed']:>6} | {str(r['answers']):<19} | {r['confirmed']:>9} | "
              f"{r['cancelled']:>9} | {len(r['open']):>4} | {r['email_once']:>10} | {r['printed_once']:>12} | "
              f"{str(r['not_done'] or 0):<19} | {r['ready_s']:>7.1f} | {r['place_s']:>7.1f} | {r['settle_s']:>9.1f}")
        ok &= (r["placed"] == args.orders and not r["open"] and not r["email_wrong"] and not r["not_done"]
               and r["email_once"] == r["printed_once"] == r["confirmed"])
        print(f"  {r['mode']}: cancelled by reason {r['cancel_codes']}")
        if r["open"] or r["email_wrong"]:
            print(f"  {r['mode']}: open {r['open']}; wrong email counts {r['email_wrong']}")
    print("all orders settled, every confirmation emailed once" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
