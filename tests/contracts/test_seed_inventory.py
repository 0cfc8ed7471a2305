"""A client built only from the seed's InventoryService proto (tests/contracts/seed/) works against serve_context inventory."""
import subprocess
import sys
import uuid
from pathlib import Path

import grpc
import pytest
from django.conf import settings
from google.protobuf import descriptor_pb2, descriptor_pool, empty_pb2, message_factory

from common.transports.auth import METADATA_KEY, bearer
from inventory.api import OutOfStock, StockLine, get_inventory_api
from tests.conftest import stock_of
from tests.servers import remote_boundaries

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]
SEED = Path(__file__).parent / "seed"


@pytest.fixture(scope="module")
def seed_messages(tmp_path_factory):
    """The seed's messages, compiled now into a pool of their own (nothing of the project's code is used)."""
    out = tmp_path_factory.mktemp("seed") / "seed.pb"
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{SEED}", f"--descriptor_set_out={out}",
                    "--include_imports", "inventory.proto"], check=True, capture_output=True, timeout=60)
    files = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:
        pool.Add(file)
    return {name: message_factory.GetMessageClass(pool.FindMessageTypeByName(name))
            for name in ("ReservationRequest", "LineItem", "ReservationResponse", "ReleaseRequest")}


@pytest.fixture
def seed_client(context_servers, seed_messages):
    """Call /InventoryService/<method> as the seed's generated stub would, with the service token."""
    target = context_servers["inventory"]["grpc"]
    metadata = ((METADATA_KEY, bearer(settings.INTERNAL_SERVICE_TOKENS["inventory"])),)
    channel = grpc.insecure_channel(target)

    def call(method, request, response_class):
        rpc = channel.unary_unary(f"/InventoryService/{method}", request_serializer=type(request).SerializeToString,
                                  response_deserializer=response_class.FromString)
        return rpc(request, metadata=metadata, timeout=10)

    call.messages = seed_messages
    yield call
    channel.close()


def reserve(client, order_id, *lines):
    m = client.messages
    items = [m["LineItem"](product_id=sku, quantity=quantity) for sku, quantity in lines]
    return client("ReserveItems", m["ReservationRequest"](order_id=order_id, items=items), m["ReservationResponse"])


def test_reserve_then_release_by_the_reservation_id_it_returned(catalog, seed_client):
    answer = reserve(seed_client, str(uuid.uuid4()), ("MUG", 2), ("TEE", 1))
    assert (answer.success, answer.error_reason) == (True, "")
    assert stock_of("MUG") == (8, 2, 0)
    reply = seed_client("ReleaseItems", seed_client.messages["ReleaseRequest"](reservation_id=answer.reservation_id),
                        empty_pb2.Empty)
    assert reply == empty_pb2.Empty()
    assert stock_of("MUG") == (10, 0, 0)


@pytest.mark.parametrize(("lines", "reason"), [
    ((("LAST", 2),), "out_of_stock: only 1 of 'LAST' available"),
    ((("NOPE", 1),), "unknown_sku: no stock is kept for sku 'NOPE'"),
    ((("MUG", 0),), "validation_failed: quantity must be positive"),
])
def test_a_business_refusal_is_ok_with_success_false_and_the_reason(catalog, seed_client, lines, reason):
    answer = reserve(seed_client, str(uuid.uuid4()), *lines)
    assert (answer.success, answer.reservation_id, answer.error_reason) == (False, "", reason)
    assert stock_of("MUG") == (10, 0, 0) and stock_of("LAST") == (1, 0, 0)


def test_releasing_an_id_that_names_nothing_is_an_error(catalog, seed_client):
    release = seed_client.messages["ReleaseRequest"]
    for reservation_id in (str(uuid.uuid4()), "not-an-id"):
        with pytest.raises(grpc.RpcError) as raised:
            seed_client("ReleaseItems", release(reservation_id=reservation_id), empty_pb2.Empty)
        assert raised.value.code() == grpc.StatusCode.NOT_FOUND


def test_the_projects_own_grpc_client_still_raises_the_domain_error(catalog, context_servers, settings):
    settings.BOUNDARIES = {**settings.BOUNDARIES, **remote_boundaries(context_servers, "grpc")}
    with pytest.raises(OutOfStock):
        get_inventory_api().reserve_items(order_id=str(uuid.uuid4()), lines=[StockLine("LAST", 2)])
