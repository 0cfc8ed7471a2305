"""The PaymentsApi contract, identical over local, REST and gRPC."""
import uuid
from decimal import Decimal

import pytest

from common.errors import ValidationFailed
from common.money import Money
from payments.api import PaymentDeclined, PaymentVoided, get_payments_api
from payments.transports.local import LocalPaymentsApi

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]


def test_charge_once_refund_once(transport):
    payments = get_payments_api()
    order_id = str(uuid.uuid4())
    payment = payments.charge(order_id=order_id, amount=Money(Decimal("10.10")), payment_token="tok_visa")

    assert (payment.order_id, payment.status, payment.amount) == (order_id, "charged", Money(Decimal("10.10")))
    assert payments.charge(order_id=order_id, amount=Money(Decimal("10.10")), payment_token="tok_visa") == payment
    assert payments.get_payment(order_id=order_id) == LocalPaymentsApi().get_payment(order_id=order_id) == payment
    refunded = payments.refund(order_id=order_id)
    assert (refunded.payment_id, refunded.status) == (payment.payment_id, "refunded")
    assert payments.refund(order_id=order_id) == refunded


def test_refunding_what_was_never_charged_voids_it(transport):
    order_id = str(uuid.uuid4())
    assert get_payments_api().get_payment(order_id=order_id) is None
    voided = get_payments_api().refund(order_id=order_id)
    assert (voided.status, voided.amount) == ("voided", Money(Decimal("0")))
    assert get_payments_api().refund(order_id=order_id) == voided
    with pytest.raises(PaymentVoided):  # a charge landing after the void is refused, on every transport
        get_payments_api().charge(order_id=order_id, amount=Money(Decimal("5")), payment_token="tok_visa")


def test_declines_and_bad_amounts_arrive_as_themselves(transport):
    with pytest.raises(PaymentDeclined) as raised:
        get_payments_api().charge(order_id=str(uuid.uuid4()), amount=Money(Decimal("5")), payment_token="tok_declined")
    assert raised.value.details == {"reason": "card_declined"}
    with pytest.raises(ValidationFailed) as raised:
        get_payments_api().charge(order_id=str(uuid.uuid4()), amount=Money(Decimal("-1")), payment_token="tok_visa")
    assert raised.value.details == {"field": "amount"}
