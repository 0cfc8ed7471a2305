"""Run one context's internal endpoints as a process: REST under gunicorn (gthread: keeps connections
alive; sync workers close each one), gRPC beside it in the same worker, both stopped cleanly on SIGTERM.
"""
from __future__ import annotations

import logging
import signal
import sys
import threading
import types

from celery import current_app
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application
from django.urls import include, path
from django.utils.module_loading import import_string
from gunicorn.app.base import BaseApplication

from common.health import healthz
from common.observers import observer

from ..conf import common_settings
from .auth import token_problem
from .grpc import build_server

SERVABLE = ("inventory", "orders", "payments", "shipping", "reviews")
logger = logging.getLogger("serve_context")


def internal_wsgi_application(context: str):
    """A WSGI application serving only /internal/<context>/, with the lean internal middleware."""
    name = f"internal_urls_{context}"
    urlconf = types.ModuleType(name, f"The internal URLs of {context} alone.")
    urlconf.urlpatterns = [path(f"internal/{context}/", include(f"{context}.transports.rest")),
                           path("healthz", healthz),  # readiness probe (run_topology)
                           path("", include("observability.metrics_urls"))]  # /metrics: the scrape token
    # Django's own 400/403/404/500 answers in the one JSON error shape, never an HTML page.
    for code, view in (("400", "bad_request"), ("403", "permission_denied"), ("404", "not_found"), ("500", "server_error")):
        setattr(urlconf, f"handler{code}", f"common.http.{view}")
    sys.modules[name] = urlconf
    settings.ROOT_URLCONF = name
    settings.MIDDLEWARE = settings.INTERNAL_MIDDLEWARE
    return get_wsgi_application()


def start_grpc(context: str, address: str, *, reuse_port: bool = False, threads: int = 8):
    """Start the context's gRPC server (its servicers, health, reflection; TLS when configured)."""
    register = import_string(f"{context}.transports.grpc.servicer.register")
    tls = common_settings.INTERNAL_GRPC_TLS if common_settings.INTERNAL_GRPC_TLS["cert"] else None
    server, port = build_server(context, address, register, tls=tls, reuse_port=reuse_port, threads=threads)
    host = address.rsplit(":", 1)[0]
    logger.warning("%s: gRPC listening on %s:%s (%s)", context, host, port, "TLS" if tls else "plaintext")
    return server


class GunicornServer(BaseApplication):
    """gunicorn embedded: a WSGI application and its settings, run by `.run()` until SIGTERM."""

    def __init__(self, application, options: dict):
        self.application = application
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.application


def serve(context: str, *, http: str | None, grpc_address: str | None, workers: int = 1, threads: int = 8):
    """Serve one context until SIGTERM or Ctrl-C; with STRONG_SERVICE_TOKENS, only behind a strong token."""
    problem = token_problem(context, common_settings.INTERNAL_SERVICE_TOKENS.get(context))
    if common_settings.STRONG_SERVICE_TOKENS and problem:
        raise ImproperlyConfigured(f"refusing to serve {context}: {problem}")
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # Commands are sent by name; eager mode runs them here only if this process knows the tasks.
        current_app.loader.import_default_modules()
    grpc_starter = (
        (lambda: start_grpc(context, grpc_address, reuse_port=workers > 1, threads=threads)) if grpc_address else None
    )
    if http is None:
        return run_grpc_only(grpc_starter)
    run_http(internal_wsgi_application(context), http=http, grpc_starter=grpc_starter, workers=workers,
             threads=threads, name=f"serve_context {context}")


def run_http(application, *, http: str, grpc_starter=None, workers: int = 1, threads: int = 8, name: str = ""):
    """Serve `application` with gunicorn gthread (keep-alive) and, in each worker, the gRPC server
    `grpc_starter()` returns. gRPC starts after the fork because gRPC's threads do not survive one."""
    grpc_servers = []

    def post_worker_init(worker):
        if grpc_starter:
            grpc_servers.append(grpc_starter())

    def worker_exit(server, worker):
        for grpc_server in grpc_servers:
            grpc_server.stop(grace=5).wait()

    def child_exit(server, worker):
        observer().process_exited(worker.pid)  # its live gauges leave the metrics directory

    GunicornServer(application, {
        "bind": [http], "workers": workers, "worker_class": "gthread", "threads": threads,
        "keepalive": 75,  # seconds an idle client connection stays open: callers reuse it
        "graceful_timeout": 10, "timeout": 60, "proc_name": name,
        "post_worker_init": post_worker_init, "worker_exit": worker_exit, "child_exit": child_exit,
        "accesslog": None, "loglevel": "info", "control_socket_disable": True,
    }).run()


def run_grpc_only(grpc_starter):
    """Serve gRPC alone in this process until SIGTERM or Ctrl-C."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    server = grpc_starter()
    stop.wait()
    logger.warning("stopping gRPC")
    server.stop(grace=5).wait()
