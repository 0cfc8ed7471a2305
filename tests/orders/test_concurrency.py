"""Concurrent orders for scarce stock on PostgreSQL: exactly as many succeed as there are units."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from inventory.api import StockLine, get_inventory_api
from orders.api import get_orders_api
from payments.models import Payment
from tests.conftest import on_postgres, priced, stock_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgres_only(db):
    if not on_postgres():
        pytest.skip("row-level concurrency needs PostgreSQL; SQLite serialises every writer")


def run_concurrently(count, work):
    barrier = threading.Barrier(count)

    def one(i):
        try:
            barrier.wait(timeout=10)
            return work(i)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def test_twenty_concurrent_orders_for_the_last_five_units(catalog):
    # TEE has 5 units: 20 customers race for one each.
    results = run_concurrently(
        20,
        lambda i: get_orders_api().place_order(
            customer_id=i, email=f"c{i}@example.com", lines=[priced("TEE", 1)], payment_token="tok_visa",
            shipping_address="",
        ),
    )
    statuses = sorted(order.status for order in results)
    assert statuses.count("confirmed") == 5
    assert statuses.count("cancelled") == 15
    assert all(o.cancel_code == "out_of_stock" for o in results if o.status == "cancelled")
    assert stock_of("TEE") == (0, 5, 0)
    assert Payment.objects.filter(status="charged").count() == 5


def test_concurrent_reservations_never_drive_stock_negative(catalog):
    import uuid

    def reserve(i):
        try:
            get_inventory_api().reserve_items(order_id=str(uuid.uuid4()), lines=[StockLine("MUG", 3)])
            return True
        except Exception:
            return False

    results = run_concurrently(12, reserve)
    assert results.count(True) == 3  # 10 units / 3 each
    on_hand, reserved, _ = stock_of("MUG")
    assert (on_hand, reserved) == (1, 9)
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(on_hand) FROM inventory_stockitem")
        assert cursor.fetchone()[0] >= 0


def test_the_same_order_reserved_concurrently_is_reserved_once(catalog):
    order_id = "0b8c6f59-1e0b-4b8e-a9f3-8c3a3f7e4d21"
    results = run_concurrently(
        8, lambda i: get_inventory_api().reserve_items(order_id=order_id, lines=[StockLine("MUG", 2)])
    )
    assert len({r.reservation_id for r in results}) == 1
    assert stock_of("MUG") == (8, 2, 0)
