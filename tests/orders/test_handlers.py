"""Orders' subscribers: a choreographed checkout's event wakes its next step even when it outruns the step's end."""
from datetime import timedelta

import pytest
from django.utils import timezone

from orders.api import get_orders_api
from orders.models import CheckoutSaga, Order
from outbox.delivery import deliver_batch
from outbox.models import Delivery
from outbox.relay import claim, fan_out
from tests.conftest import priced

# Committed transactions: orders' handlers run the saga once their delivery commits.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.in_process_only]


def relayed(subscriber: str) -> list[int]:
    """The ids of `subscriber`'s deliveries that are due, leased as the relay leases them."""
    _, in_flight = fan_out(batch=100)
    return [delivery_id for delivery_id, name in in_flight + claim(batch=100) if name == subscriber]


def test_an_event_delivered_while_its_step_still_holds_the_saga_waits_instead_of_being_dropped(settings, catalog):
    # Two workers: one runs the reserve step; ItemsReserved commits and reaches the other before the first
    # lets the saga wait. Dropped, the charge would wait for the saga's lease (30 s) and beat's sweeper.
    settings.CHECKOUT_MODE = "choreographed"
    order = get_orders_api().place_order(customer_id=1, email="c@example.com", lines=[priced("MUG", 1)],
                                         payment_token="tok_visa", shipping_address="1 Road")
    deliver_batch("orders.resume_checkout", relayed("orders.resume_checkout"))
    assert Order.objects.get(pk=order.order_id).status == "reserved"
    CheckoutSaga.objects.filter(pk=order.order_id).update(waiting=False, deadline=timezone.now() + timedelta(minutes=1))

    [charge] = relayed("orders.charge_when_items_reserved")
    assert deliver_batch("orders.charge_when_items_reserved", [charge])["waiting"] == 1
    delivery = Delivery.objects.get(pk=charge)
    assert (delivery.status, delivery.attempts) == ("failed", 0)  # waiting spends no attempt

    CheckoutSaga.objects.filter(pk=order.order_id).update(waiting=True)  # the first worker lets it go
    Delivery.objects.filter(pk=charge).update(next_attempt_at=timezone.now())
    assert deliver_batch("orders.charge_when_items_reserved", relayed("orders.charge_when_items_reserved")) \
        ["handled"] == 1
    assert Order.objects.get(pk=order.order_id).status == "paid"
