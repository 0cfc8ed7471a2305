"""Integers crossing an edge are bounded before the database; gRPC error trailers stay under the metadata limit."""
import grpc
import pytest
import requests

from common.errors import ValidationFailed
from inventory.api import StockLine, UnknownSku, get_inventory_api
from inventory.transports.grpc import inventory_pb2, inventory_pb2_grpc
from tests.conftest import stock_of
from tests.servers import remote_boundaries

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]
HUGE = [2**63 - 1, 2**31, 10**7]


@pytest.fixture(params=["rest", "grpc"])
def remote_inventory(request, context_servers, settings, catalog):
    settings.BOUNDARIES = {**settings.BOUNDARIES, **remote_boundaries(context_servers, request.param)}
    return get_inventory_api()


@pytest.mark.parametrize("quantity", HUGE)
def test_restocking_an_absurd_quantity_is_refused_and_changes_nothing(remote_inventory, quantity):
    with pytest.raises(ValidationFailed):
        remote_inventory.restock(sku="MUG", quantity=quantity, reason="probe")
    assert stock_of("MUG") == (10, 0, 0)
    assert remote_inventory.restock(sku="MUG", quantity=1, reason="still works").available == 11


def test_stock_of_a_sku_is_capped_below_the_column_limit(remote_inventory):
    for _ in range(3):
        try:
            remote_inventory.restock(sku="MUG", quantity=1_000_000, reason="big delivery")
        except ValidationFailed:
            break
    assert stock_of("MUG")[0] <= 1_000_000_000


@pytest.mark.parametrize("quantity", [2**31 - 1, -(2**31), 2**31, 2**63])  # the seed's LineItem.quantity is an int32
def test_reserving_an_absurd_quantity_is_refused(remote_inventory, quantity):
    with pytest.raises(ValidationFailed):
        remote_inventory.reserve_items(order_id="0b8c6f59-1e0b-4b8e-a9f3-8c3a3f7e4d21", lines=[StockLine("MUG", quantity)])
    assert stock_of("MUG") == (10, 0, 0)


@pytest.mark.parametrize("body", [b'{"quantity": 1e29, "reason": "x"}', b'{"quantity": 99999999999999999999999, "reason": "x"}',
                                  b'{"quantity": 9223372036854775807, "reason": "x"}'], ids=["float", "past-int64", "int64-max"])
def test_internal_rest_refuses_unbounded_numbers_with_a_400(context_servers, settings, catalog, body):
    response = requests.post(context_servers["inventory"]["rest"] + "/internal/inventory/stock/MUG/restock/", data=body,
                             headers={"Authorization": f"Bearer {settings.INTERNAL_SERVICE_TOKENS['inventory']}",
                                      "Content-Type": "application/json"}, timeout=5)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_failed"
    assert stock_of("MUG") == (10, 0, 0)


@pytest.mark.parametrize("query", ["offset=9223372036854775808", "limit=-1", "offset=99999999999", "limit=1e29"])
def test_internal_order_listing_bounds_limit_and_offset(context_servers, settings, query):
    response = requests.get(context_servers["orders"]["rest"] + f"/internal/orders/orders/?customer_id=1&{query}&limit=5"
                            if "limit" not in query else context_servers["orders"]["rest"] + f"/internal/orders/orders/?offset=0&{query}",
                            headers={"Authorization": f"Bearer {settings.INTERNAL_SERVICE_TOKENS['orders']}"}, timeout=5)
    assert response.status_code == 400, response.text


@pytest.mark.parametrize("transport", ["rest", "grpc"])
def test_integers_past_64_bits_are_a_validation_error_on_every_wire(context_servers, settings, transport):
    # gRPC's int64 fields cannot even hold them: the client refuses them as the other transports do.
    from orders.api import get_orders_api
    from reviews.api import get_reviews_api

    settings.BOUNDARIES = {**settings.BOUNDARIES, **remote_boundaries(context_servers, transport)}
    with pytest.raises(ValidationFailed):
        get_orders_api().list_orders(customer_id=2**64, limit=5, offset=0)
    with pytest.raises(ValidationFailed):
        get_reviews_api().post_review(sku="MUG", customer_id=1, rating=2**64, text="probe")


def test_a_long_sku_over_grpc_is_the_domain_error_not_resource_exhausted(context_servers, settings, catalog):
    long_sku = "S" * 6000  # echoed twice (message and details) it would pass gRPC's 8 KiB metadata limit
    order_id = "0b8c6f59-1e0b-4b8e-a9f3-8c3a3f7e4d21"
    with grpc.insecure_channel(context_servers["inventory"]["grpc"]) as channel:
        stub = inventory_pb2_grpc.InventoryServiceStub(channel)
        try:
            stub.ReserveItems(inventory_pb2.ReservationRequest(
                order_id=order_id, items=[inventory_pb2.LineItem(product_id=long_sku, quantity=1)]), timeout=5,
                metadata=(("authorization", f"Bearer {settings.INTERNAL_SERVICE_TOKENS['inventory']}"),))
        except grpc.RpcError as refused:
            assert refused.code() != grpc.StatusCode.RESOURCE_EXHAUSTED, refused
    settings.BOUNDARIES = {**settings.BOUNDARIES, **remote_boundaries(context_servers, "grpc")}
    with pytest.raises(UnknownSku) as raised:
        get_inventory_api().reserve_items(order_id=order_id, lines=[StockLine(long_sku, 1)])
    assert len(raised.value.message) <= 300


def test_restocking_a_sku_longer_than_its_column_is_a_validation_error(remote_inventory):
    with pytest.raises(ValidationFailed):
        remote_inventory.restock(sku="S" * 65, quantity=1, reason="probe")
