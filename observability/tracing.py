"""Traces: this process's OpenTelemetry tracer provider, its exporter and instrumentations, from settings.TRACING.

`configure()` runs once per process (ObservabilityConfig.ready(): web, serve_context, workers, relay, beat).
W3C trace context crosses every hop: the Django, urllib3, gRPC and Celery instrumentations carry it in REST
headers, gRPC metadata and Celery message headers; the outbox keeps it in each stored message's headers.
"""
from __future__ import annotations

import logging
import os
import sys
import threading

from django.conf import settings
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor

logger = logging.getLogger(__name__)

EXPORTERS = ("none", "console", "otlp-grpc", "otlp-http")
_lock = threading.Lock()
_state: dict = {}  # this process's provider and span store, set once by configure()

# Django's middleware, inserted where it sees the request first; the internal servers' list gets it too.
DJANGO_MIDDLEWARE = "opentelemetry.instrumentation.django.middleware.otel_middleware._DjangoMiddleware"
OUR_MIDDLEWARE = "observability.middleware.TracingMiddleware"


def service_name(argv: list[str] | None = None) -> str:
    """What this process is, for the span's `service.name`: OTEL_SERVICE_NAME, else read from its command line."""
    if os.environ.get("OTEL_SERVICE_NAME"):
        return os.environ["OTEL_SERVICE_NAME"]
    argv = argv if argv is not None else sys.argv
    words = [os.path.basename(word) for word in argv]
    if "serve_context" in words and len(words) > words.index("serve_context") + 1:
        return words[words.index("serve_context") + 1]
    if "worker" in words:
        # run_topology names its workers (--hostname=worker-orders-split@%h); else the queues it takes.
        hostname = next((word.split("=", 1)[1].split("@")[0] for word in argv if word.startswith("--hostname=")), "")
        queues = next((argv[i + 1] for i, word in enumerate(argv[:-1]) if word == "-Q"), "")
        return hostname or (f"worker:{queues}" if queues else "worker")
    for word, name in (("beat", "beat"), ("relay_outbox", "relay"), ("runserver", "web"), ("gunicorn", "web"),
                       ("pytest", "pytest"), ("py.test", "pytest")):
        if word in words or word in (argv[0] if argv else ""):  # python -m pytest: argv[0] is pytest/__main__.py
            return name
    return words[1] if len(words) > 1 else "shop"


def exporter_named(name: str):
    """The span exporter a TRACING `exporter` setting names (console, otlp-grpc, otlp-http); ValueError otherwise."""
    if name == "console":
        return ConsoleSpanExporter()
    if name == "otlp-grpc":  # OTEL_EXPORTER_OTLP_ENDPOINT / _HEADERS etc. are read by the exporter itself
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        return OTLPSpanExporter()
    if name == "otlp-http":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        return OTLPSpanExporter()
    raise ValueError(f"TRACING exporter must be one of {', '.join(EXPORTERS)}, not {name!r}")


def configure() -> TracerProvider | None:
    """Set up this process's tracer provider once (None when TRACING is off): exporter, span store, instrumentations."""
    config = settings.TRACING
    with _lock:
        if "provider" in _state:
            return _state["provider"]
        if not config.get("enabled", True):
            _state["provider"] = None
            return None
        provider = TracerProvider(resource=Resource.create({"service.name": service_name()}))
        exporter = config.get("exporter", "none")
        if exporter != "none":
            # The console prints each span as it ends (a demo, a bench); a collector gets them in batches.
            processor = SimpleSpanProcessor if exporter == "console" else BatchSpanProcessor
            provider.add_span_processor(processor(exporter_named(exporter)))
        if config.get("store", True):
            from .spanstore import SpanStore

            store = SpanStore(keep=int(config.get("store_max_spans", 50000)),
                              flush_seconds=float(config.get("store_flush_seconds", 1.0)))
            provider.add_span_processor(store)
            _state["store"] = store
        trace.set_tracer_provider(provider)
        _state["provider"] = provider
        _instrument(set(config.get("instrument", ())))
        return provider


def _instrument(names: set[str]) -> None:
    if "django" in names:
        from opentelemetry.instrumentation.django import DjangoInstrumentor

        DjangoInstrumentor().instrument(excluded_urls="healthz")
        # Its middleware, subclassed (observability/middleware.py), at the head of both lists: serve_context
        # swaps MIDDLEWARE for INTERNAL_MIDDLEWARE.
        for name in ("MIDDLEWARE", "INTERNAL_MIDDLEWARE"):
            listed = [entry for entry in getattr(settings, name, []) if entry != DJANGO_MIDDLEWARE]
            if listed and OUR_MIDDLEWARE not in listed:
                setattr(settings, name, [OUR_MIDDLEWARE, *listed])
    if "urllib3" in names:
        from opentelemetry.instrumentation.urllib3 import URLLib3Instrumentor

        URLLib3Instrumentor().instrument()
    if "grpc" in names:
        from opentelemetry.instrumentation.grpc import GrpcInstrumentorClient, GrpcInstrumentorServer, filters

        not_health = filters.negate(filters.health_check())  # readiness probes would fill the store
        GrpcInstrumentorClient(filter_=not_health).instrument()
        GrpcInstrumentorServer(filter_=not_health).instrument()
    if "celery" in names:
        from opentelemetry.instrumentation.celery import CeleryInstrumentor

        CeleryInstrumentor().instrument()
    if "psycopg" in names:
        from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

        PsycopgInstrumentor().instrument(enable_commenter=False)
    if "redis" in names:
        from opentelemetry.instrumentation.redis import RedisInstrumentor

        RedisInstrumentor().instrument()


def flush() -> int:
    """Write the spans this process has ended to the span store now; how many were written (tests, exit)."""
    provider, store = _state.get("provider"), _state.get("store")
    if provider is not None:
        provider.force_flush()
    return store.flush() if store is not None else 0


def state() -> dict:
    """This process's provider and span store ("provider", "store"), as configure() left them."""
    return _state
