"""Orders' own state changes: create an order, move it through its statuses, cancel it."""
from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone

from common.db import atomic_for, seed_prefetch
from common.errors import ValidationFailed
from common.ids import parse_uuid
from common.money import Money
from notifications.api import SendOrderConfirmation, send_order_confirmation
from outbox.api import publish

from .api import (
    ORCHESTRATED,
    OrderCancelled,
    OrderConfirmed,
    OrderNotFound,
    OrderPlaced,
    PricedLine,
)
from .conf import orders_settings
from .models import CheckoutSaga, Order, OrderLine
from .sql import order_insert


def _validate_lines(lines: Sequence[PricedLine]) -> None:
    """The rules of an order's lines, the only place they are written; `field` names the line as the request did
    ("lines.1.sku"), so the storefront can point at it."""
    if not lines:
        raise ValidationFailed("an order needs at least one line", field="lines")
    if len(lines) > orders_settings.ORDER_MAX_LINES:
        raise ValidationFailed(f"at most {orders_settings.ORDER_MAX_LINES} lines per order", field="lines")
    seen: set[str] = set()
    for index, line in enumerate(lines):
        if line.sku in seen:
            raise ValidationFailed(f"product {line.sku!r} appears in more than one line; merge them",
                                   field=f"lines.{index}.sku", sku=line.sku)
        seen.add(line.sku)
        if not 0 < line.quantity <= orders_settings.ORDER_MAX_QUANTITY:
            raise ValidationFailed(f"quantity must be between 1 and {orders_settings.ORDER_MAX_QUANTITY}",
                                   field=f"lines.{index}.quantity", sku=line.sku)
    if len({line.unit_price.currency for line in lines}) != 1:
        raise ValidationFailed("all lines of an order must share one currency", field="lines")


def order_create(
    *, customer_id: int, email: str, lines: Sequence[PricedLine], shipping_address: str, saga: CheckoutSaga,
    checkout: str = ORCHESTRATED,
) -> Order:
    """Record a new pending order with its lines and server-computed total, and the `saga` (unsaved) that checks it
    out, in one statement (orders/sql.py); and publish OrderPlaced.

    OrderPlaced carries ids and facts only: no card token, no address, no word on how the checkout runs."""
    _validate_lines(lines)
    currency = lines[0].unit_price.currency
    total = sum((line.unit_price * line.quantity for line in lines), Money.zero(currency))
    with atomic_for("orders", savepoint=False):  # within the checkout's transaction: no savepoint round trips
        order = Order(
            customer_id=customer_id, email=email, currency=currency, total_amount=total.amount,
            shipping_address=shipping_address, checkout=checkout,
        )
        saga.order = order
        order_lines = [
            OrderLine(
                order=order, sku=line.sku, name=line.name, quantity=line.quantity,
                unit_price=line.unit_price.amount, line_total=(line.unit_price * line.quantity).amount,
            )
            for line in lines
        ]
        order_insert(order=order, lines=order_lines, saga=saga)
        # Kept as the order's lines: the checkout's steps, its confirmation and its answer read none back.
        seed_prefetch(order, "lines", order_lines)
        publish(OrderPlaced(order_id=str(order.id), customer_id=customer_id, lines=tuple(lines), total=total))
    return order


def order_get(*, order_id: str) -> Order:
    """The order, or OrderNotFound (also for ids that are not UUIDs)."""
    try:
        return Order.objects.prefetch_related("lines", "saga__log").get(pk=parse_uuid(order_id))
    except (Order.DoesNotExist, ValidationFailed):
        raise OrderNotFound("no such order", order_id=str(order_id)) from None


def order_advance(*, order: Order, status: str) -> Order:
    """Record a checkout step reached (reserved, paid)."""
    now = timezone.now()
    Order.objects.filter(pk=order.pk).update(status=status, updated_at=now)  # update() skips auto_now
    order.status, order.updated_at = status, now  # as written: the checkout answers without reading it back
    return order


def order_complete(*, order: Order) -> None:
    """Publish OrderConfirmed and send the confirmation command, in the transaction that confirmed the order (its
    status is written with the checkout's record of the step, orders/sql.py)."""
    with atomic_for("orders", savepoint=False):
        publish(OrderConfirmed(order_id=str(order.id)))
        send_order_confirmation(SendOrderConfirmation(
            order_id=str(order.id), email=order.email, total=str(order.total_amount), currency=order.currency,
            lines=tuple(f"{line.quantity} x {line.name} ({line.sku}) @ {line.unit_price}" for line in order.lines.all()),
        ))


def order_mark_cancelled(*, order: Order, reason: str, code: str) -> Order:
    """Mark the order cancelled with a reason and publish OrderCancelled; once only."""
    with atomic_for("orders"):
        changed = Order.objects.filter(pk=order.pk).exclude(status=Order.Status.CANCELLED).update(
            status=Order.Status.CANCELLED, cancel_reason=reason[:200], cancel_code=code, updated_at=timezone.now()
        )
        if changed:
            publish(OrderCancelled(order_id=str(order.id), reason=reason[:200], code=code))
    order.refresh_from_db()
    return order
