"""The in-process checkout: reserve stock, charge, schedule the shipment, confirm; undo what a failure leaves.

When payments does not answer in time (or its breaker is open) the order is not failed: it is
accepted as payment pending and the orders.complete_payment command finishes the charge later.
"""
from __future__ import annotations

import logging

from celery import current_app
from django.db import transaction

from common.errors import BoundaryUnavailable, DomainError
from common.money import Money
from inventory.api import StockLine, get_inventory_api
from notifications.api import SendOrderConfirmation, send_order_confirmation
from payments.api import PaymentDeclined, get_payments_api
from shipping.api import get_shipping_api

from . import services
from .api import CUSTOMER_REQUEST, OrderNotCancellable
from .models import Order

logger = logging.getLogger(__name__)
PAYMENT_UNAVAILABLE = "payment_unavailable"


def order_checkout(*, order: Order, payment_token: str) -> Order:
    """Drive a pending order to confirmed, payment pending, or cancelled with nothing left held or charged."""
    order_id = str(order.id)
    try:
        get_inventory_api().reserve_items(
            order_id=order_id, lines=[StockLine(line.sku, line.quantity) for line in order.lines.all()]
        )
    except (DomainError, BoundaryUnavailable) as error:
        # release leaves a tombstone, so a reservation that lands late after a timeout is refused.
        _release_quietly(order_id)
        return services.order_mark_cancelled(order=order, reason=_reason("stock", error), code=_code(error))
    services.order_advance(order=order, status=Order.Status.RESERVED)
    try:
        return _charge_and_complete(order, payment_token)
    except BoundaryUnavailable:
        # Payments is slow or its breaker is open: accept the order now, charge it in the background.
        with transaction.atomic():
            services.order_defer_payment(order=order, payment_token=payment_token)
            signature = current_app.signature("orders.complete_payment", kwargs={"order_id": order_id})
            transaction.on_commit(signature.apply_async, robust=True)
        return order


def order_complete_payment(*, order_id: str) -> Order:
    """Finish the charge of a payment-pending order; raises BoundaryUnavailable while payments is away."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status != Order.Status.PAYMENT_PENDING:
            return order  # done already (this command may run twice)
    return _charge_and_complete(order, order.payment_token)


def order_give_up_payment(*, order_id: str) -> Order:
    """Cancel a payment-pending order whose charge never got through: refund anything that landed, free the stock."""
    order = Order.objects.get(pk=order_id)
    if order.status != Order.Status.PAYMENT_PENDING:
        return order
    get_payments_api().refund(order_id=order_id)  # a charge that timed out may still have happened
    get_inventory_api().release_items(order_id=order_id)
    return services.order_mark_cancelled(
        order=order, reason="payment could not be completed in time", code=PAYMENT_UNAVAILABLE
    )


def _charge_and_complete(order: Order, payment_token: str) -> Order:
    order_id = str(order.id)
    try:
        get_payments_api().charge(
            order_id=order_id, amount=Money(order.total_amount, order.currency), payment_token=payment_token
        )
    except DomainError as error:
        _release_quietly(order_id)
        return services.order_mark_cancelled(order=order, reason=_reason("payment", error), code=_code(error))
    services.order_advance(order=order, status=Order.Status.PAID)

    try:
        get_shipping_api().schedule_shipment(order_id=order_id, address=order.shipping_address)
    except (DomainError, BoundaryUnavailable):
        # Past the charge the order only moves forward; it stays paid until shipping is scheduled.
        logger.exception("order %s paid but its shipment could not be scheduled yet", order_id)
        return order

    with transaction.atomic():
        if services.order_confirm(order=order):
            lines = order.lines.all()
            send_order_confirmation(
                SendOrderConfirmation(
                    order_id=order_id, email=order.email, total=str(order.total_amount), currency=order.currency,
                    lines=tuple(f"{line.quantity} x {line.name} ({line.sku}) @ {line.unit_price}" for line in lines),
                )
            )
    return order


def order_cancel(*, order: Order, reason: str) -> Order:
    """Cancel an order on request: call off the shipment, refund, return the stock, then mark it cancelled."""
    if order.status == Order.Status.CANCELLED:
        return order
    if order.status in (Order.Status.PENDING, Order.Status.RESERVED):
        raise OrderNotCancellable("the order's checkout is still running", order_id=str(order.id))
    order_id = str(order.id)
    try:
        get_shipping_api().cancel_shipment(order_id=order_id)
    except DomainError as error:
        raise OrderNotCancellable(error.message, order_id=order_id) from error
    get_payments_api().refund(order_id=order_id)
    get_inventory_api().release_items(order_id=order_id)
    return services.order_mark_cancelled(order=order, reason=reason, code=CUSTOMER_REQUEST)


def _release_quietly(order_id: str) -> None:
    try:
        get_inventory_api().release_items(order_id=order_id)
    except (DomainError, BoundaryUnavailable):
        logger.exception("could not release the reservation of order %s", order_id)


def _reason(step: str, error: Exception) -> str:
    if isinstance(error, PaymentDeclined):
        return f"payment declined: {error.details.get('reason', error.message)}"
    if isinstance(error, DomainError):
        return error.message
    return f"{step} unavailable: {error}"


def _code(error: Exception) -> str:
    return error.code if isinstance(error, DomainError) else "boundary_unavailable"
