"""The outbox hop in traces: each stored message keeps its publisher's W3C trace context in its headers; the relay
and the handler open spans in that trace (children of the publishing span), the handler's linked to the worker's
task span, so one request's trace goes on across the relay, the broker and every subscriber."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

from opentelemetry import propagate, trace
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from common.spans import CurrentSpan

_tracer = trace.get_tracer("shop.outbox")


def enabled() -> bool:
    """True when this process records spans (an SDK tracer provider is set), so the relay reads the headers."""
    return trace.get_current_span().is_recording() or type(trace.get_tracer_provider()).__module__.startswith(
        "opentelemetry.sdk")


def _parent(headers: dict | None):
    return propagate.extract(headers or {}) if (headers or {}).get("traceparent") else None


def _nanos(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1e9) if isinstance(moment, datetime) else None


def relayed(*, name: str, headers: dict | None, aggregate_id: str, created_at: datetime | None, subscribers: int) -> None:
    """A span in the publisher's trace for a message the relay fanned out: from its commit to now (the outbox's lag)."""
    parent = _parent(headers)
    if parent is None:
        return
    span = _tracer.start_span(f"outbox relay {name}", context=parent, kind=SpanKind.PRODUCER,
                              start_time=_nanos(created_at), attributes={
                                  "messaging.system": "outbox", "messaging.destination.name": name,
                                  "aggregate_id": aggregate_id, "subscribers": subscribers})
    span.end()


@contextmanager
def handling(*, subscriber: str, envelope):
    """The handler's span: a child of the publisher's span, linked to the task that carried the delivery."""
    carrier = trace.get_current_span().get_span_context()
    links = [Link(carrier)] if carrier.is_valid else None
    attributes = {"messaging.system": "outbox", "messaging.destination.name": envelope.name,
                  "subscriber": subscriber, "event_id": str(envelope.event_id)}
    if envelope.aggregate_type == "order":
        attributes["order_id"] = envelope.aggregate_id
    with CurrentSpan(_tracer, f"outbox handle {envelope.name} -> {subscriber}", context=_parent(envelope.headers),
                     kind=SpanKind.CONSUMER, links=links, attributes=attributes, record_error=False) as span:
        try:
            yield span
        except Exception as error:
            span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"[:300]))
            raise
