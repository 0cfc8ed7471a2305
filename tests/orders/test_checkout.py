"""The in-process checkout: happy path and every failure path leave stock, payments and orders consistent."""
import pytest
from django.core import mail

from common.errors import ValidationFailed
from inventory.api import get_inventory_api
from orders.api import OrderNotCancellable, get_orders_api
from outbox.models import OutboxEvent
from payments.models import Payment
from shipping.models import Shipment
from tests.conftest import deliver_outbox, priced, stock_of
from tests.helpers import place

pytestmark = pytest.mark.django_db


def test_happy_path_reserves_charges_ships_and_confirms(catalog):
    order = place(priced("MUG", 2), priced("TEE", 1))
    assert mail.outbox == []  # the confirmation waits in the outbox for the relay
    deliver_outbox()

    assert order.status == "confirmed"
    assert str(order.total.amount) == "49.00"
    assert stock_of("MUG") == (8, 2, 0)
    assert stock_of("TEE") == (4, 1, 0)
    payment = Payment.objects.get(order_id=order.order_id)
    assert (payment.status, payment.amount) == ("charged", order.total.amount)
    assert Shipment.objects.get(order_id=order.order_id).status == "scheduled"
    confirmations = [m for m in mail.outbox if m.subject.startswith("Your order")]
    assert [m.subject for m in confirmations] == [f"Your order {order.order_id[:8]} is confirmed"]
    assert "49.00 EUR" in confirmations[0].body
    assert [m.subject for m in mail.outbox if m.subject.startswith("Stock low")] == ["Stock low: TEE"]  # 4 < 5
    names = list(OutboxEvent.objects.filter(aggregate_id=order.order_id).values_list("name", flat=True))
    assert names == [
        "orders.OrderPlaced", "inventory.ItemsReserved", "payments.PaymentProcessed",
        "shipping.ShipmentScheduled", "orders.OrderConfirmed", "notifications.SendOrderConfirmation",
        "payments.InvoiceCreated",
    ]


def test_out_of_stock_cancels_and_changes_no_stock_or_payment(catalog):
    order = place(priced("MUG", 1), priced("LAST", 2))

    assert order.status == "cancelled"
    assert order.cancel_code == "out_of_stock"
    assert "LAST" in order.cancel_reason
    assert stock_of("MUG") == (10, 0, 0)  # the MUG line was rolled back with the LAST line
    assert stock_of("LAST") == (1, 0, 0)
    assert not Payment.objects.exists()
    assert not Shipment.objects.exists()


def test_declined_card_releases_stock_and_charges_nothing(catalog):
    order = place(priced("TEE", 2), token="tok_declined")

    assert (order.status, order.cancel_code) == ("cancelled", "payment_declined")
    assert order.cancel_reason == "payment declined: card_declined"
    assert stock_of("TEE") == (5, 0, 0)
    # The decline is on record, and the compensation voided the order so no late charge can land.
    assert sorted(Payment.objects.values_list("status", flat=True)) == ["declined", "voided"]
    assert not Shipment.objects.exists()


def test_amount_over_the_provider_limit_is_declined(catalog):
    get_inventory_api().restock(sku="MUG", quantity=500, reason="test")
    order = place(priced("MUG", 401))  # 5012.50, over the provider's 5000.00 limit
    assert (order.status, order.cancel_code) == ("cancelled", "payment_declined")
    assert stock_of("MUG") == (510, 0, 0)


def test_payment_provider_failure_cancels_and_releases(catalog, checkout_here, settings):
    # The provider is payments' own: with payments in this process too, its failure is this process's setting
    # (PaymentProviderUnavailable crosses every transport as itself: tests/contracts).
    settings.BOUNDARIES = {**settings.BOUNDARIES, "payments": {"transport": "local"}}
    settings.PAYMENT_PROVIDER = {**settings.PAYMENT_PROVIDER, "failure_rate": 1.0}
    order = place(priced("MUG", 3))
    assert (order.status, order.cancel_code) == ("cancelled", "payment_provider_unavailable")
    assert stock_of("MUG") == (10, 0, 0)
    assert list(Payment.objects.values_list("status", flat=True)) == ["voided"]


def test_customer_cancel_refunds_and_returns_stock(catalog):
    order = place(priced("MUG", 4))
    cancelled = get_orders_api().cancel_order(order_id=order.order_id, reason="changed my mind")

    assert (cancelled.status, cancelled.cancel_code) == ("cancelled", "customer_request")
    assert stock_of("MUG") == (10, 0, 0)
    assert Payment.objects.get(order_id=order.order_id).status == "refunded"
    assert Shipment.objects.get(order_id=order.order_id).status == "cancelled"
    # Cancelling again changes nothing.
    again = get_orders_api().cancel_order(order_id=order.order_id, reason="again")
    assert again.cancel_reason == "changed my mind"
    assert stock_of("MUG") == (10, 0, 0)


def test_dispatched_order_cannot_be_cancelled(catalog):
    from shipping.services import shipment_dispatch

    order = place(priced("MUG", 1))
    shipment_dispatch(shipment_id=Shipment.objects.get(order_id=order.order_id).pk)
    with pytest.raises(OrderNotCancellable):
        get_orders_api().cancel_order(order_id=order.order_id, reason="too late")
    assert get_orders_api().get_order(order_id=order.order_id).status == "confirmed"
    assert Payment.objects.get(order_id=order.order_id).status == "charged"


def test_order_total_is_computed_from_prices_in_exact_decimals(catalog):
    order = place(priced("MUG", 3), priced("LAST", 1))
    assert str(order.total.amount) == "137.49"  # 3 x 12.50 + 99.99, no float rounding
    assert [str(line.line_total.amount) for line in order.lines] == ["37.50", "99.99"]


@pytest.mark.parametrize(
    "lines",
    [[], [("MUG", 0)], [("MUG", -1)], [("MUG", 1001)], [("MUG", 1), ("MUG", 2)], [("MUG", 1)] * 51],
    ids=["no-lines", "zero", "negative", "absurd", "duplicate-sku", "too-many-lines"],
)
def test_orders_api_refuses_bad_lines_and_writes_nothing(catalog, lines):
    with pytest.raises(ValidationFailed):
        place(*[priced(sku, qty) for sku, qty in lines])
    from orders.models import Order

    assert not Order.objects.exists()
    assert not OutboxEvent.objects.filter(name="orders.OrderPlaced").exists()


def test_release_before_reserve_leaves_a_tombstone_that_refuses_a_late_reservation(catalog):
    from inventory.api import ReservationClosed, StockLine

    order_id = "7a1b4a6e-6d6f-4b6c-9f0e-2f1f5d1c2b3a"
    inventory = get_inventory_api()
    inventory.release_items(order_id=order_id)
    with pytest.raises(ReservationClosed):
        inventory.reserve_items(order_id=order_id, lines=[StockLine("MUG", 1)])
    assert stock_of("MUG") == (10, 0, 0)


def test_every_status_change_moves_updated_at(catalog):
    from datetime import timedelta

    from django.utils import timezone

    from orders.models import Order

    order = place(priced("MUG", 1))
    past = timezone.now() - timedelta(hours=1)
    Order.objects.filter(pk=order.order_id).update(updated_at=past)
    cancelled = get_orders_api().cancel_order(order_id=order.order_id, reason="changed my mind")
    assert cancelled.updated_at > past
    assert order.updated_at > order.created_at  # placed, then reserved, paid and confirmed
