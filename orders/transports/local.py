"""In-process OrdersApi: calls the services directly and returns DTOs."""
from __future__ import annotations

from collections.abc import Sequence

from common.errors import QUANTITY_MAX, check_range
from common.money import Money
from outbox.api import messages_about

from .. import saga, services
from ..api import Order, OrderLine, OrderPage, PricedLine, TimelineEntry
from ..models import Order as OrderModel


class LocalOrdersApi:
    """OrdersApi in the caller's process."""

    def place_order(
        self, *, customer_id: int, email: str, lines: Sequence[PricedLine], payment_token: str,
        shipping_address: str,
    ) -> Order:
        for line in lines:  # bounded at the edge every transport passes, before a line total is computed or stored
            check_range(line.quantity, field="quantity", low=-QUANTITY_MAX, high=QUANTITY_MAX, sku=line.sku)
        return order_dto(saga.checkout_place(
            customer_id=customer_id, email=email, lines=lines, payment_token=payment_token,
            shipping_address=shipping_address,
        ))

    def get_order(self, *, order_id: str) -> Order:
        return order_dto(services.order_get(order_id=order_id))

    def list_orders(self, *, customer_id: int | None, limit: int, offset: int) -> OrderPage:
        check_range(limit, field="limit", low=0, high=1000)
        check_range(offset, field="offset", low=0, high=QUANTITY_MAX)
        orders = OrderModel.objects.prefetch_related("lines", "saga__log")
        if customer_id is not None:
            orders = orders.filter(customer_id=customer_id)
        return OrderPage(
            orders=tuple(order_dto(order) for order in orders[offset : offset + limit]), count=orders.count()
        )

    def cancel_order(self, *, order_id: str, reason: str) -> Order:
        order = services.order_get(order_id=order_id)
        return order_dto(saga.checkout_cancel(order=order, reason=reason))


def order_dto(order: OrderModel) -> Order:
    """The public form of an order."""
    lines = tuple(
        OrderLine(
            sku=line.sku, name=line.name, quantity=line.quantity,
            unit_price=Money(line.unit_price, order.currency), line_total=Money(line.line_total, order.currency),
        )
        for line in order.lines.all()
    )
    return Order(
        order_id=str(order.id), customer_id=order.customer_id, status=order.status, lines=lines,
        total=Money(order.total_amount, order.currency), cancel_reason=order.cancel_reason, cancel_code=order.cancel_code,
        created_at=order.created_at, updated_at=order.updated_at, timeline=_timeline(order),
        shipping_address=order.shipping_address,
    )


def _timeline(order: OrderModel) -> tuple[TimelineEntry, ...]:
    """The order's checkout log (either mode); the events about it for an order older than that log."""
    try:
        steps = order.saga.log.all()
    except OrderModel.saga.RelatedObjectDoesNotExist:
        return tuple(
            TimelineEntry(at=m.occurred_at, kind="event", name=m.name, outcome="published")
            for m in messages_about(context="orders", aggregate_type="order", aggregate_id=str(order.id))
        )
    return tuple(
        TimelineEntry(at=step.finished_at, kind=step.kind, name=step.name, outcome=step.outcome, detail=step.error)
        for step in steps
    )
