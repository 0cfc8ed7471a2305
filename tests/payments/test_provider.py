"""The simulated provider answers tokens as a real one does: its published test tokens charge, others decline."""
import uuid
from decimal import Decimal

import pytest

from common.money import Money
from payments.api import PaymentDeclined
from payments.models import Payment
from payments.services import payment_charge

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("token", ["tok_visa", "tok_visa_debit", "tok_mastercard", "tok_amex"])
def test_the_published_test_tokens_are_charged(token):
    assert payment_charge(order_id=str(uuid.uuid4()), amount=Money(Decimal("5")), payment_token=token).status == "charged"


@pytest.mark.parametrize(("token", "reason"), [
    ("tok_declined", "card_declined"), ("tok_insufficient_funds", "insufficient_funds"),
    ("tok_made_up", "invalid_token"), ("", "invalid_token"), ("4242424242424242", "invalid_token"),
])
def test_other_tokens_are_declined_and_nothing_is_charged(token, reason):
    order_id = str(uuid.uuid4())
    with pytest.raises(PaymentDeclined) as declined:
        payment_charge(order_id=order_id, amount=Money(Decimal("5")), payment_token=token)
    assert declined.value.details["reason"] == reason
    assert list(Payment.objects.filter(order_id=order_id).values_list("status", flat=True)) == ["declined"]
