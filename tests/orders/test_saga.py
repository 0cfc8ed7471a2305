"""The orchestrated checkout saga: its log, compensation before the pivot, forward retries after it, resumption."""
import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from orders.api import get_orders_api
from orders.models import CheckoutSaga, Order
from orders.saga import sagas_stuck
from payments.models import Payment
from shipping.models import Shipment
from tests.conftest import on_postgres, priced, stock_of
from tests.helpers import place
from tests.orders.due import deliver, resume_due

# Faults are FaultRule rows (tests/orders/conftest.py), so these run with the checkout in this process and,
# in scripts/test's REST and gRPC passes, with it served by orders' own process.
pytestmark = pytest.mark.django_db


def log_of(order_id):
    return [(s.kind, s.name, s.outcome) for s in CheckoutSaga.objects.get(pk=order_id).log.all()]


ABORT = {"abort": {"percentage": 100, "http_status": 503}}


def test_happy_path_logs_every_step(catalog):
    order = place(priced("MUG", 1))
    assert order.status == "confirmed"
    assert log_of(order.order_id) == [
        ("action", "reserve_stock", "succeeded"), ("action", "charge_payment", "succeeded"),
        ("action", "schedule_shipment", "succeeded"), ("action", "send_confirmation", "succeeded"),
    ]
    assert CheckoutSaga.objects.get(pk=order.order_id).state == "completed"


def test_a_failure_before_the_pivot_compensates_in_reverse(catalog):
    order = place(priced("TEE", 1), token="tok_declined")
    assert (order.status, order.cancel_code) == ("cancelled", "payment_declined")
    assert log_of(order.order_id) == [
        ("action", "reserve_stock", "succeeded"), ("action", "charge_payment", "failed"),
        ("compensation", "void_or_refund_payment", "succeeded"), ("compensation", "release_stock", "succeeded"),
    ]
    assert stock_of("TEE") == (5, 0, 0)
    assert CheckoutSaga.objects.get(pk=order.order_id).state == "compensated"


def test_shipping_failing_after_payment_is_retried_forward_never_compensated(catalog, fault):
    fault("shipping", "schedule_shipment", ABORT)
    order = place(priced("MUG", 2))
    assert Order.objects.get(pk=order.order_id).status == "paid"
    saga = CheckoutSaga.objects.get(pk=order.order_id)
    assert (saga.state, saga.step, saga.waiting) == ("running", "schedule_shipment", True)
    assert not any(kind == "compensation" for kind, _, _ in log_of(order.order_id))

    fault("shipping", "schedule_shipment", None)
    assert resume_due(order.order_id) == 1
    assert Order.objects.get(pk=order.order_id).status == "confirmed"
    assert Payment.objects.get(order_id=order.order_id).status == "charged"
    assert Shipment.objects.filter(order_id=order.order_id).count() == 1
    assert stock_of("MUG") == (8, 2, 0)


def test_a_stuck_saga_is_resumed_and_never_charges_twice(catalog, fault):
    from orders.tasks import resume_stuck_sagas

    fault("payments", "charge", ABORT)
    order = place(priced("MUG", 1))
    # Its runner "dies" holding the saga: no retry is waiting, and the step deadline passes.
    CheckoutSaga.objects.filter(pk=order.order_id).update(waiting=False, deadline=timezone.now() - timedelta(1))
    assert sagas_stuck() == [order.order_id]
    fault("payments", "charge", None)
    assert resume_stuck_sagas.apply().get() == 1
    assert resume_stuck_sagas.apply().get() == 0  # its command is on its way: not sent twice
    deliver()
    assert Order.objects.get(pk=order.order_id).status == "confirmed"
    assert Payment.objects.filter(order_id=order.order_id).count() == 1
    assert sagas_stuck() == []


def test_a_saga_held_by_a_live_runner_is_not_taken(catalog, fault):
    from orders.saga import saga_resume

    fault("payments", "charge", ABORT)
    order = place(priced("MUG", 1))
    CheckoutSaga.objects.filter(pk=order.order_id).update(waiting=False, deadline=timezone.now() + timedelta(60))
    fault("payments", "charge", None)
    assert saga_resume(order_id=order.order_id).status == "payment_pending"
    assert not Payment.objects.exists()


def test_customer_cancel_while_payment_pending_compensates_and_a_late_charge_is_refused(catalog, fault, customer):
    from payments.api import PaymentVoided, get_payments_api
    from common.money import Money

    fault("payments", "charge", ABORT)
    order = place(priced("TEE", 2))
    assert order.status == "payment_pending"
    fault("payments", "charge", None)
    cancelled = get_orders_api().cancel_order(order_id=order.order_id, reason="too slow")
    assert (cancelled.status, cancelled.cancel_code) == ("cancelled", "customer_request")
    assert stock_of("TEE") == (5, 0, 0)
    # The charge that timed out lands now, too late: payments refuses it.
    with pytest.raises(PaymentVoided):
        get_payments_api().charge(order_id=order.order_id, amount=Money("48.00"), payment_token="tok_visa")
    assert list(Payment.objects.values_list("status", flat=True)) == ["voided"]
    # The cancel is in the order's timeline, before the compensation it started.
    assert log_of(order.order_id)[-3:] == [
        ("request", "cancel_requested", "succeeded"), ("compensation", "void_or_refund_payment", "succeeded"),
        ("compensation", "release_stock", "succeeded")]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_resumers_at_once_run_the_saga_once(catalog, fault):
    if not on_postgres():
        pytest.skip("needs PostgreSQL for real concurrency")
    from orders.saga import saga_resume

    fault("payments", "charge", ABORT)
    order = place(priced("MUG", 1))
    fault("payments", "charge", None)
    barrier = threading.Barrier(6)
    results = []

    def resume():
        try:
            barrier.wait(timeout=10)
            results.append(saga_resume(order_id=order.order_id).status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=resume) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert "confirmed" in results
    assert Payment.objects.filter(order_id=order.order_id).count() == 1
    charge_tries = [s for s in CheckoutSaga.objects.get(pk=order.order_id).log.all()
                    if s.name == "charge_payment" and s.outcome == "succeeded"]
    assert len(charge_tries) == 1
