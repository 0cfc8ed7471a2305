"""Benchmark of the metrics' cost on a local boundary call (issue 11). Prints a table; exits 1 when a target is missed.

    .venv/bin/python bench/metrics.py [--calls 50000]

Every figure is measured in this run, next to its floor: a call through the policy layer (`invoke`) with
the do-nothing observer, then with the Prometheus observer (one process, and in multiprocess mode, where
each sample is written to a memory-mapped file: run in a child process, since prometheus_client picks
the mode at import), and the direct call under both. Targets: metrics add at most 5 us to a call in one
process, 10 us in multiprocess mode. Also: one scrape of the multiprocess directory the child wrote.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.test.utils import override_settings  # noqa: E402

from bench._table import median, print_table, timed  # noqa: E402
from common.resilience.proxy import invoke  # noqa: E402
from common.runtime import runtime  # noqa: E402

SETTINGS = {
    "defaults": {"timeout": 5.0, "per_try_timeout": 2.0, "breaker": {"slow_call_duration": 1.0}},
    "boundaries": {"bench": {"operations": {"op": {"idempotent": True}}}},
    "fault_refresh_seconds": 3600,  # runtime fault rules are read once, as in steady state
}
ROUNDS = 5  # the median of each round, best round kept: the machine is shared


def noop(**kwargs):
    return kwargs


def best_median_us(fn, calls: int) -> float:
    return min(median(timed(fn, calls)) for _ in range(ROUNDS)) * 1e6


def measure(calls: int) -> dict:
    """Microseconds per call: direct, through invoke without metrics, through invoke with metrics."""
    call = lambda: invoke("bench", "op", noop, (), {"sku": "X"})  # noqa: E731
    figures = {"direct": best_median_us(lambda: noop(sku="X"), calls)}
    with override_settings(RESILIENCE=SETTINGS, OBSERVER=""):
        runtime.reset()
        call()  # warm up: policy, breaker, fault rules
        figures["no_metrics"] = best_median_us(call, calls)
    with override_settings(RESILIENCE=SETTINGS):
        runtime.reset()
        call()
        figures["metrics"] = best_median_us(call, calls)
    return figures


def child(calls: int) -> None:
    """In multiprocess mode (PROMETHEUS_MULTIPROC_DIR set by the parent): the figures, then a scrape's time."""
    figures = measure(calls)
    from observability.scrape import exposition

    started = time.perf_counter()
    text = exposition()
    figures["scrape_ms"] = (time.perf_counter() - started) * 1e3
    figures["scrape_bytes"] = len(text)
    print(json.dumps(figures))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50_000, help="calls per round (5 rounds)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options.calls)
        return 0
    one = measure(options.calls)
    with tempfile.TemporaryDirectory() as directory:
        result = subprocess.run([sys.executable, __file__, "--child", "--calls", str(options.calls)],
                                env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": directory},
                                capture_output=True, text=True, check=True, timeout=600)
    multi = json.loads(result.stdout.strip().splitlines()[-1])
    added, added_multi = one["metrics"] - one["no_metrics"], multi["metrics"] - multi["no_metrics"]
    rows = [
        ("floor: direct call", f"{one['direct']:.2f} us", "", None),
        ("invoke, no metrics (one process)", f"{one['no_metrics']:.2f} us", "", None),
        ("invoke, metrics (one process)", f"{one['metrics']:.2f} us", "", None),
        ("  metrics add (one process)", f"{added:.2f} us", "<= 5 us", added <= 5),
        ("floor: direct call (multiprocess)", f"{multi['direct']:.2f} us", "", None),
        ("invoke, no metrics (multiprocess)", f"{multi['no_metrics']:.2f} us", "", None),
        ("invoke, metrics (multiprocess)", f"{multi['metrics']:.2f} us", "", None),
        ("  metrics add (multiprocess)", f"{added_multi:.2f} us", "<= 10 us", added_multi <= 10),
        ("scrape of one process's files", f"{multi['scrape_ms']:.1f} ms", f"{multi['scrape_bytes']} bytes", None),
    ]
    return 0 if print_table("Metrics on a local boundary call (bench/metrics.py)", rows) else 1


if __name__ == "__main__":
    sys.exit(main())
