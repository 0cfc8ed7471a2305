"""Scenario 1 of the seed, "The Payment Timeout Crisis": payments answers in 5-10 s; does the shop grind to a halt?

The same load runs twice against the shop's own processes (payments served by its own process over
REST): with the naive configuration (no timeout, no breaker, the order waits for the charge) and with
the project's defaults (timeouts, a breaker, payment-pending orders charged later). Each run: a healthy
phase, a slow phase (payments restarted with 5-10 s latency), then recovery (payments restarted
healthy) until every accepted order is paid or cancelled.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from . import load
from .common import SKUS, prepare, wait_settled
from .processes import Shop

CONFIGS = {
    "naive": {"RESILIENCE_PROFILE": "naive", "BOUNDARY_TIMEOUT": "3600"},
    "defaults": {},
}
# Both runs: a saga that keeps trying a pending charge every second or two, so recovery is quick to see.
COMMON_ENV = {"CHECKOUT_SAGA_BACKOFF_MAX": "2"}


@dataclass
class Report:
    """One configuration's figures."""

    healthy: load.Result
    slow: load.Result
    product_page: load.Result
    transitions: list[str]
    settled: dict[str, str]
    settle_seconds: float


def run(*, configs=("naive", "defaults"), seconds: float = 10.0, clients: int = 12, slow_ms: str = "5000-10000",
        settle_timeout: float = 120.0, log_dir: Path, say=print) -> dict[str, Report]:
    """Run the scenario for each configuration; returns the figures by configuration name."""
    tokens = prepare(customers=clients)
    reports = {}
    for name in configs:
        say(f"--- {name}: starting web, payments, worker and relay")
        with Shop(log_dir=log_dir / name, env={**COMMON_ENV, **CONFIGS[name]}) as shop:
            load.drive(shop.url, tokens=tokens, skus=SKUS, seconds=1, clients=2)  # warm up
            say(f"--- {name}: healthy phase ({seconds:g} s, {clients} clients)")
            healthy = load.drive(shop.url, tokens=tokens, skus=SKUS, seconds=seconds, clients=clients)
            say(f"--- {name}: payments slow ({slow_ms} ms per charge)")
            shop.stop_payments()
            shop.start_payments(PAYMENT_LATENCY_MS=slow_ms)
            probe: list[load.Result] = []
            prober = threading.Thread(target=lambda: probe.append(load.drive(
                shop.url, tokens=tokens, skus=SKUS, seconds=seconds, clients=1, path="/api/products/")))
            prober.start()
            slow = load.drive(shop.url, tokens=tokens, skus=SKUS, seconds=seconds, clients=clients)
            prober.join()
            say(f"--- {name}: payments recovers; waiting for {len(slow.order_ids)} orders to settle")
            shop.stop_payments()
            shop.start_payments()
            settled, settle_seconds = wait_settled(slow.order_ids, timeout=settle_timeout)
            transitions = [line.split("circuit breaker ", 1)[1] for line in shop.processes["web"].log_text().splitlines()
                           if "circuit breaker payments:" in line]
        reports[name] = Report(healthy, slow, probe[0], transitions, settled, settle_seconds)
    return reports


def table(reports: dict[str, Report]) -> str:
    """The figures side by side."""
    def ms(value: float) -> str:
        return f"{value * 1000:.0f} ms"

    rows = [
        ("order API p50, healthy", lambda r: ms(r.healthy.percentile(50))),
        ("order API p99, healthy", lambda r: ms(r.healthy.percentile(99))),
        ("orders placed, payments slow", lambda r: str(r.slow.count)),
        ("order API p50, payments slow", lambda r: ms(r.slow.percentile(50))),
        ("order API p99, payments slow", lambda r: ms(r.slow.percentile(99))),
        ("HTTP statuses, payments slow", lambda r: " ".join(f"{k}x{v}" for k, v in sorted(r.slow.statuses.items()))),
        ("errors (no answer), payments slow", lambda r: str(r.slow.errors)),
        ("requests blocked > 1 s (peak)", lambda r: str(r.slow.peak_blocked)),
        ("product page p99, payments slow", lambda r: ms(r.product_page.percentile(99))),
        ("product pages served, payments slow", lambda r: str(r.product_page.count)),
        ("breaker transitions (web)", lambda r: ", ".join(t.split(": ", 1)[1] for t in r.transitions) or "none"),
        ("after recovery: confirmed", lambda r: str(sum(s == "confirmed" for s in r.settled.values()))),
        ("after recovery: cancelled", lambda r: str(sum(s == "cancelled" for s in r.settled.values()))),
        ("after recovery: still open", lambda r: str(sum(s not in ("confirmed", "cancelled")
                                                          for s in r.settled.values()))),
        ("time to settle", lambda r: f"{r.settle_seconds:.1f} s"),
    ]
    names = list(reports)
    width = max(len(label) for label, _ in rows)
    lines = [f"{'':<{width}}  " + "  ".join(f"{n:>22}" for n in names)]
    for label, value in rows:
        lines.append(f"{label:<{width}}  " + "  ".join(f"{value(reports[n]):>22}" for n in names))
    return "\n".join(lines)
