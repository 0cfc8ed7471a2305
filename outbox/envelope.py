"""The envelope a subscriber receives (name, version, ids, headers, payload) and the headers' context."""
from __future__ import annotations

import contextvars
import secrets
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from opentelemetry import propagate

_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar("outbox_message_context", default=None)


@dataclass(frozen=True)
class Envelope:
    """A stored message as a subscriber sees it: plain values only, never a Python class of the publisher."""

    event_id: uuid.UUID
    name: str
    version: int
    aggregate_type: str
    aggregate_id: str
    occurred_at: datetime
    payload: dict
    headers: dict = field(default_factory=dict)
    sequence: int = 0  # the outbox row id: increases with publication order

    @property
    def correlation_id(self) -> str | None:
        """The id shared by every message caused, directly or not, by one request."""
        return self.headers.get("correlation_id")

    @property
    def causation_id(self) -> str | None:
        """The id of the message whose handling published this one, if any."""
        return self.headers.get("causation_id")

    @property
    def traceparent(self) -> str | None:
        """W3C trace context of the publisher."""
        return self.headers.get("traceparent")


def _traceparent(trace_id: str | None = None) -> str:
    return f"00-{trace_id or secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def current_correlation_id() -> str | None:
    """The correlation id of the request or message being handled now, if any."""
    context = _context.get()
    return context["correlation_id"] if context is not None else None


def _current_trace_context() -> dict:
    """The current span's W3C `traceparent` (and `tracestate`), when tracing is on and a span is current."""
    carrier: dict = {}
    propagate.inject(carrier)
    return carrier


def current_headers() -> dict:
    """Headers for a message published now: the surrounding request's or handled message's ids, and the
    current span's trace context (relay, delivery and handler spans join the publisher's trace with it)."""
    context = _context.get()
    traced = _current_trace_context()
    traceparent = traced.get("traceparent")  # a current span's: no traceparent to make up (random bytes cost)
    if context is None:
        return {"correlation_id": str(uuid.uuid4()), "traceparent": traceparent or _traceparent(), **traced}
    headers = {"correlation_id": context["correlation_id"],
               "traceparent": traceparent or _traceparent(context["trace_id"]), **traced}
    if context.get("causation_id"):
        headers["causation_id"] = context["causation_id"]
    return headers


@contextmanager
def message_context(*, correlation_id: str | None = None, causation_id: str | None = None,
                    traceparent: str | None = None):
    """Within the block, published messages carry these ids (a new correlation id when none is given)."""
    parts = (traceparent or "").split("-")
    trace_id = parts[1] if len(parts) == 4 and len(parts[1]) == 32 else secrets.token_hex(16)
    token = _context.set({
        "correlation_id": correlation_id or str(uuid.uuid4()), "causation_id": causation_id, "trace_id": trace_id,
    })
    try:
        yield
    finally:
        _context.reset(token)
