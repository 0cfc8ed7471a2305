"""/metrics for the processes that serve no HTTP of their own (worker, relay, beat): a small loopback server.

Started by observability's AppConfig when `METRICS["PORT"]` is set (METRICS_PORT) in such a process. It answers
only the scrape token (`Authorization: Bearer ...`; no sessions here), in the API's JSON error shape otherwise,
with the same exposition as the web's /metrics (every process's samples in multiprocess mode).
"""
from __future__ import annotations

import hmac
import json
import logging
import threading
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.conf import settings
from django.db import connections
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from common.errors import error_json

logger = logging.getLogger(__name__)


class _Quiet(WSGIRequestHandler):
    def log_message(self, format, *args):  # a scrape every few seconds is not worth a log line
        pass


def metrics_app(environ, start_response):
    """The WSGI app: the exposition for the scrape token, 401/403/404/405 in the JSON error shape otherwise."""
    token = settings.METRICS["SCRAPE_TOKEN"]
    scheme, _, presented = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    if environ.get("PATH_INFO") != "/metrics":
        return _refused(start_response, "404 Not Found", "not_found", "Only /metrics is served here.")
    if not scheme:
        return _refused(start_response, "401 Unauthorized", "not_authenticated", "Send the scrape token as a "
                        "Bearer token.")
    if scheme.lower() != "bearer" or not token or not hmac.compare_digest(presented.strip().encode(), token.encode()):
        return _refused(start_response, "403 Forbidden", "permission_denied", "This scrape token is not accepted.")
    if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        return _refused(start_response, "405 Method Not Allowed", "method_not_allowed", "Only GET.")
    from .scrape import exposition

    try:
        body = exposition()
    finally:
        connections.close_all()  # this thread's own connections: a scrape holds none between scrapes
    start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST), ("Content-Length", str(len(body)))])
    return [body]


def _refused(start_response, status: str, code: str, detail: str):
    body = json.dumps(error_json(code=code, detail=detail, correlation_id="")).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    if status.startswith("401"):
        headers.append(("WWW-Authenticate", 'Bearer realm="metrics"'))
    start_response(status, headers)
    return [body]


def serve_metrics(port: int, host: str = "127.0.0.1") -> WSGIServer:
    """Serve /metrics on host:port from a daemon thread (it ends with the process)."""
    server = make_server(host, port, metrics_app, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, name="metrics-exporter", daemon=True).start()
    logger.info("metrics on http://%s:%s/metrics (scrape token required)", host, port)
    return server
