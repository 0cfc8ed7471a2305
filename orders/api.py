"""Orders' public surface: DTOs, errors, events, the OrdersApi protocol and its factory."""
from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from common.boundaries import boundary_client
from common.errors import Conflict, NotFound
from common.money import Money
from outbox.api import OrderCommand, OrderEvent

PENDING = "pending"
PAYMENT_PENDING = "payment_pending"
CONFIRMED = "confirmed"
CANCELLED = "cancelled"
CUSTOMER_REQUEST = "customer_request"
ORCHESTRATED = "orchestrated"
CHOREOGRAPHED = "choreographed"


@dataclass(frozen=True)
class PricedLine:
    """A line to order, priced by the caller from the catalog."""

    sku: str
    name: str
    quantity: int
    unit_price: Money


@dataclass(frozen=True)
class OrderLine:
    """A line of a placed order."""

    sku: str
    name: str
    quantity: int
    unit_price: Money
    line_total: Money


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened in an order's checkout: a step, a compensation, or a request (a cancel)."""

    at: datetime.datetime
    kind: str
    name: str
    outcome: str
    detail: str = ""


@dataclass(frozen=True)
class Order:
    """An order as other contexts see it."""

    order_id: str
    customer_id: int
    status: str
    lines: tuple[OrderLine, ...]
    total: Money
    cancel_reason: str
    cancel_code: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    timeline: tuple[TimelineEntry, ...] = ()
    shipping_address: str = ""


@dataclass(frozen=True)
class OrderPage:
    """A slice of a list of orders, newest first, with the full count."""

    orders: tuple[Order, ...]
    count: int


class OrderNotFound(NotFound):
    """No such order."""

    code = "order_not_found"


class OrderNotCancellable(Conflict):
    """The order can no longer be cancelled."""

    code = "order_not_cancellable"


@dataclass(frozen=True, kw_only=True)
class OrderPlaced(OrderEvent):
    """A customer placed an order."""

    name = "orders.OrderPlaced"
    customer_id: int
    lines: tuple[PricedLine, ...]
    total: Money


@dataclass(frozen=True, kw_only=True)
class OrderConfirmed(OrderEvent):
    """An order was reserved, paid and scheduled for shipping."""

    name = "orders.OrderConfirmed"


@dataclass(frozen=True, kw_only=True)
class OrderCancelled(OrderEvent):
    """An order was cancelled, with the reason."""

    name = "orders.OrderCancelled"
    reason: str
    code: str


@dataclass(frozen=True, kw_only=True)
class ResumeCheckout(OrderCommand):
    """Command (orders to itself): run an order's checkout on from where it is, if nobody runs it now."""

    name = "orders.ResumeCheckout"


class OrdersApi(Protocol):
    """What other contexts may ask of orders."""

    def place_order(
        self, *, customer_id: int, email: str, lines: Sequence[PricedLine], payment_token: str,
        shipping_address: str,
    ) -> Order:
        """Place an order and run its checkout; the result is confirmed or cancelled with a reason."""

    def get_order(self, *, order_id: str) -> Order:
        """One order. Raises OrderNotFound."""

    def list_orders(self, *, customer_id: int | None, limit: int, offset: int) -> OrderPage:
        """Orders of one customer (or of all when customer_id is None), newest first."""

    def cancel_order(self, *, order_id: str, reason: str) -> Order:
        """Cancel an order, returning its stock and refunding its charge. Raises OrderNotCancellable."""


def get_orders_api() -> OrdersApi:
    """The OrdersApi over the transport that settings.BOUNDARIES['orders'] names."""
    return boundary_client("orders", {
        "local": "orders.transports.local.LocalOrdersApi",
        "rest": "orders.transports.rest.RestOrdersApi",
        "grpc": "orders.transports.grpc.client.GrpcOrdersApi",
    })
