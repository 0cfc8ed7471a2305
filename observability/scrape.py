"""GET /metrics (staff or a scrape token), the outbox's gauges read at scrape time, and figures for the map.

Served by the web process and by each serve_context HTTP server. With PROMETHEUS_MULTIPROC_DIR the samples
are those of every process writing to that directory (workers, relay and beat write there, and serve them
themselves on METRICS_PORT: observability/exporter.py), else this process's own.
"""
from __future__ import annotations

import hmac
import math
from collections import defaultdict

from django.conf import settings
from django.db import DatabaseError, transaction
from django.http import HttpResponse, JsonResponse
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from common.db import aliases, connection, current_alias, using
from common.errors import error_json
from common.http import CORRELATION_HEADER, correlation_id_of
from outbox.api import outbox_status

from .metrics import multiprocess_dir

DELIVERY_STATES = ("pending", "in_flight", "failed", "dead")


class OutboxCollector:
    """The outbox's lag and deliveries per state of each database (every context's own outbox when they have
    their own databases), read when scraped, each read bounded by a timeout."""

    def collect(self):
        up = GaugeMetricFamily("shop_outbox_status_up", "1 when the outbox's figures below were read from this "
                               "database, 0 when it did not answer within METRICS['DB_TIMEOUT_SECONDS'].",
                               labels=["database"])
        lag = GaugeMetricFamily("shop_outbox_lag_seconds", "Seconds the oldest runnable message or delivery has "
                                "waited (0 when nothing waits).", labels=["database"])
        undispatched = GaugeMetricFamily("shop_outbox_undispatched_messages", "Messages stored and not fanned out "
                                         "yet.", labels=["database"])
        deliveries = GaugeMetricFamily("shop_outbox_deliveries", "Deliveries not done, by state.",
                                       labels=["database", "state"])
        for alias in aliases():
            try:
                with using(alias):
                    status = _read_outbox_status()
            except DatabaseError:
                up.add_metric([alias], 0)
                continue
            up.add_metric([alias], 1)
            lag.add_metric([alias], status["lag_seconds"])
            undispatched.add_metric([alias], status["undispatched"])
            for state in DELIVERY_STATES:
                deliveries.add_metric([alias, state], status[state])
        yield from (up, lag, undispatched, deliveries)


def _read_outbox_status() -> dict:
    timeout_ms = int(settings.METRICS["DB_TIMEOUT_SECONDS"] * 1000)
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return outbox_status()  # SQLite has no statement timeout; inside a caller's transaction: its rules
    with transaction.atomic(using=current_alias()):
        with connection.cursor() as cursor:
            # A scrape never waits on a slow database for long: the whole read is cut off after the timeout.
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", [str(timeout_ms)])
        return outbox_status()


_registries: dict[str, CollectorRegistry] = {}


def _samples_registry():
    """The registry holding the samples: every process's (multiprocess directory) or this process's."""
    path = multiprocess_dir()
    if not path:
        return REGISTRY
    registry = _registries.get(path)
    if registry is None:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path)
        _registries[path] = registry
    return registry


def exposition() -> bytes:
    """The text format a Prometheus server scrapes: every metric, then the outbox's gauges."""
    outbox = CollectorRegistry(auto_describe=False)
    outbox.register(OutboxCollector())
    return generate_latest(_samples_registry()) + generate_latest(outbox)


def _refused(request, status: int, code: str, detail: str) -> JsonResponse:
    correlation_id = correlation_id_of(request)
    response = JsonResponse(error_json(code=code, detail=detail, correlation_id=correlation_id), status=status)
    response[CORRELATION_HEADER] = correlation_id
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


def metrics_view(request):
    """GET /metrics for a staff session or `Authorization: Bearer <settings.METRICS['SCRAPE_TOKEN']>`."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    token = settings.METRICS["SCRAPE_TOKEN"]
    user = getattr(request, "user", None)
    if header:
        scheme, _, presented = header.partition(" ")
        if scheme.lower() != "bearer" or not token or not hmac.compare_digest(presented.strip().encode(), token.encode()):
            return _refused(request, 403, "permission_denied", "This scrape token is not accepted.")
    elif user is None or not user.is_authenticated:
        return _refused(request, 401, "not_authenticated", "Sign in as staff or send the scrape token as a Bearer token.")
    elif not user.is_staff:
        return _refused(request, 403, "permission_denied", "Metrics are for staff only.")
    if request.method not in ("GET", "HEAD"):
        return _refused(request, 405, "method_not_allowed", f'Method "{request.method}" not allowed.')
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


# --- figures for the communication map --------------------------------------------------------


def histograms(*names: str) -> dict[str, list]:
    """The samples of the named histograms, by name (every process's in multiprocess mode)."""
    wanted = {name: [] for name in names}
    for family in _samples_registry().collect():
        if family.name in wanted:
            wanted[family.name].extend(family.samples)
    return wanted


def merged(samples, keep) -> tuple[dict[float, float], dict]:
    """Cumulative bucket counts summed over the label sets `keep(labels)` accepts, and counts per label set."""
    buckets: dict[float, float] = defaultdict(float)
    counts: dict = defaultdict(float)
    for sample in samples:
        labels = {k: v for k, v in sample.labels.items() if k != "le"}
        if not keep(labels):
            continue
        if sample.name.endswith("_bucket"):
            buckets[float(sample.labels["le"])] += sample.value
        elif sample.name.endswith("_count"):
            counts[tuple(sorted(labels.items()))] += sample.value
    return dict(buckets), dict(counts)


def quantile(q: float, buckets: dict[float, float]) -> float | None:
    """Prometheus's histogram_quantile over cumulative buckets: linear inside the bucket; None without samples."""
    ordered = sorted(buckets.items())
    if not ordered or ordered[-1][1] == 0:
        return None
    rank = q * ordered[-1][1]
    lower, below = 0.0, 0.0
    for bound, count in ordered:
        if count >= rank:
            if math.isinf(bound):
                return lower  # beyond the last finite bucket: its bound is all we know
            return lower + (bound - lower) * ((rank - below) / (count - below) if count > below else 1.0)
        lower, below = bound, count
    return lower
