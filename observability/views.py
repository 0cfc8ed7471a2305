"""Staff pages of the observability app: the communication map, drawn live from code and settings."""
from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.contrib import admin
from django.template.response import TemplateResponse

from common.resilience.breaker import all_breakers
from outbox.api import all_subscribers

from .communication_map import communication_map, shop_contexts, why
from .drawing import BOX_H, BOX_W, curves, layout
from .scrape import histograms, merged, quantile

KIND_STYLE = {"event": "event", "command": "command"}  # CSS class per kind; every sync kind is "sync"
NOT_CALLED = "not called yet"  # this process has made no breaker for the boundary
CALLS, HANDLER_RUNS, DELIVERY = "shop_boundary_call_seconds", "shop_outbox_handler_seconds", \
    "shop_outbox_delivery_latency_seconds"  # observability/metrics.py


def arrow_metrics(source: str, target: str, kind: str, messages=(), samples: dict | None = None) -> dict | None:
    """p50/p99 latency, error rate and count of an arrow from the metrics; None when it has no sample.

    A call: the caller's view of its calls to the boundary (shop_boundary_call_seconds; an error is any outcome
    but ok and a business "no"). An event or command: the time from the message's occurrence to the end of its
    handler in the target context (shop_outbox_delivery_latency_seconds), errors being failed handler runs.
    """
    samples = samples if samples is not None else histograms(CALLS, HANDLER_RUNS, DELIVERY)
    if kind in ("event", "command"):
        def mine(labels):
            return (labels["subscriber"].split(".", 1)[0] == target
                    and labels["message"].split(".", 1)[-1] in messages)
        buckets, _ = merged(samples[DELIVERY], mine)
        _, runs = merged(samples[HANDLER_RUNS], mine)
        failed = {"error"}
    else:
        def mine(labels):
            return labels["caller"] == source and labels["boundary"] == target
        buckets, runs = merged(samples[CALLS], mine)
        failed = {"breaker_open", "timeout", "unavailable", "error", "fallback"}
    total = sum(runs.values())
    if not total:
        return None
    errors = sum(count for labels, count in runs.items() if dict(labels)["outcome"] in failed)
    return {"p50": _duration(quantile(0.5, buckets)), "p99": _duration(quantile(0.99, buckets)),
            "error_rate": f"{100 * errors / total:.1f}%", "count": int(total)}


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds >= 10:
        return f"{seconds:.0f} s"
    return f"{seconds * 1000:.2g} ms" if seconds < 0.01 else f"{seconds * 1000:.0f} ms"


def communication_map_view(request):
    """The map: contexts as boxes, every interaction an arrow with its kind, transport, breaker and why."""
    interactions = communication_map()
    breakers = {breaker.name: breaker.state for breaker in all_breakers()}
    grouped: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for item in interactions:
        grouped[(item.source, item.target, item.kind)].append(item.label)
    nodes = sorted(set(shop_contexts()) & ({s for s, _, _ in grouped} | {t for _, t, _ in grouped}))
    ranked = [(s, t) for s, t, kind in grouped if kind != "event"]  # calls and commands set the columns
    boxes, width, height = layout(nodes, ranked, [(s, t) for s, t, _ in grouped])
    arrows = []
    samples = histograms(CALLS, HANDLER_RUNS, DELIVERY)  # read once: every process's in multiprocess mode
    for (source, target, kind), labels in grouped.items():
        sync = kind not in ("event", "command")
        arrows.append({
            "source": source, "target": target, "kind": kind, "css": KIND_STYLE.get(kind, "sync"),
            "label": kind if sync else f"{kind}: {', '.join(labels)}", "messages": labels,
            "transport": settings.BOUNDARIES.get(target, {}).get("transport", "local") if sync else "outbox",
            "breaker": breakers.get(target, NOT_CALLED) if sync else "",
            "why": why(source, target, kind), "metrics": arrow_metrics(source, target, kind, labels, samples),
        })
    for arrow, curve in zip(arrows, curves(boxes, [(a["source"], a["target"]) for a in arrows])):
        arrow["curve"] = curve
    subscribers = defaultdict(list)
    for entry in all_subscribers():
        if entry.context in nodes:  # not the test suite's own apps
            subscribers[entry.message].append(entry)
    context = {
        **admin.site.each_context(request),
        "title": "Communication map",
        "width": width, "height": height, "box_w": BOX_W, "box_h": BOX_H,
        "boxes": [{"box": box, "transport": settings.BOUNDARIES.get(name, {}).get("transport"),
                   "breaker": breakers.get(name, NOT_CALLED if name in settings.BOUNDARIES else "")}
                  for name, box in sorted(boxes.items())],
        "arrows": arrows,
        "subscribers": sorted(subscribers.items()),
    }
    return TemplateResponse(request, "admin/observability/communication_map.html", context)


def order_trace_view(request, order_id):
    """An order's trace as a waterfall, read from the span store (spans of every process, no collector needed)."""
    from .waterfall import traces_of_order, waterfall

    trace_ids = traces_of_order(str(order_id))
    context = {**admin.site.each_context(request), "title": f"Trace of order {order_id}", "order_id": order_id,
               "trace_ids": trace_ids, **waterfall(trace_ids), "store": settings.TRACING}
    return TemplateResponse(request, "admin/observability/trace.html", context)
