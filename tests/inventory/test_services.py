"""Inventory's services on the real database: reserve all or nothing, once per order; release and sell once."""
import uuid

import pytest

from inventory.api import OutOfStock, StockLine
from inventory.services import stock_commit, stock_release, stock_reserve
from outbox.models import OutboxEvent
from tests.conftest import stock_of

pytestmark = pytest.mark.django_db


def events(order_id) -> list[str]:
    return list(OutboxEvent.objects.filter(aggregate_id=str(order_id)).order_by("id").values_list("name", flat=True))


def test_a_reservation_announces_every_sku_it_leaves_below_its_threshold_and_no_other(catalog, settings):
    from inventory.models import StockItem

    settings.STOCK_LOW_THRESHOLD = 5
    StockItem.objects.filter(sku="LAST").update(low_stock_threshold=0)  # its own threshold wins over the setting
    stock_reserve(order_id=str(uuid.uuid4()), lines=[StockLine("MUG", 5), StockLine("TEE", 1), StockLine("LAST", 1)])
    low = OutboxEvent.objects.filter(name="inventory.StockLow")
    assert [event.payload for event in low] == [{"sku": "TEE", "available": 4, "threshold": 5}]  # MUG: 5 left, not low
    assert (stock_of("MUG"), stock_of("TEE"), stock_of("LAST")) == ((5, 5, 0), (4, 1, 0), (0, 1, 0))


def test_reserving_twice_for_one_order_reserves_once(catalog):
    order_id = str(uuid.uuid4())
    first = stock_reserve(order_id=order_id, lines=[StockLine("MUG", 2), StockLine("MUG", 1)])  # merged: 3 MUG
    again = stock_reserve(order_id=order_id, lines=[StockLine("MUG", 3)])
    assert again.pk == first.pk
    assert stock_of("MUG") == (7, 3, 0)
    assert events(order_id) == ["inventory.ItemsReserved"]


def test_a_reservation_takes_every_line_or_none(catalog):
    order_id = str(uuid.uuid4())
    with pytest.raises(OutOfStock) as refused:
        stock_reserve(order_id=order_id, lines=[StockLine("MUG", 2), StockLine("LAST", 2)])
    assert refused.value.details == {"sku": "LAST", "requested": 2, "available": 1}
    assert (stock_of("MUG"), stock_of("LAST")) == ((10, 0, 0), (1, 0, 0))
    assert events(order_id) == []


def test_released_stock_returns_once_and_a_released_order_sells_nothing(catalog):
    order_id = str(uuid.uuid4())
    stock_reserve(order_id=order_id, lines=[StockLine("TEE", 2)])
    stock_release(order_id=order_id)
    stock_release(order_id=order_id)
    assert stock_commit(order_id=order_id).status == "released"
    assert stock_of("TEE") == (5, 0, 0)
    assert events(order_id) == ["inventory.ItemsReserved", "inventory.ItemsReleased"]


def test_sold_stock_moves_from_reserved_to_sold_once(catalog):
    order_id = str(uuid.uuid4())
    stock_reserve(order_id=order_id, lines=[StockLine("TEE", 2)])
    stock_commit(order_id=order_id)
    stock_commit(order_id=order_id)
    assert stock_of("TEE") == (3, 0, 2)
    assert stock_release(order_id=order_id).status == "committed"  # sold stock never comes back by a release
    assert stock_of("TEE") == (3, 0, 2)
