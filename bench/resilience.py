"""Benchmark of the resilience policy layer (issue 4). Prints a table; exits 1 when a target is missed.

    python bench/resilience.py            # SQLite; DATABASE_URL=postgres://... for PostgreSQL
    CELERY_BROKER_URL=redis://127.0.0.1:6379/15 DATABASE_URL=postgres://postgres@127.0.0.1/test \
        python bench/resilience.py --scenario   # adds Scenario 1's figures (about a minute)

Measures, each next to a floor measured in the same run:
- overhead of the policy layer on an in-process call with a closed breaker (target <= 25 us);
- fail-fast latency while the breaker is open (target p99 <= 1 ms);
- 8 concurrent calls through one breaker to a 200 ms dependency (target <= 1.3 x 200 ms), next to
  pybreaker's own call(), which holds its lock for the whole call;
- with --scenario, Scenario 1 with the project's defaults: the order API's p99 while payments takes
  5-10 s per charge, next to its p99 while payments is healthy, measured in the same run (target <= 1.5x).
"""
from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

import pybreaker  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from bench._table import median, percentile, print_table, timed  # noqa: E402
from common.errors import BoundaryUnavailable  # noqa: E402
from common.resilience.breaker import breaker_for, forget_breakers  # noqa: E402
from common.resilience.config import cached_policy_for  # noqa: E402
from common.resilience.proxy import invoke  # noqa: E402

CALLS = 20_000
SETTINGS = {
    "defaults": {"timeout": 5.0, "per_try_timeout": 2.0, "breaker": {"slow_call_duration": 1.0}},
    "boundaries": {"bench": {"operations": {"op": {"idempotent": True}}}},
    "fault_refresh_seconds": 3600,  # runtime fault rules are read once, as in steady state
}


def noop(**kwargs):
    return kwargs


def overhead_us() -> tuple[float, float]:
    direct = timed(lambda: noop(sku="X"), CALLS)
    wrapped = timed(lambda: invoke("bench", "op", noop, (), {"sku": "X"}), CALLS)
    return median(direct) * 1e6, median(wrapped) * 1e6


def fail_fast() -> list[float]:
    breaker = breaker_for("bench", cached_policy_for("bench", "").breaker)
    while breaker.state != "open":  # trip it the honest way: failed calls
        breaker.record(breaker.acquire(), failed=True, duration=0.0)

    def one():
        try:
            invoke("bench", "op", noop, (), {})
        except BoundaryUnavailable:
            pass

    samples = timed(one, 5_000)
    breaker.reset()
    return samples


def concurrent(call) -> float:
    barrier = threading.Barrier(8)

    def worker():
        barrier.wait()
        call()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def scenario_rows() -> list[tuple]:
    """Scenario 1 (payments slow) with the defaults: order API p99 slow vs healthy, in one run."""
    import tempfile

    from scenarios import payment_timeout

    with tempfile.TemporaryDirectory() as logs:
        report = payment_timeout.run(configs=("defaults",), seconds=20, clients=8, slow_ms="5000-10000",
                                     log_dir=Path(logs), say=lambda *_: None)["defaults"]
    healthy, slow = report.healthy.percentile(99), report.slow.percentile(99)
    return [
        ("Scenario 1: order API p99, payments healthy (floor)", f"{healthy * 1e3:.0f} ms", "", None),
        ("Scenario 1: order API p99, payments 5-10 s slow", f"{slow * 1e3:.0f} ms",
         f"<= {1.5 * healthy * 1e3:.0f} ms (1.5x)", slow <= 1.5 * healthy),
        ("Scenario 1: orders placed while slow / settled after", f"{report.slow.count} / "
         f"{sum(s in ('confirmed', 'cancelled') for s in report.settled.values())}", "all settle",
         all(s in ("confirmed", "cancelled") for s in report.settled.values())),
    ]


def main() -> int:
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0)  # the fault rule table, empty
    scenario = "--scenario" in sys.argv
    try:
        with override_settings(RESILIENCE=SETTINGS):
            forget_breakers()
            invoke("bench", "op", noop, (), {})  # warm up: policy, breaker, rule cache
            direct_us, wrapped_us = overhead_us()
            fast = fail_fast()
            ours = concurrent(lambda: invoke("bench", "op", lambda: time.sleep(0.2), (), {}))
            theirs = pybreaker.CircuitBreaker()
            serialised = concurrent(lambda: theirs.call(time.sleep, 0.2))
        extra = scenario_rows() if scenario else []
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    rows = [
        ("direct call (floor), median", f"{direct_us:.2f} us", "", None),
        ("through the policy layer, median", f"{wrapped_us:.2f} us", "", None),
        ("policy layer overhead", f"{wrapped_us - direct_us:.2f} us", "<= 25 us", wrapped_us - direct_us <= 25),
        ("fail fast while open, p50", f"{percentile(fast, 50) * 1e3:.3f} ms", "", None),
        ("fail fast while open, p99", f"{percentile(fast, 99) * 1e3:.3f} ms", "<= 1 ms", percentile(fast, 99) <= 1e-3),
        ("8 x 200 ms through pybreaker.call() (floor)", f"{serialised * 1e3:.0f} ms", "", None),
        ("8 x 200 ms through our breaker", f"{ours * 1e3:.0f} ms", "<= 260 ms (1.3 x 200)", ours <= 0.26),
        *extra,
    ]
    return 0 if print_table("Resilience policy layer (bench/resilience.py)", rows) else 1


if __name__ == "__main__":
    sys.exit(main())
