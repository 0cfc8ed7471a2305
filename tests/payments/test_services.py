"""Payments' services on the real database: one charge per order, refunds and voids, one invoice per order."""
import uuid
from decimal import Decimal

import pytest

from common.errors import ValidationFailed
from common.money import Money
from outbox.models import OutboxEvent
from payments.api import PaymentVoided
from payments.models import Invoice, Payment
from payments.services import invoice_create, payment_charge, payment_refund

pytestmark = pytest.mark.django_db
FIVE = Money(Decimal("5.00"))


def events(order_id) -> list[str]:
    return list(OutboxEvent.objects.filter(aggregate_id=str(order_id)).order_by("id").values_list("name", flat=True))


def test_charging_an_order_twice_charges_it_once():
    order_id = str(uuid.uuid4())
    first = payment_charge(order_id=order_id, amount=FIVE, payment_token="tok_visa")
    again = payment_charge(order_id=order_id, amount=FIVE, payment_token="tok_visa")
    assert (again.pk, again.status, again.amount) == (first.pk, Payment.Status.CHARGED, Decimal("5.00"))
    assert events(order_id) == ["payments.PaymentProcessed"]


@pytest.mark.parametrize("amount", ["0.00", "-5.00"])
def test_an_amount_that_is_not_positive_is_refused_before_the_provider(amount):
    order_id = str(uuid.uuid4())
    with pytest.raises(ValidationFailed):
        payment_charge(order_id=order_id, amount=Money(Decimal(amount)), payment_token="tok_visa")
    assert not Payment.objects.filter(order_id=order_id).exists()


def test_a_refund_is_made_once_and_announced_once():
    order_id = str(uuid.uuid4())
    payment_charge(order_id=order_id, amount=FIVE, payment_token="tok_visa")
    assert payment_refund(order_id=order_id).status == Payment.Status.REFUNDED
    assert payment_refund(order_id=order_id).status == Payment.Status.REFUNDED
    assert events(order_id) == ["payments.PaymentProcessed", "payments.PaymentRefunded"]


def test_a_refund_before_any_charge_voids_the_order_and_a_late_charge_is_refused():
    order_id = str(uuid.uuid4())
    assert payment_refund(order_id=order_id).status == Payment.Status.VOIDED
    with pytest.raises(PaymentVoided):
        payment_charge(order_id=order_id, amount=FIVE, payment_token="tok_visa")
    assert not Payment.objects.filter(order_id=order_id, status=Payment.Status.CHARGED).exists()


def test_an_order_is_invoiced_once():
    order_id = str(uuid.uuid4())
    first = invoice_create(order_id=order_id, customer_id=3, total=FIVE)
    again = invoice_create(order_id=order_id, customer_id=3, total=Money(Decimal("9.00")))
    assert (again.pk, again.amount) == (first.pk, Decimal("5.00"))
    assert Invoice.objects.filter(order_id=order_id).count() == 1
    assert events(order_id) == ["payments.InvoiceCreated"]
