#!/usr/bin/env python
"""What tracing costs: a local boundary call and a whole orchestrated checkout, untraced and traced.

    .venv/bin/python bench/tracing.py [--calls 200] [--rounds 3] [--database-url postgres://...]

Each mode runs in a process of its own (a tracer provider is set once per process), on a fresh SQLite file
on tmpfs (or the given database), the modes interleaved round after round so that a busy machine slows them
alike; a mode's figure is the median over the rounds of its p50:
  untraced             TRACING_ENABLED=0: no provider, no instrumentation (the OpenTelemetry API's no-ops)
  traced, exporter off every span made and ended (boundary tries, saga steps, checkout), none exported or stored
  traced + span store  ./scripts/run's default: the spans also written to the database by a thread each second
  traced + console     each span printed as it ends (to /dev/null here)
Rows: p50 of one local boundary call (inventory.get_availability through the seam and the policy layer) and
of one checkout (orders.place_order in process: reserve, charge, ship, confirm, its outbox rows), and the
overhead over untraced. Target: a checkout traced with the exporter off costs under 10% more than untraced.
Exits 1 when the target is missed. Not a test: the numbers depend on the machine and what else runs on it.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._table import percentile, timed  # noqa: E402

MODES = {
    "untraced": {"TRACING_ENABLED": "0"},
    "traced, exporter off": {"TRACING_ENABLED": "1", "TRACING_EXPORTER": "none", "TRACING_STORE": "0"},
    "traced + span store": {"TRACING_ENABLED": "1", "TRACING_EXPORTER": "none", "TRACING_STORE": "1",
                            "TRACING_STORE_FLUSH_SECONDS": "1"},
    "traced + console": {"TRACING_ENABLED": "1", "TRACING_EXPORTER": "console", "TRACING_STORE": "0"},
}
TARGET = 0.10  # a checkout, traced with the exporter off, over untraced


def measure(calls: int, result_path: str, *, prepare_only: bool = False) -> None:
    """In the child: set up a database, warm up, time `calls` boundary calls and checkouts; write p50s as JSON."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    import django

    django.setup()
    from django.core.management import call_command

    from common.money import Money
    from inventory import services
    from inventory.api import get_inventory_api
    from orders.api import PricedLine, get_orders_api

    if not os.environ.get("BENCH_MIGRATED"):
        call_command("migrate", verbosity=0)
    if prepare_only:
        return
    services.stock_adjust(sku="BENCH", delta=10**9, reason="benchmark")
    inventory, orders = get_inventory_api(), get_orders_api()
    line = [PricedLine(sku="BENCH", name="Bench", quantity=1, unit_price=Money("1.00", "EUR"))]

    def checkout():
        order = orders.place_order(customer_id=1, email="b@example.com", lines=line, payment_token="tok_visa",
                                   shipping_address="1 Bench Road")
        assert order.status == "confirmed", order.status

    for _ in range(min(10, calls)):  # warm up: imports, caches, the first queries
        inventory.get_availability(skus=["BENCH"])
        checkout()
    call = timed(lambda: inventory.get_availability(skus=["BENCH"]), calls)
    place = timed(checkout, calls)
    Path(result_path).write_text(json.dumps({"call": percentile(call, 50), "checkout": percentile(place, 50)}))


FOLDER = Path("/dev/shm") if Path("/dev/shm").is_dir() else ROOT / "var"


def migrated_template() -> Path:
    """A migrated SQLite file each mode's run starts from a copy of (migrating takes longer than measuring)."""
    template = FOLDER / f"shop-bench-tracing-{os.getpid()}.sqlite3"
    env = {**os.environ, **MODES["untraced"], "DATABASE_URL": f"sqlite:///{template}"}
    subprocess.run([sys.executable, __file__, "--child", "-", "--prepare"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, timeout=600)
    return template


def run_mode(mode: str, calls: int, database_url: str | None, template: Path | None) -> dict:
    database = FOLDER / f"shop-bench-tracing-{uuid.uuid4().hex[:8]}.sqlite3"
    if template is not None:
        shutil.copyfile(template, database)
    with tempfile.NamedTemporaryFile(suffix=".json") as result:
        env = {**os.environ, **MODES[mode], "DATABASE_URL": database_url or f"sqlite:///{database}",
               "CHECKOUT_MODE": "orchestrated", "BOUNDARIES_PROFILE": "embedded",
               "BENCH_MIGRATED": "1" if template is not None else ""}
        env.pop("OTEL_SERVICE_NAME", None)
        try:
            # stdout to /dev/null: the console exporter prints every span there
            completed = subprocess.run([sys.executable, __file__, "--child", result.name, "--calls", str(calls)],
                                       cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                       text=True, timeout=600)
            if completed.returncode != 0:
                raise SystemExit(f"{mode}: the measuring process failed:\n{completed.stderr[-3000:]}")
            return json.loads(Path(result.name).read_text())
        finally:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)


def report(results: dict[str, list[dict]], calls: int, rounds: int) -> bool:
    p50 = {mode: {key: statistics.median(r[key] for r in runs) for key in ("call", "checkout")}
           for mode, runs in results.items()}
    base = p50["untraced"]
    print(f"\nTracing overhead: p50 of {calls} calls per round, median of {rounds} round(s), one process per mode")
    print("| mode | local boundary call | overhead | checkout | overhead | target |")
    print("|---|---|---|---|---|---|")
    met = True
    for mode, figures in p50.items():
        call_over = figures["call"] / base["call"] - 1
        checkout_over = figures["checkout"] / base["checkout"] - 1
        verdict = ""
        if mode == "traced, exporter off":
            ok = checkout_over < TARGET
            met = met and ok
            verdict = f"checkout < +{TARGET:.0%}: {'ok' if ok else 'MISSED'}"
        over = (lambda v: "" if mode == "untraced" else f"{v:+.1%}")
        print(f"| {mode} | {figures['call'] * 1e6:.0f} us | {over(call_over)} | {figures['checkout'] * 1e3:.2f} ms "
              f"| {over(checkout_over)} | {verdict} |")
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="calls and checkouts timed per round (default 200)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, every mode once per round (default 3)")
    parser.add_argument("--database-url", help="a database for every mode (default: a fresh SQLite file per run)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return measure(args.calls, args.child, prepare_only=args.prepare)
    template = None if args.database_url else migrated_template()
    results: dict[str, list[dict]] = {mode: [] for mode in MODES}
    try:
        for _ in range(args.rounds):
            for mode in MODES:
                results[mode].append(run_mode(mode, args.calls, args.database_url, template))
    finally:
        if template is not None:
            template.unlink(missing_ok=True)
    sys.exit(0 if report(results, args.calls, args.rounds) else 1)


if __name__ == "__main__":
    main()
