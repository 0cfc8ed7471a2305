"""Where the shop reports what it does (boundary calls, retries, faults, breakers, handlers, sagas) to whoever measures it.

Two hooks, one module: lower layers never import observability, this seam is how they reach it.
- `observer()`: the code that calls a boundary, runs a handler or a saga calls its methods (metrics);
  `settings.OBSERVER` names it (a dotted path, like EMAIL_BACKEND; observability.metrics.PrometheusObserver
  by default), loaded on first use and again when the setting changes. The base class does nothing.
- `observe_try(boundary, operation, target, attempt)`: a context manager around one try of a boundary call
  (traces), yielding a `Watch` the resilience layer fills in (the breaker it asked, the fault it injected);
  observability registers it (`register("boundary_try", ...)`); with none registered it costs one dict lookup.
"""
from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

from django.conf import settings
from django.utils.module_loading import import_string

from common.runtime import runtime

_current: dict[str, Observer] = runtime.store("observer", built_from={"OBSERVER"}, kept_on_reset=True)
_observers: dict[str, Callable] = runtime.store("observers", kept_on_reset=True)


class Observer:
    """Does nothing: the base of every observer (override what you measure)."""

    def boundary_call(self, boundary: str, operation: str, invoke, target, args: tuple, kwargs: dict):
        """Run `invoke(boundary, operation, target, args, kwargs)`, the whole call with its policy."""
        return invoke(boundary, operation, target, args, kwargs)

    def boundary_retry(self, boundary: str, operation: str) -> None:
        """A try failed and the call tries again."""

    def boundary_fallback(self, boundary: str, operation: str) -> None:
        """Every try failed and the operation's fallback answers instead."""

    def fault_injected(self, boundary: str, kind: str) -> None:
        """A fault rule delayed (`kind` "delay") or aborted ("abort") a call."""

    def breaker_changed(self, boundary: str, old: str, new: str) -> None:
        """A circuit breaker went from state `old` to `new` in this process."""

    def handling(self, subscriber, envelope):
        """A context manager around one run of a subscriber's handler for one message."""
        return nullcontext()

    def saga_step(self, *, mode: str, step: str, kind: str, outcome: str, seconds: float) -> None:
        """A checkout step (or compensation) was tried."""

    def saga_ended(self, *, mode: str, outcome: str, seconds: float) -> None:
        """A checkout ended (`outcome` completed or compensated), `seconds` after it began."""

    def process_exited(self, pid: int) -> None:
        """A worker process of a server (gunicorn, Celery prefork) exited."""


def observer() -> Observer:
    """The observer in force (settings.OBSERVER), made once per process and setting."""
    found = _current.get("observer")
    if found is None:
        path = getattr(settings, "OBSERVER", "")
        found = _current["observer"] = import_string(path)() if path else Observer()
    return found


class Watch:
    """What one try learned on its way: the breaker it asked and the fault it injected (None when none)."""

    __slots__ = ("breaker", "fault")

    def __init__(self):
        self.breaker = None
        self.fault = None


class _Unwatched:
    """The context manager used when nobody observes: enters to a throwaway Watch, swallows nothing."""

    def __enter__(self) -> Watch:
        return Watch()

    def __exit__(self, *exc) -> bool:
        return False


_UNWATCHED = _Unwatched()


def register(name: str, observer: Callable) -> None:
    """Observe with `observer` (e.g. "boundary_try": a callable returning a context manager that yields a Watch)."""
    _observers[name] = observer


def observe_try(boundary: str, operation: str, target, attempt: int) -> AbstractContextManager[Watch]:
    """A context manager around one try of `operation` on `boundary` (its client method `target`)."""
    observer = _observers.get("boundary_try")
    return _UNWATCHED if observer is None else observer(boundary, operation, target, attempt)
