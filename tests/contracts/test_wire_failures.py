"""What crosses the wire besides answers: every domain error intact, refused credentials, and transport
failures (refused, timeout, deadline, 5xx) as the BoundaryUnavailable family, for REST and gRPC alike."""
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
import pytest
import requests
from django.urls import include, path

from common import deadlines
from common.errors import (
    BoundaryConnectionFailed,
    BoundaryServerError,
    BoundaryTimeout,
    BoundaryUnauthenticated,
    BoundaryUnavailable,
    DomainError,
)
from common.transports.grpc import build_server
from common.transports.rest import internal_urlpatterns
from common.transports.status import GRPC_CODES, grpc_code
from inventory.api import InventoryApi, StockLine
from inventory.transports.grpc import inventory_pb2, inventory_pb2_grpc
from inventory.transports.grpc.client import GrpcInventoryApi
from inventory.transports.grpc.servicer import InventoryServicer
from inventory.transports.rest import OPERATIONS, RestInventoryApi
from tests.conftest import stock_of
from tests.servers import free_port

import orders.api, payments.api, shipping.api, shop.idempotency  # noqa: E401,F401  (register their errors)

TOKEN = "dev-inventory-service-token"
ORDER_ID = "0b8c6f59-1e0b-4b8e-a9f3-8c3a3f7e4d21"
EVERY_DOMAIN_ERROR = DomainError.every_class()


class RaisingInventory:
    """An inventory whose reserve_items raises the domain error named by the order id."""

    def reserve_items(self, *, order_id, lines):
        error_class = DomainError.for_code(order_id) or DomainError
        raise error_class(f"{order_id} happened", sku="MUG", requested=2, note="déjà vu")

    def release_items(self, *, order_id):
        """Tells, as an error, how much of the caller's deadline the server side was given."""
        raise DomainError("deadline", remaining=deadlines.remaining())


urlpatterns = [path("internal/inventory/", include(internal_urlpatterns("inventory", InventoryApi, RaisingInventory(), OPERATIONS)))]


@pytest.fixture
def raising_rest(live_server, settings):
    settings.ROOT_URLCONF = __name__
    return RestInventoryApi(target=live_server.url, token=TOKEN, timeout=5)


@pytest.fixture
def raising_grpc():
    class Servicer(InventoryServicer):
        api = RaisingInventory()

    def register(server):
        inventory_pb2_grpc.add_InventoryServiceServicer_to_server(Servicer(), server)
        return ["inventory.v1.InventoryService"]

    server, port = build_server("inventory", "127.0.0.1:0", register)
    yield GrpcInventoryApi(target=f"127.0.0.1:{port}", token=TOKEN, timeout=5)
    server.stop(grace=None)


@pytest.mark.parametrize("error_class", EVERY_DOMAIN_ERROR, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("client", ["raising_rest", "raising_grpc"])
def test_every_domain_error_arrives_as_itself_with_its_details(request, client, error_class):
    api = request.getfixturevalue(client)
    with pytest.raises(DomainError) as raised:
        api.reserve_items(order_id=error_class.code, lines=[StockLine("MUG", 2)])
    assert type(raised.value) is error_class
    assert raised.value.message == f"{error_class.code} happened"
    assert raised.value.details == {"sku": "MUG", "requested": 2, "note": "déjà vu"}


@pytest.mark.parametrize("error_class", EVERY_DOMAIN_ERROR, ids=lambda cls: cls.__name__)
def test_on_the_wire_a_domain_error_is_its_http_status_and_grpc_code(live_server, raising_rest, raising_grpc, error_class):
    response = requests.post(
        live_server.url + "/internal/inventory/reservations/",
        json={"order_id": error_class.code, "lines": [{"sku": "MUG", "quantity": 2}]},
        headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5,
    )
    assert response.status_code == error_class.http_status
    assert response.headers["X-Domain-Error"] == error_class.code
    assert response.json()["code"] == error_class.code

    with pytest.raises(DomainError) as raised:
        raising_grpc.reserve_items(order_id=error_class.code, lines=[StockLine("MUG", 2)])
    rpc_error = raised.value.__cause__
    assert isinstance(rpc_error, grpc.RpcError) and rpc_error.code() == grpc_code(raised.value)
    assert rpc_error.code() == GRPC_CODES.get(error_class.http_status, grpc.StatusCode.FAILED_PRECONDITION)


@pytest.mark.parametrize("client", ["raising_rest", "raising_grpc"])
def test_the_server_side_runs_within_the_callers_deadline(request, client):
    api = request.getfixturevalue(client)  # configured timeout: 5 s
    with deadlines.deadline_scope(1.0), pytest.raises(DomainError) as raised:
        api.release_items(order_id=ORDER_ID)
    # gRPC rounds the deadline it carries up by a few milliseconds; it never grows by more.
    assert 0.5 < raised.value.details["remaining"] <= 1.05


@pytest.mark.processes
@pytest.mark.django_db(transaction=True)
def test_a_wrong_token_is_refused_and_nothing_is_done(catalog, context_servers):
    where = context_servers["inventory"]
    for api in (RestInventoryApi(target=where["rest"], token="wrong"), GrpcInventoryApi(target=where["grpc"], token="wrong")):
        with pytest.raises(BoundaryUnauthenticated):
            api.reserve_items(order_id=ORDER_ID, lines=[StockLine("MUG", 2)])
    assert stock_of("MUG") == (10, 0, 0)

    response = requests.post(where["rest"] + "/internal/inventory/reservations/", timeout=5,
                             json={"order_id": ORDER_ID, "lines": [{"sku": "MUG", "quantity": 2}]})
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    with grpc.insecure_channel(where["grpc"]) as channel, pytest.raises(grpc.RpcError) as raised:
        inventory_pb2_grpc.InventoryServiceStub(channel).ReserveItems(
            inventory_pb2.ReservationRequest(order_id=ORDER_ID, items=[inventory_pb2.LineItem(product_id="MUG", quantity=2)]),
            timeout=5,
        )
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert stock_of("MUG") == (10, 0, 0)


@pytest.fixture
def blackhole():
    """A TCP server that accepts connections, records what arrives, and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    received, connections = [], []

    def serve():
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            connections.append(connection)
            connection.settimeout(0.2)
            try:
                received.append(connection.recv(65536))
            except OSError:
                pass

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1], received
    listener.close()
    for connection in connections:
        connection.close()


def clients(target_port, **config):
    return [
        RestInventoryApi(target=f"http://127.0.0.1:{target_port}", token=TOKEN, **config),
        GrpcInventoryApi(target=f"127.0.0.1:{target_port}", token=TOKEN, **config),
    ]


@pytest.mark.parametrize("which", [0, 1], ids=["rest", "grpc"])
def test_a_silent_server_times_out_within_the_timeout(blackhole, which):
    port, _ = blackhole
    api = clients(port, timeout=0.3)[which]
    started = time.monotonic()
    with pytest.raises(BoundaryTimeout):
        api.get_availability(skus=["MUG"])
    assert 0.25 < time.monotonic() - started < 1.3  # the timeout, plus slack for a busy CI machine


@pytest.mark.parametrize("which", [0, 1], ids=["rest", "grpc"])
def test_the_callers_deadline_cuts_the_timeout_and_is_sent_on(blackhole, which):
    port, received = blackhole
    api = clients(port, timeout=5)[which]
    started = time.monotonic()
    with deadlines.deadline_scope(0.3), pytest.raises(BoundaryTimeout):
        api.get_availability(skus=["MUG"])
    assert time.monotonic() - started < 1.3
    if which == 0:
        header = [line for line in received[0].split(b"\r\n") if line.lower().startswith(b"x-request-deadline-ms")]
        assert 200 <= int(header[0].split(b":")[1]) <= 300
    with deadlines.deadline_scope(0), pytest.raises(BoundaryTimeout):  # spent: no call is made at all
        api.get_availability(skus=["MUG"])


@pytest.mark.parametrize("which", [0, 1], ids=["rest", "grpc"])
def test_nobody_listening_is_a_connection_failure(which):
    api = clients(free_port(), timeout=2)[which]
    with pytest.raises(BoundaryConnectionFailed):
        api.get_availability(skus=["MUG"])


@pytest.mark.parametrize("status,family", [(500, BoundaryServerError), (503, BoundaryConnectionFailed),
                                           (404, BoundaryServerError), (200, BoundaryServerError)])
def test_http_failures_without_a_domain_error_are_boundary_failures(status, family):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(status)
            self.send_header("Content-Length", "7")
            self.end_headers()
            self.wfile.write(b"garbage")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(family) as raised:
            clients(server.server_address[1], timeout=2)[0].get_availability(skus=["MUG"])
        assert isinstance(raised.value, BoundaryUnavailable)
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.processes
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("body", [b"[1, 2]", b"{not json", b'{"order_id": "x"}', b'{"order_id": 1, "lines": []}'],
                         ids=["array", "malformed", "missing-field", "wrong-type"])
def test_a_bad_body_is_a_validation_error_not_a_crash(context_servers, body):
    response = requests.post(context_servers["inventory"]["rest"] + "/internal/inventory/reservations/", data=body,
                             headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}, timeout=5)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_failed"
