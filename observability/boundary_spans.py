"""A span for each try of a boundary call, rejected ones too (breaker open, deadline passed, injected fault)."""
from __future__ import annotations

import functools

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from common.errors import BoundaryUnavailable, DomainError
from common.observers import Watch
from common.spans import CurrentSpan

_TRANSPORTS = (("Local", "local"), ("Rest", "rest"), ("Grpc", "grpc"))
# Asked for once (a proxy until the provider is set): trace.get_tracer() per try cost more than the span itself.
_tracer = trace.get_tracer("shop")


def _transport(target) -> str:
    return _transport_of(type(getattr(target, "__self__", target)))


@functools.cache  # a pure function of the client class: worked out on its first call
def _transport_of(cls: type) -> str:
    name = cls.__name__
    return next((transport for prefix, transport in _TRANSPORTS if name.startswith(prefix)), name)


def _outcome(error: BaseException | None) -> str:
    if error is None:
        return "ok"
    if isinstance(error, DomainError):
        return "domain_error"  # the far side answered "no": the call itself worked
    if isinstance(error, BoundaryUnavailable):
        return type(error).__name__  # BreakerOpen, BoundaryTimeout, InjectedAbort, BoundaryConnectionFailed...
    return "error"


class BoundaryTrySpan(CurrentSpan):
    """`with` it around one try: a client span named `boundary.operation`, current while the try runs, so the
    transport's own spans (urllib3, gRPC) and the far side's are its children."""

    __slots__ = ("watch",)

    def __init__(self, boundary: str, operation: str, target, attempt: int):
        # record_error=False: __exit__ sets the status itself, and an error a try ends with needs no event.
        super().__init__(_tracer, f"{boundary}.{operation}", kind=SpanKind.CLIENT, record_error=False, attributes={
            "boundary": boundary, "operation": operation, "transport": _transport(target), "attempt": attempt})

    def __enter__(self) -> Watch:
        self.watch = Watch()
        CurrentSpan.__enter__(self)
        return self.watch

    def __exit__(self, kind, error, traceback) -> bool:
        span = self.span
        if span.is_recording():
            _describe(span, self.watch, error)
        return CurrentSpan.__exit__(self, kind, error, traceback)


def _describe(span, watch: Watch, error: BaseException | None) -> None:
    """Set the try's outcome, injected fault and breaker state on its span, in one call (each takes a lock)."""
    attributes = {}
    try:
        outcome = attributes["outcome"] = _outcome(error)
        if outcome == "InjectedAbort":
            attributes["fault.injected"] = True
        if error is not None and not isinstance(error, DomainError):
            span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"[:300]))
        elif error is not None:
            attributes["domain_error"] = getattr(error, "code", type(error).__name__)
        if watch.fault is not None:
            attributes["fault"] = (f"delay {watch.fault.delay_percentage:g}% {watch.fault.fixed_delay:g}s, "
                                   f"abort {watch.fault.abort_percentage:g}%")
        if watch.breaker is not None:  # last: with a shared storage, reading the state may fail
            attributes["breaker"] = watch.breaker.state
    except Exception:  # e.g. the breaker's shared storage is away: the call's own outcome must stand
        attributes["breaker"] = "unknown"
    span.set_attributes(attributes)


watch_try = BoundaryTrySpan
