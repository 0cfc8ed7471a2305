"""The seam through which observability watches the shop's machinery: common never imports it, it registers here.

`observe_try(boundary, operation, target, attempt)` is a context manager around one try of a boundary call,
yielding a `Watch` the resilience layer fills in (the breaker it asked, the fault it injected); with no
observer registered it costs one dict lookup.
"""
from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from .runtime import runtime

_observers: dict[str, Callable] = runtime.store("observers", kept_on_reset=True)


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
