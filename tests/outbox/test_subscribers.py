"""One event, several independent subscribers; a context subscribes without the publisher changing."""
import subprocess

import pytest
from django.core import mail

from notifications.models import Notification, OrderActivity
from orders.api import get_orders_api
from outbox.models import Delivery
from outbox.registry import subscribers_for
from payments.models import Invoice
from tests.conftest import deliver_outbox, priced
from tests.loyalty.models import PointsAward
from tests.processes import ROOT

pytestmark = pytest.mark.django_db(transaction=True)


def test_order_placed_reaches_billing_notifications_and_loyalty(catalog):
    order = get_orders_api().place_order(customer_id=3, email="c@example.com", lines=[priced("TEE", 2)],
                                         payment_token="tok_visa", shipping_address="")
    deliver_outbox()
    assert Invoice.objects.get(order_id=order.order_id).amount == order.total.amount
    assert OrderActivity.objects.get(order_id=order.order_id).event_name == "orders.OrderPlaced"
    assert PointsAward.objects.get(order_id=order.order_id).points == 48
    placed = Delivery.objects.filter(event__name="orders.OrderPlaced")
    assert sorted(placed.values_list("subscriber", "status")) == [
        ("loyalty.award_points", "done"), ("notifications.record_order_placed", "done"),
        ("payments.create_invoice", "done"),
    ]


def test_loyalty_subscribes_without_orders_knowing():
    assert "loyalty.award_points" in {s.name for s in subscribers_for("orders.OrderPlaced")}
    # Nothing under orders/ names loyalty: the subscriber lives in its own handlers.py only.
    found = subprocess.run(["grep", "-ril", "loyalty", str(ROOT / "orders")], capture_output=True, text=True)
    assert found.stdout == ""


def test_stock_low_alerts_staff_once(catalog, settings):
    settings.STAFF_ALERT_EMAILS = ["staff@example.com", "buyer@example.com"]
    get_orders_api().place_order(customer_id=3, email="c@example.com", lines=[priced("TEE", 1)],
                                 payment_token="tok_visa", shipping_address="")  # 4 left, threshold 5
    deliver_outbox()
    alerts = Notification.objects.filter(kind="stock_low")
    assert sorted(alerts.values_list("recipient", flat=True)) == ["buyer@example.com", "staff@example.com"]
    assert "Only 4 of TEE left" in alerts.first().body
    assert len([m for m in mail.outbox if m.subject == "Stock low: TEE"]) == 2
