"""Orders placed before every order had a saga: open ones get one (migration 0006), confirmed ones can be cancelled."""
import importlib

import pytest
from django.apps import apps

from orders.api import get_orders_api
from orders.models import CheckoutSaga, Order
from payments.models import Payment
from tests.conftest import priced, stock_of
from tests.helpers import place
from tests.orders.due import resume_due

pytestmark = pytest.mark.django_db
migration = importlib.import_module("orders.migrations.0006_a_saga_for_every_open_order")


def test_an_open_order_without_a_saga_gets_one_and_is_finished(catalog):
    order = place(priced("MUG", 2))  # paid, shipped and confirmed; then made to look like an old choreographed order, paid only
    CheckoutSaga.objects.filter(pk=order.order_id).delete()
    Order.objects.filter(pk=order.order_id).update(status="paid")
    migration.give_open_orders_a_saga(apps, None)
    saga = CheckoutSaga.objects.get(pk=order.order_id)
    assert (saga.step, saga.state, saga.waiting) == ("schedule_shipment", "running", True)
    resume_due()
    assert Order.objects.get(pk=order.order_id).status == "confirmed"
    assert Payment.objects.filter(order_id=order.order_id, status="charged").count() == 1


def test_a_confirmed_order_without_a_saga_is_cancelled_through_the_compensation(catalog):
    order = place(priced("MUG", 2))
    CheckoutSaga.objects.filter(pk=order.order_id).delete()
    cancelled = get_orders_api().cancel_order(order_id=order.order_id, reason="changed my mind")
    assert (cancelled.status, cancelled.cancel_code) == ("cancelled", "customer_request")
    assert stock_of("MUG") == (10, 0, 0)
    assert [e.name for e in cancelled.timeline] == [
        "cancel_requested", "cancel_shipment", "void_or_refund_payment", "release_stock"]
