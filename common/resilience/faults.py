"""Fault injection in Istio's vocabulary, applied on the caller's side of every transport.

A fault is `{"delay": {"percentage": 10, "fixed_delay": 1.0}, "abort": {"percentage": 5,
"http_status": 503}}` (or `"grpc_status": "UNAVAILABLE"`). It comes from the operation's policy in
settings, or, to change it while the shop runs, from a FaultRule row (admin or `manage.py fault`),
which wins and is re-read at most every `fault_refresh_seconds`. Unlike Istio, the caller's timeouts
and retries apply to injected faults too: an injected delay longer than the time left is a timeout.
"""
from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError

from common.deadlines import remaining
from common.errors import BoundaryTimeout, BoundaryUnavailable
from common.observers import observer
from common.runtime import runtime


@dataclass(frozen=True)
class Fault:
    """What to do to a share of the calls."""

    delay_percentage: float = 0.0
    fixed_delay: float = 0.0
    abort_percentage: float = 0.0
    http_status: int | None = None
    grpc_status: str | None = None

    @classmethod
    def from_dict(cls, spec: dict) -> Fault | None:
        """Read Istio's shape; None when it injects nothing."""
        if not spec:
            return None
        delay, abort = spec.get("delay") or {}, spec.get("abort") or {}
        fault = cls(
            delay_percentage=float(delay.get("percentage", 0)), fixed_delay=float(delay.get("fixed_delay", 0)),
            abort_percentage=float(abort.get("percentage", 0)), http_status=abort.get("http_status"),
            grpc_status=abort.get("grpc_status"),
        )
        return fault if fault.delay_percentage or fault.abort_percentage else None


class InjectedAbort(BoundaryUnavailable):
    """A failure injected on purpose by a fault rule."""


def inject(fault: Fault, boundary: str) -> None:
    """Delay and/or abort this call as the fault says."""
    if fault.delay_percentage and random.random() * 100 < fault.delay_percentage:
        observer().fault_injected(boundary, "delay")
        left = remaining()
        if left is not None and fault.fixed_delay >= left:
            time.sleep(left)
            raise BoundaryTimeout(boundary, f"injected delay of {fault.fixed_delay}s exceeded the deadline")
        time.sleep(fault.fixed_delay)
    if fault.abort_percentage and random.random() * 100 < fault.abort_percentage:
        observer().fault_injected(boundary, "abort")
        status = fault.http_status or fault.grpc_status or 503
        raise InjectedAbort(boundary, f"injected abort ({status})", http_status=fault.http_status,
                            grpc_status=fault.grpc_status)


class _RuntimeRules:
    """FaultRule rows, cached in the process and re-read at most every refresh period."""

    def __init__(self):
        self.loaded_at = -1e9
        self.refresh = 1.0
        self.rules: dict[tuple[str, str], Fault | None] = {}
        self.lock = threading.Lock()

    def get(self, boundary: str, operation: str) -> tuple[bool, Fault | None]:
        if time.monotonic() - self.loaded_at > self.refresh:
            self.load()
        if not self.rules:
            return False, None
        for key in ((boundary, operation), (boundary, "")):
            if key in self.rules:
                return True, self.rules[key]
        return False, None

    def load(self) -> None:
        from common.models import FaultRule

        with self.lock:
            try:
                rows = list(FaultRule.objects.filter(enabled=True))
            except DatabaseError:
                rows = []  # no table yet (before migrate) or the database is away: inject nothing new
            self.rules = {(row.boundary, row.operation): row.as_fault() for row in rows}
            # Read here, not per call; invalidate() (settings or rules changed) makes the next call reload.
            self.refresh = getattr(settings, "RESILIENCE", {}).get("fault_refresh_seconds", 1.0)
            self.loaded_at = time.monotonic()

    def invalidate(self) -> None:
        self.loaded_at = -1e9


runtime_rules = _RuntimeRules()
runtime.on_reload(runtime_rules.invalidate, built_from={"RESILIENCE"})


def fault_for(boundary: str, operation: str, configured: Fault | None) -> Fault | None:
    """The fault to apply to a call: a runtime rule if one is set, else the policy's (`configured`)."""
    found, fault = runtime_rules.get(boundary, operation)
    return fault if found else configured
