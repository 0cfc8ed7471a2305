"""A span made current around a block of the shop's own code (checkout, saga steps, boundary tries, handlers)."""
from __future__ import annotations

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode


# The OpenTelemetry API's start_as_current_span nests three generator-based context managers per span (the proxy
# tracer's, the SDK tracer's and use_span's); a checkout makes ten spans, so this does the same work (start, make
# current, record an escaping exception, end) in one small class (bench/tracing.py measures it).
class CurrentSpan:
    """`with CurrentSpan(tracer, name, attributes=...) as span:` does what `tracer.start_as_current_span` does."""

    __slots__ = ("tracer", "name", "kind", "attributes", "context", "links", "record_error", "span", "token")

    def __init__(self, tracer: trace.Tracer, name: str, *, attributes: dict | None = None,
                 kind: SpanKind = SpanKind.INTERNAL, context: otel_context.Context | None = None,
                 links: list[trace.Link] | None = None, record_error: bool = True):
        self.tracer, self.name, self.kind, self.attributes = tracer, name, kind, attributes
        # record_error=False: an escaping error is neither an event nor the status (the caller sets its own).
        self.context, self.links, self.record_error = context, links, record_error

    def __enter__(self) -> trace.Span:
        span = self.span = self.tracer.start_span(self.name, context=self.context, kind=self.kind,
                                                  attributes=self.attributes, links=self.links)
        self.token = otel_context.attach(trace.set_span_in_context(span))
        return span

    def __exit__(self, kind, error, traceback) -> bool:
        otel_context.detach(self.token)
        span = self.span
        # As use_span: only an Exception is an error (GeneratorExit, KeyboardInterrupt are not).
        if self.record_error and isinstance(error, Exception) and span.is_recording():
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
        span.end()
        return False
