"""An order's trace as a waterfall: its stored spans as rows of a tree, each a bar placed on the trace's timeline."""
from __future__ import annotations

from dataclasses import dataclass

from .models import SpanRecord

MAX_SPANS = 2000  # one page: a checkout has a few dozen spans; retries add a handful each
PALETTE = ("#2f6fb0", "#c0701a", "#2e8b57", "#8e44ad", "#b03a2e", "#16a085", "#7f8c8d", "#d4a017", "#34495e")


@dataclass(frozen=True)
class Row:
    """One span on the waterfall: its depth in the tree and its bar's offset and width in % of the timeline."""

    span: SpanRecord
    depth: int
    offset: float
    width: float
    start_ms: float
    duration_ms: float
    colour: str
    linked: bool  # it links to a span of another trace (the outbox hop: a handler to its worker's task)


def traces_of_order(order_id: str, *, limit: int = 20) -> list[str]:
    """Ids of the stored traces with a span about the order, oldest first."""
    rows = (SpanRecord.objects.using("default").filter(order_id=order_id).order_by("started_at")
            .values_list("trace_id", flat=True))
    return list(dict.fromkeys(rows[:500]))[:limit]


def waterfall(trace_ids: list[str]) -> dict:
    """The rows of every span of these traces (a tree per trace, children by start time), and the services."""
    spans = list(SpanRecord.objects.using("default").filter(trace_id__in=trace_ids)
                 .order_by("started_at", "id")[:MAX_SPANS])
    if not spans:
        return {"rows": [], "services": [], "total_ms": 0, "spans": 0, "errors": 0}
    start = min(s.started_at for s in spans)
    end = max(s.started_at.timestamp() + s.duration_us / 1e6 for s in spans)
    total = max(end - start.timestamp(), 1e-6)
    services = list(dict.fromkeys(s.service for s in spans))
    colours = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(services)}
    ids = {(s.trace_id, s.span_id) for s in spans}
    children: dict[tuple, list[SpanRecord]] = {}
    roots = []
    for span in spans:
        if span.parent_id and (span.trace_id, span.parent_id) in ids:
            children.setdefault((span.trace_id, span.parent_id), []).append(span)
        else:
            roots.append(span)  # a trace's root, or a span whose parent is not stored (yet, or pruned)
    rows: list[Row] = []
    todo = [(span, 0) for span in reversed(roots)]
    while todo:  # depth first, each level in start order
        span, depth = todo.pop()
        offset = (span.started_at.timestamp() - start.timestamp()) / total * 100
        rows.append(Row(span=span, depth=depth, offset=round(offset, 3),
                        width=round(max(span.duration_us / 1e6 / total * 100, 0.2), 3),
                        start_ms=round((span.started_at - start).total_seconds() * 1000, 2),
                        duration_ms=round(span.duration_us / 1000, 2), colour=colours[span.service],
                        linked=any(link.get("trace_id") not in trace_ids for link in span.links)))
        todo.extend((child, depth + 1) for child in reversed(children.get((span.trace_id, span.span_id), [])))
    return {"rows": rows, "services": [(name, colours[name]) for name in services], "total_ms": round(total * 1000, 1),
            "spans": len(spans), "errors": sum(s.error for s in spans)}
