"""Placing an order does not depend on payments answering in time: slow or open payments -> payment pending."""
import time

import pytest
from django.core import mail

from common.resilience.breaker import FORCED_OPEN, breaker_for
from common.resilience.config import cached_policy_for
from orders.models import Order
from payments.models import Payment
from shipping.models import Shipment
from tests.conftest import CHECKOUT, client_for, deliver_outbox, stock_of
from tests.orders.due import resume_due

# Faults are FaultRule rows (tests/orders/conftest.py), so these also run in scripts/test's REST and gRPC
# passes, with the checkout served by orders' own process; the ones that change a policy or a breaker through
# settings run the checkout in this process (checkout_here), its calls to the other contexts over the wire.
pytestmark = pytest.mark.django_db
ABORT = {"abort": {"percentage": 100, "http_status": 503}}
BODY = {"lines": [{"sku": "MUG", "quantity": 2}], **CHECKOUT}


@pytest.fixture
def payments_fault(settings):
    """Set (or clear, with None) a fault on payments.charge through settings."""
    base = settings.RESILIENCE

    def set_fault(fault, **charge_policy):
        operations = {**base["boundaries"]["payments"]["operations"]}
        operations["charge"] = {**operations["charge"], **charge_policy, "fault": fault or {}}
        settings.RESILIENCE = {**base, "boundaries": {**base["boundaries"], "payments": {"operations": operations}}}

    return set_fault


def test_slow_payments_give_202_payment_pending_fast(catalog, customer, checkout_here, payments_fault):
    payments_fault({"delay": {"percentage": 100, "fixed_delay": 5}}, timeout=0.2, per_try_timeout=0.2)
    started = time.perf_counter()
    response = client_for(customer).post("/api/orders/", BODY, format="json")
    assert time.perf_counter() - started < 2.5  # never the 5 s payments takes (margin: the wire, a busy machine)
    assert response.status_code == 202
    assert response.json()["status"] == "payment_pending"
    assert stock_of("MUG") == (8, 2, 0)  # still held for the order
    assert not Payment.objects.exists()


def test_the_pending_charge_completes_when_payments_is_back(catalog, customer, fault):
    fault("payments", "charge", ABORT)
    order_id = client_for(customer).post("/api/orders/", BODY, format="json").json()["order_id"]
    assert Order.objects.get(pk=order_id).status == "payment_pending"

    fault("payments", "charge", None)  # payments recovers; when the retry is due, the sweeper's command runs it
    assert resume_due(order_id) == 1
    order = Order.objects.get(pk=order_id)
    assert (order.status, order.saga.state, order.saga.payment_token) == ("confirmed", "completed", "")
    assert Payment.objects.get(order_id=order_id).status == "charged"
    assert Shipment.objects.filter(order_id=order_id).count() == 1
    deliver_outbox()
    assert [m.subject[:10] for m in mail.outbox] == ["Your order"]
    assert client_for(customer).get(f"/api/orders/{order_id}/").json()["status"] == "confirmed"


def test_resuming_twice_charges_and_confirms_once(catalog, customer, fault):
    from orders.saga import saga_resume

    fault("payments", "charge", ABORT)
    order_id = client_for(customer).post("/api/orders/", BODY, format="json").json()["order_id"]
    fault("payments", "charge", None)
    assert saga_resume(order_id=order_id).status == "confirmed"
    assert saga_resume(order_id=order_id).status == "confirmed"
    assert Payment.objects.filter(order_id=order_id, status="charged").count() == 1
    deliver_outbox()
    assert [m.subject[:10] for m in mail.outbox] == ["Your order"]


def test_payments_down_for_good_cancels_and_returns_the_stock(catalog, customer, checkout_here, payments_fault,
                                                              settings):
    settings.CHECKOUT_SAGA = {**settings.CHECKOUT_SAGA, "give_up_after": 0}
    payments_fault({"abort": {"percentage": 100, "http_status": 503}})
    # The charge window is over at the first failure, so the saga gives up at once. The refund that
    # giving up needs gets through: only the charge is broken.
    response = client_for(customer).post("/api/orders/", BODY, format="json")
    assert response.status_code == 503  # the cancelled order is in the body, with the reason
    order = Order.objects.get(pk=response.json()["details"]["order"]["order_id"])
    assert order.saga.state == "compensated"
    assert [(s.kind, s.name, s.outcome) for s in order.saga.log.all()][1:] == [
        ("action", "charge_payment", "failed"), ("compensation", "void_or_refund_payment", "succeeded"),
        ("compensation", "release_stock", "succeeded")]
    assert (order.status, order.cancel_code) == ("cancelled", "payment_unavailable")
    assert stock_of("MUG") == (10, 0, 0)


def test_payments_away_past_the_give_up_time_cancels_and_returns_the_stock(catalog, customer, fault):
    """The same give-up on every transport: the served orders' own setting, with the order made old."""
    from datetime import timedelta

    from django.utils import timezone

    from orders.models import CheckoutSaga
    from payments.api import PaymentVoided, get_payments_api
    from common.money import Money

    fault("payments", "charge", ABORT)
    order_id = client_for(customer).post("/api/orders/", BODY, format="json").json()["order_id"]
    CheckoutSaga.objects.filter(pk=order_id).update(created_at=timezone.now() - timedelta(days=1))
    resume_due(order_id)
    order = Order.objects.get(pk=order_id)
    assert (order.status, order.cancel_code) == ("cancelled", "payment_unavailable")
    assert stock_of("MUG") == (10, 0, 0)
    fault("payments", "charge", None)
    with pytest.raises(PaymentVoided):  # the charge that may have timed out lands late: refused
        get_payments_api().charge(order_id=order_id, amount=Money("25.00"), payment_token="tok_visa")


def test_an_open_payments_breaker_accepts_orders_without_calling_payments(catalog, customer, checkout_here):
    policy = cached_policy_for("payments", "")
    breaker_for("payments", policy.breaker).force(FORCED_OPEN)
    started = time.perf_counter()
    response = client_for(customer).post("/api/orders/", BODY, format="json")
    assert time.perf_counter() - started < 0.5
    assert response.status_code == 202
    assert not Payment.objects.exists()


def test_a_declined_card_still_cancels_at_once(catalog, customer):
    response = client_for(customer).post("/api/orders/", {**BODY, "payment_token": "tok_declined"}, format="json")
    assert response.status_code == 402
    assert stock_of("MUG") == (10, 0, 0)
