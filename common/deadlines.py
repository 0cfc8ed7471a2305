"""The deadline of the current call chain, kept in a contextvar so every hop can honour and propagate it."""
from __future__ import annotations

import contextvars
import time
from contextlib import contextmanager

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("deadline", default=None)


@contextmanager
def deadline_scope(seconds: float | None):
    """Within the block, calls must finish in `seconds` (or sooner, if an outer deadline is nearer)."""
    if seconds is None:
        yield
        return
    new = time.monotonic() + seconds
    outer = _deadline.get()
    token = _deadline.set(new if outer is None else min(outer, new))
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining(default: float | None = None) -> float | None:
    """Seconds left before the current deadline (never below 0), or `default` when there is none."""
    deadline = _deadline.get()
    if deadline is None:
        return default
    left = max(0.0, deadline - time.monotonic())
    return left if default is None else min(left, default)
