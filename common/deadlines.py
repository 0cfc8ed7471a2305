"""A per-call deadline carried in a contextvar, so every hop gets only the time its caller has left.

    with deadline_scope(2.0):          # the whole operation may take 2 s
        inventory.reserve_items(...)   # each client call: timeout = min(its own timeout, remaining())

A scope never extends an outer one: nested scopes keep the earlier deadline. Servers open a scope from
the incoming `X-Request-Deadline-Ms` header (REST) or the call's gRPC deadline, so the budget travels
downstream. Resilience policies (retries, breakers) should read `remaining()` before trying again.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from contextvars import ContextVar

from common.errors import BoundaryTimeout

HEADER = "X-Request-Deadline-Ms"  # remaining milliseconds, relative, so clocks need not agree

_deadline: ContextVar[float | None] = ContextVar("request_deadline", default=None)


@contextmanager
def deadline_scope(seconds: float | None):
    """Within the block, calls must finish `seconds` from now (or by an earlier outer deadline)."""
    token = push_deadline(seconds)
    try:
        yield
    finally:
        pop_deadline(token)


def push_deadline(seconds: float | None):
    """Open a deadline scope without a `with` (the policy layer's hot path has a try/finally already);
    returns a token for pop_deadline, None when there was nothing to push."""
    if seconds is None:
        return None
    deadline = time.monotonic() + max(seconds, 0.0)
    outer = _deadline.get()
    return _deadline.set(deadline if outer is None or deadline < outer else outer)


def pop_deadline(token) -> None:
    """Undo push_deadline."""
    if token is not None:
        _deadline.reset(token)


def remaining(default: float | None = None) -> float | None:
    """Seconds left before the current deadline (0.0 once passed), or `default` outside any scope."""
    deadline = _deadline.get()
    if deadline is None:
        return default
    return max(deadline - time.monotonic(), 0.0)


def call_timeout(configured: float, *, boundary: str) -> float:
    """The timeout for one outgoing call across `boundary`: the configured one, cut to what the deadline leaves.

    Raises BoundaryTimeout when no time is left, so no transport sends a call its caller has given up on."""
    left = remaining()
    timeout = configured if left is None else min(configured, left)
    if timeout <= 0:
        raise BoundaryTimeout(boundary, "the deadline passed before the call")
    return timeout
