"""Context servers for tests: `manage.py serve_context` processes on free loopback ports, ready when returned."""
from __future__ import annotations

import os
import signal
import sys
from contextlib import ExitStack, contextmanager

import grpc
import requests
from grpc_health.v1 import health_pb2, health_pb2_grpc

from common.net import free_port
from tests.processes import child_env, running, wait_for

CONTEXTS = ("inventory", "orders", "payments", "shipping", "reviews")


def _serving(rest: str, grpc_target: str) -> bool:
    try:
        requests.get(rest + "/internal/", timeout=1)  # any answer (404) means gunicorn is up
        with grpc.insecure_channel(grpc_target) as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=1)
        return reply.status == health_pb2.HealthCheckResponse.SERVING
    except (requests.RequestException, grpc.RpcError):
        return False


@contextmanager
def context_servers(*, profile: str = "embedded", contexts=CONTEXTS, **extra_env):
    """Run serve_context for each context; yields {context: {"rest": url, "grpc": host:port}}.

    The servers use this test run's database and call each other over `profile` (embedded: in-process).
    """
    targets = {c: {"rest": f"http://127.0.0.1:{free_port()}", "grpc": f"127.0.0.1:{free_port()}"} for c in CONTEXTS}
    env = child_env(BOUNDARIES_PROFILE=profile, **extra_env)
    for context, where in targets.items():
        env[f"{context.upper()}_REST_TARGET"] = where["rest"]
        env[f"{context.upper()}_GRPC_TARGET"] = where["grpc"]
    with ExitStack() as stack:
        processes = {}
        for context in contexts:
            where = targets[context]
            args = [sys.executable, "manage.py", "serve_context", context,
                    "--http", where["rest"].removeprefix("http://"), "--grpc", where["grpc"]]
            processes[context] = stack.enter_context(running(args, log_name=f"serve-{context}", env=env))
        for context in contexts:
            wait_for(lambda c=context: _serving(targets[c]["rest"], targets[c]["grpc"]) or _died(processes[c]),
                     timeout=60, message=f"serve_context {context}")
            assert processes[context].poll() is None, f"serve_context {context} died: see var/serve-{context}-{os.getpid()}.log"
        try:
            yield {c: targets[c] for c in contexts}
        finally:
            # Stop them all at once: each lingers ~2 s for the kept-alive connections clients still hold.
            for process in processes.values():
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)


def _died(process) -> bool:
    return process.poll() is not None


def remote_boundaries(servers: dict, transport: str, **options) -> dict:
    """BOUNDARIES sending every served context over `transport` to the servers `context_servers` started."""
    from django.conf import settings

    return {
        context: {"transport": transport, "target": where[transport], "timeout": 10.0,
                  "token": settings.INTERNAL_SERVICE_TOKENS[context], **options}
        for context, where in servers.items()
    }
