"""serve_context as a process: says where it listens, keeps HTTP connections alive, serves gRPC health and
reflection, and stops cleanly on SIGTERM and on Ctrl-C."""
import http.client
import os
import signal
import sys

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from tests.processes import ROOT, running, wait_for
from tests.servers import free_port

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_serve_context_serves_both_and_stops_cleanly(stop_signal):
    http_port, grpc_port = free_port(), free_port()
    args = [sys.executable, "manage.py", "serve_context", "shipping",
            "--http", f"127.0.0.1:{http_port}", "--grpc", f"127.0.0.1:{grpc_port}"]
    log = ROOT / "var" / f"serve-lifecycle-{os.getpid()}.log"
    with running(args, log_name="serve-lifecycle") as process:
        wait_for(lambda: "gRPC listening on" in log.read_text(), timeout=30, message="serve_context to start")
        text = log.read_text()
        assert f"Listening at: http://127.0.0.1:{http_port}" in text
        assert f"shipping: gRPC listening on 127.0.0.1:{grpc_port}" in text

        connection = http.client.HTTPConnection("127.0.0.1", http_port, timeout=5)
        for _ in range(2):  # two requests, one connection: gthread keeps it alive
            connection.request("GET", "/internal/shipping/shipments/x/cancel/")
            response = connection.getresponse()
            response.read()
            assert response.status == 401 and response.getheader("Connection", "keep-alive") != "close"
        first_socket = connection.sock
        connection.request("GET", "/internal/nothing/")
        assert connection.getresponse().status == 404 and connection.sock is first_socket

        with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
            health = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service="shipping.v1.ShippingService"), timeout=5)
            assert health.status == health_pb2.HealthCheckResponse.SERVING
            answers = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
                iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5)
            services = {s.name for s in next(answers).list_services_response.service}
            assert "shipping.v1.ShippingService" in services

        os.killpg(process.pid, stop_signal)
        assert process.wait(timeout=20) == 0
