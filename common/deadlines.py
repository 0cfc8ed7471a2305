"""A per-call deadline carried in a contextvar, so every hop gets only the time its caller has left.

    with deadline_scope(2.0):          # the whole operation may take 2 s
        inventory.reserve_items(...)   # each client call: timeout = min(its own timeout, remaining())

A scope never extends an outer one: nested scopes keep the earlier deadline. Servers open a scope from
the incoming `X-Request-Deadline-Ms` header (REST) or the call's gRPC deadline, so the budget travels
downstream. Resilience policies (retries, breakers) should read `remaining()` before trying again.
"""
from __future__ import annotations

import time
from contextvars import ContextVar

HEADER = "X-Request-Deadline-Ms"  # remaining milliseconds, relative, so clocks need not agree

_deadline: ContextVar[float | None] = ContextVar("request_deadline", default=None)


class deadline_scope:  # noqa: N801 (used like a function: `with deadline_scope(2.0):`)
    """Within the block, calls must finish `seconds` from now (or by an earlier outer deadline).

    A class rather than @contextmanager: every boundary call opens two, and a generator costs more."""

    __slots__ = ("seconds", "token")

    def __init__(self, seconds: float | None):
        self.seconds = seconds
        self.token = None

    def __enter__(self) -> None:
        if self.seconds is not None:
            deadline = time.monotonic() + max(self.seconds, 0.0)
            outer = _deadline.get()
            self.token = _deadline.set(deadline if outer is None else min(outer, deadline))

    def __exit__(self, *exc_info) -> None:
        if self.token is not None:
            _deadline.reset(self.token)
            self.token = None


def remaining(default: float | None = None) -> float | None:
    """Seconds left before the current deadline (0.0 once passed), or `default` outside any scope."""
    deadline = _deadline.get()
    if deadline is None:
        return default
    return max(deadline - time.monotonic(), 0.0)


def call_timeout(configured: float) -> float:
    """The timeout for one outgoing call: the configured one, cut to what the deadline leaves."""
    left = remaining()
    return configured if left is None else min(configured, left)
