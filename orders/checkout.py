"""Cancelling an order on request, in either checkout mode (placing one: orders/saga.py or handlers.py)."""
from __future__ import annotations

from common.errors import DomainError
from inventory.api import get_inventory_api
from payments.api import get_payments_api
from shipping.api import get_shipping_api

from . import saga, services
from .api import CHOREOGRAPHED, CUSTOMER_REQUEST, OrderNotCancellable
from .models import CheckoutSaga, Order


def order_cancel(*, order: Order, reason: str) -> Order:
    """Cancel an order: before its charge completed, by compensating its checkout; after, by undoing it."""
    if order.status == Order.Status.CANCELLED:
        return order
    if order.checkout == CHOREOGRAPHED and order.status != Order.Status.CONFIRMED:
        # Choreography: announce it; inventory, payments and shipping each undo their part on OrderCancelled.
        return services.order_mark_cancelled(order=order, reason=reason, code=CUSTOMER_REQUEST)
    checkout = CheckoutSaga.objects.filter(pk=order.pk).first()
    if checkout is not None and checkout.state != CheckoutSaga.State.COMPLETED:
        if not saga.saga_cancel(order_id=str(order.id), reason=reason, code=CUSTOMER_REQUEST):
            raise OrderNotCancellable("the order's checkout is running; try again in a moment",
                                      order_id=str(order.id))
        order.refresh_from_db()
        return order
    order_id = str(order.id)
    try:
        get_shipping_api().cancel_shipment(order_id=order_id)
    except DomainError as error:
        raise OrderNotCancellable(error.message, order_id=order_id) from error
    get_payments_api().refund(order_id=order_id)
    get_inventory_api().release_items(order_id=order_id)
    return services.order_mark_cancelled(order=order, reason=reason, code=CUSTOMER_REQUEST)
