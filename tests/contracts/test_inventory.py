"""The InventoryApi contract, identical over local, REST and gRPC."""
import uuid

import pytest

from common.errors import ValidationFailed
from inventory.api import (
    Availability, OutOfStock, ReservationClosed, ReservationNotFound, StockLine, UnknownSku, get_inventory_api,
)
from inventory.transports.local import LocalInventoryApi
from tests.conftest import stock_of

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]


def new_order_id() -> str:
    return str(uuid.uuid4())


def test_reserve_merges_lines_holds_stock_and_is_idempotent(catalog, transport):
    order_id = new_order_id()
    lines = [StockLine("TEE", 1), StockLine("MUG", 2), StockLine("MUG", 1)]
    reservation = get_inventory_api().reserve_items(order_id=order_id, lines=lines)

    assert (reservation.order_id, reservation.status) == (order_id, "active")
    assert reservation.lines == (StockLine("MUG", 3), StockLine("TEE", 1))
    assert stock_of("MUG") == (7, 3, 0)
    assert get_inventory_api().reserve_items(order_id=order_id, lines=lines) == reservation
    assert LocalInventoryApi().reserve_items(order_id=order_id, lines=lines) == reservation  # no drift
    assert stock_of("MUG") == (7, 3, 0)


def test_out_of_stock_arrives_with_its_details_and_holds_nothing(catalog, transport):
    with pytest.raises(OutOfStock) as raised:
        get_inventory_api().reserve_items(order_id=new_order_id(), lines=[StockLine("MUG", 1), StockLine("LAST", 2)])
    assert raised.value.details == {"sku": "LAST", "requested": 2, "available": 1}
    assert raised.value.message == "only 1 of 'LAST' available"
    assert stock_of("MUG") == (10, 0, 0)


def test_unknown_sku_and_bad_input_are_validation_errors(catalog, transport):
    with pytest.raises(UnknownSku) as raised:
        get_inventory_api().reserve_items(order_id=new_order_id(), lines=[StockLine("NOPE", 1)])
    assert raised.value.details == {"sku": "NOPE"}
    with pytest.raises(ValidationFailed) as raised:
        get_inventory_api().reserve_items(order_id="not-a-uuid", lines=[StockLine("MUG", 1)])
    assert raised.value.details["field"] == "order_id"
    with pytest.raises(ValidationFailed):
        get_inventory_api().reserve_items(order_id=new_order_id(), lines=[StockLine("MUG", 0)])
    with pytest.raises(ValidationFailed):
        get_inventory_api().restock(sku="MUG", quantity=0, reason="none")


def test_release_returns_stock_and_closes_the_order(catalog, transport):
    inventory = get_inventory_api()
    order_id = new_order_id()
    inventory.reserve_items(order_id=order_id, lines=[StockLine("TEE", 2)])
    assert inventory.release_items(order_id=order_id) is None
    inventory.release_items(order_id=order_id)
    assert stock_of("TEE") == (5, 0, 0)
    with pytest.raises(ReservationClosed):
        inventory.reserve_items(order_id=order_id, lines=[StockLine("TEE", 1)])


def test_keep_reservation_keeps_a_paid_orders_stock_and_refuses_a_released_one(catalog, transport):
    from inventory.models import Reservation

    inventory = get_inventory_api()
    kept, released = new_order_id(), new_order_id()
    for order_id in (kept, released):
        inventory.reserve_items(order_id=order_id, lines=[StockLine("MUG", 1)])
    assert inventory.keep_reservation(order_id=kept) is None
    inventory.keep_reservation(order_id=kept)  # idempotent
    assert Reservation.objects.get(order_id=kept).held_until is None  # no hold time: kept until it ships
    inventory.release_items(order_id=released)
    with pytest.raises(ReservationClosed):
        inventory.keep_reservation(order_id=released)
    with pytest.raises(ReservationNotFound):
        inventory.keep_reservation(order_id=new_order_id())
    assert stock_of("MUG") == (9, 1, 0)


def test_availability_and_restock(catalog, transport):
    inventory = get_inventory_api()
    assert inventory.get_availability(skus=["TEE", "NOPE", "MUG"]) == [
        Availability("MUG", 10, 0), Availability("TEE", 5, 0)
    ]
    assert inventory.get_availability(skus=[]) == []
    assert inventory.restock(sku="LAST", quantity=4, reason="delivery") == Availability("LAST", 5, 0)
