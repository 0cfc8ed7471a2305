"""Helpers for the trace tests: the span store read back, by trace or by order."""
from __future__ import annotations

from observability import tracing
from observability.models import SpanRecord


def forget_buffered() -> None:
    """Drop the spans earlier tests left in this process's buffer (they are no test's business)."""
    store = tracing.state().get("store")
    if store is not None:
        store.discard()


def spans_of_order(order_id: str) -> list[SpanRecord]:
    """Every stored span of the traces that carry `order_id`, oldest first (flushes this process first)."""
    tracing.flush()
    traces = set(SpanRecord.objects.filter(order_id=order_id).values_list("trace_id", flat=True))
    return list(SpanRecord.objects.filter(trace_id__in=traces).order_by("started_at", "id"))
