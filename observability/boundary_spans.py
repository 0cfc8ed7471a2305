"""A span for each try of a boundary call, rejected ones too (breaker open, deadline passed, injected fault)."""
from __future__ import annotations

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from common.errors import BoundaryUnavailable, DomainError
from common.observers import Watch

_TRANSPORTS = (("Local", "local"), ("Rest", "rest"), ("Grpc", "grpc"))


def _transport(target) -> str:
    name = type(getattr(target, "__self__", target)).__name__
    return next((transport for prefix, transport in _TRANSPORTS if name.startswith(prefix)), name)


def _outcome(error: BaseException | None) -> str:
    if error is None:
        return "ok"
    if isinstance(error, DomainError):
        return "domain_error"  # the far side answered "no": the call itself worked
    if isinstance(error, BoundaryUnavailable):
        return type(error).__name__  # BreakerOpen, BoundaryTimeout, InjectedAbort, BoundaryConnectionFailed...
    return "error"


class BoundaryTrySpan:
    """`with` it around one try: a client span named `boundary.operation`, current while the try runs, so the
    transport's own spans (urllib3, gRPC) and the far side's are its children."""

    __slots__ = ("boundary", "operation", "target", "attempt", "watch", "span", "scope")

    def __init__(self, boundary: str, operation: str, target, attempt: int):
        self.boundary, self.operation, self.target, self.attempt = boundary, operation, target, attempt

    def __enter__(self) -> Watch:
        self.watch = Watch()
        self.span = trace.get_tracer("shop").start_span(
            f"{self.boundary}.{self.operation}", kind=SpanKind.CLIENT, attributes={
                "boundary": self.boundary, "operation": self.operation, "transport": _transport(self.target),
                "attempt": self.attempt,
            })
        self.scope = trace.use_span(self.span, end_on_exit=True)
        self.scope.__enter__()
        return self.watch

    def __exit__(self, kind, error, traceback) -> bool:
        span, watch = self.span, self.watch
        try:
            if span.is_recording():
                self._describe(span, watch, error)
        except Exception:  # e.g. the breaker's shared storage is away: the call's own outcome must stand
            span.set_attribute("breaker", "unknown")
        self.scope.__exit__(None, None, None)  # status set above: use_span must not record the error again
        return False

    @staticmethod
    def _describe(span, watch: Watch, error: BaseException | None) -> None:
        outcome = _outcome(error)
        span.set_attribute("outcome", outcome)
        if outcome == "InjectedAbort":
            span.set_attribute("fault.injected", True)
        if error is not None and not isinstance(error, DomainError):
            span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"[:300]))
        elif error is not None:
            span.set_attribute("domain_error", getattr(error, "code", type(error).__name__))
        if watch.fault is not None:
            span.set_attribute("fault", f"delay {watch.fault.delay_percentage:g}% {watch.fault.fixed_delay:g}s, "
                                        f"abort {watch.fault.abort_percentage:g}%")
        if watch.breaker is not None:  # last: with a shared storage, reading the state may fail
            span.set_attribute("breaker", watch.breaker.state)


watch_try = BoundaryTrySpan
