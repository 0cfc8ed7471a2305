"""Split, one context's server killed: its breaker opens, checkouts degrade as the README says (payment
pending, availability unknown), nothing is lost, and everything completes when it comes back. Bounded."""
import time

import pytest

from notifications.models import Notification
from payments.models import Payment
from tests.conftest import stock_of
from tests.processes import wait_for
from tests.topology.launch import OwnProcesses

# Bounded: readiness within 120 s, settling within 90 s, stopping within 40 s (more than pytest's 180 s default).
pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True), pytest.mark.timeout(420)]

ORDERS = 6  # more than the payments breaker's minimum number of calls (5)


def test_payments_dies_orders_wait_as_payment_pending_and_all_complete_when_it_returns(token, tmp_path):
    # The saga retries a charge at most every second, and an open breaker tries again after two.
    # Since the checkout retries through its sweeper (beat), beat runs production's schedule here.
    with OwnProcesses("split", tmp_path, CHECKOUT_SAGA_BACKOFF_MAX="1", BREAKER_WAIT_SECONDS="2",
                      DJANGO_SETTINGS_MODULE="tests.topology.settings") as shop:
        shop.start()
        shop.kill("payments")
        responses = [shop.store.place_order(token, sku="MUG", quantity=1) for _ in range(ORDERS)]
        assert [r.status_code for r in responses] == [202] * ORDERS, [r.content for r in responses]
        order_ids = [r.json()["order_id"] for r in responses]
        assert {r.json()["status"] for r in responses} == {"payment_pending"}
        assert "circuit breaker payments: closed -> open" in shop.log("orders")
        time.sleep(3)  # the saga keeps trying a dead payments: the orders wait, their stock held
        assert {shop.store.order(token, i)["status"] for i in order_ids} == {"payment_pending"}
        assert stock_of("MUG") == (10 - ORDERS, ORDERS, 0)

        shop.start("payments")
        wait_for(lambda: {shop.store.status_when_answered(token, i) for i in order_ids} == {"confirmed"},
                 timeout=90, interval=0.5, message="every waiting order to be charged and confirmed")
        assert {shop.store.order(token, i)["status"] for i in order_ids} == {"confirmed"}
        wait_for(lambda: Notification.objects.filter(order_id__in=order_ids, kind="order_confirmation",
                                                     status="sent").count() == ORDERS,
                 timeout=60, interval=0.5, message="one confirmation email per order")
    for order_id in order_ids:
        assert list(Payment.objects.filter(order_id=order_id).values_list("status", flat=True)) == ["charged"]
    assert stock_of("MUG") == (10 - ORDERS, ORDERS, 0)  # held for the shipments, none lost, none twice


def test_inventory_dies_availability_is_unknown_until_it_returns(token, tmp_path):
    with OwnProcesses("split", tmp_path, BREAKER_WAIT_SECONDS="2") as shop:
        shop.start("inventory", "web")  # the catalog asks inventory over gRPC
        assert shop.store.availability("MUG") == 10
        shop.kill("inventory")
        # More calls than the breaker's minimum: every page answers, with availability unknown (null).
        assert [shop.store.availability("MUG") for _ in range(12)] == [None] * 12
        assert "circuit breaker inventory: closed -> open" in shop.log("web")
        shop.start("inventory")
        wait_for(lambda: shop.store.availability("MUG") == 10, timeout=30, interval=0.5,
                 message="availability to come back with inventory")
