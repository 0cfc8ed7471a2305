"""Payments' internal REST endpoints (mounted at /internal/payments/) and the RestPaymentsApi client."""
from __future__ import annotations

from common.money import Money
from common.transports.rest import Operation, RestClient, internal_urlpatterns

from ..api import Payment, PaymentsApi
from .local import LocalPaymentsApi

OPERATIONS = (
    Operation("charge", "POST", "charges/", status=201),
    Operation("refund", "POST", "charges/<str:order_id>/refund/"),
    Operation("get_payment", "GET", "charges/<str:order_id>/"),
)

urlpatterns = internal_urlpatterns("payments", PaymentsApi, LocalPaymentsApi(), OPERATIONS)


class RestPaymentsApi:
    """PaymentsApi over HTTP; configured by settings.BOUNDARIES['payments'] (target, timeout, token)."""

    def __init__(self, **config):
        self._http = RestClient("payments", PaymentsApi, OPERATIONS, **config)

    def charge(self, *, order_id: str, amount: Money, payment_token: str) -> Payment:
        return self._http.call("charge", order_id=order_id, amount=amount, payment_token=payment_token)

    def refund(self, *, order_id: str) -> Payment | None:
        return self._http.call("refund", order_id=order_id)

    def get_payment(self, *, order_id: str) -> Payment | None:
        return self._http.call("get_payment", order_id=order_id)
