"""In-process PaymentsApi: calls the services directly and returns DTOs."""
from __future__ import annotations

from common.money import Money

from .. import services
from ..api import Payment
from ..models import Payment as PaymentModel


class LocalPaymentsApi:
    """PaymentsApi in the caller's process."""

    def charge(self, *, order_id: str, amount: Money, payment_token: str) -> Payment:
        return _payment_dto(services.payment_charge(order_id=order_id, amount=amount, payment_token=payment_token))

    def refund(self, *, order_id: str) -> Payment | None:
        payment = services.payment_refund(order_id=order_id)
        return _payment_dto(payment) if payment else None

    def get_payment(self, *, order_id: str) -> Payment | None:
        payment = services.payment_successful(order_id=order_id)
        return _payment_dto(payment) if payment else None


def _payment_dto(payment: PaymentModel) -> Payment:
    return Payment(
        payment_id=str(payment.id),
        order_id=str(payment.order_id),
        amount=Money(payment.amount, payment.currency),
        status=payment.status,
        provider_ref=payment.provider_ref,
    )
