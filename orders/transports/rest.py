"""Orders' internal REST endpoints (mounted at /internal/orders/) and the RestOrdersApi client."""
from __future__ import annotations

from collections.abc import Sequence

from common.transports.rest import Operation, RestClient, internal_urlpatterns

from ..api import Order, OrderPage, OrdersApi, PricedLine
from .local import LocalOrdersApi

OPERATIONS = (
    Operation("place_order", "POST", "orders/", status=201),
    Operation("list_orders", "GET", "orders/"),
    Operation("get_order", "GET", "orders/<str:order_id>/"),
    Operation("cancel_order", "POST", "orders/<str:order_id>/cancel/"),
)

urlpatterns = internal_urlpatterns("orders", OrdersApi, LocalOrdersApi(), OPERATIONS)


class RestOrdersApi:
    """OrdersApi over HTTP; configured by settings.BOUNDARIES['orders'] (target, timeout, token)."""

    def __init__(self, **config):
        self._http = RestClient("orders", OrdersApi, OPERATIONS, **config)

    def place_order(
        self, *, customer_id: int, email: str, lines: Sequence[PricedLine], payment_token: str,
        shipping_address: str,
    ) -> Order:
        return self._http.call(
            "place_order", customer_id=customer_id, email=email, lines=lines, payment_token=payment_token,
            shipping_address=shipping_address,
        )

    def get_order(self, *, order_id: str) -> Order:
        return self._http.call("get_order", order_id=order_id)

    def list_orders(self, *, customer_id: int | None, limit: int, offset: int) -> OrderPage:
        return self._http.call("list_orders", customer_id=customer_id, limit=limit, offset=offset)

    def cancel_order(self, *, order_id: str, reason: str) -> Order:
        return self._http.call("cancel_order", order_id=order_id, reason=reason)
