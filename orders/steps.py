"""The checkout's steps: what each asks of the context that does it, the status its record gives the order, and
the reason an order is cancelled with when one before the pivot fails (the engine is orders/saga.py)."""
from __future__ import annotations

from common.errors import DomainError
from common.money import Money
from inventory.api import ReservationClosed, StockLine, get_inventory_api
from payments.api import PaymentDeclined, get_payments_api
from shipping.api import get_shipping_api

from .models import CheckoutSaga, Order

RESERVE, CHARGE, SHIP, CONFIRM = "reserve_stock", "charge_payment", "schedule_shipment", "send_confirmation"
STEPS = (RESERVE, CHARGE, SHIP, CONFIRM)
PIVOT = CHARGE
PAYMENT_UNAVAILABLE = "payment_unavailable"
RESERVATION_EXPIRED = "reservation_expired"

# Per step: ACTIONS make the call to the context that does it (which commits there); once done, orders records
# it (saga._record: the status it REACHES, its log line and the move to the next step, together). A process dying
# between the two runs the step again: every step is idempotent, keyed by the order.


def _hold_stock(saga: CheckoutSaga) -> None:
    order = saga.order
    get_inventory_api().reserve_items(
        order_id=str(order.id), lines=[StockLine(line.sku, line.quantity) for line in order.lines.all()]
    )


def _charge(saga: CheckoutSaga) -> None:
    order = saga.order
    if saga.attempts > 1:
        _hold_stock(saga)  # a retried charge renews the stock's hold first (ReservationClosed if it ran out)
    get_payments_api().charge(
        order_id=str(order.id), amount=Money(order.total_amount, order.currency), payment_token=saga.payment_token
    )
    # Paid: the stock is the sale's now, asked of inventory in this step (its hold may have run out while the
    # charge waited or was made: then ReservationClosed, and the compensation refunds what was just charged).
    get_inventory_api().keep_reservation(order_id=str(order.id))


def _ship(saga: CheckoutSaga) -> None:
    get_shipping_api().schedule_shipment(order_id=str(saga.order_id), address=saga.order.shipping_address)


def _nothing(saga: CheckoutSaga) -> None:
    pass


ACTIONS = {RESERVE: _hold_stock, CHARGE: _charge, SHIP: _ship, CONFIRM: _nothing}
# Steps that call no other context: an orchestrated checkout runs them with the step before, in one record.
CALLS_NOBODY = frozenset(step for step, action in ACTIONS.items() if action is _nothing)
# The status each step's record gives the order (None: it keeps its status).
REACHES = {RESERVE: Order.Status.RESERVED, CHARGE: Order.Status.PAID, SHIP: None, CONFIRM: Order.Status.CONFIRMED}


def cancelled_because(error: DomainError) -> tuple[str, str]:
    """The reason and code an order is cancelled with when a step before the pivot fails with `error`."""
    if isinstance(error, PaymentDeclined):
        return f"payment declined: {error.details.get('reason', error.message)}", error.code
    if isinstance(error, ReservationClosed):  # the hold ran out before the charge, or while it was made
        return "the stock's hold ran out before the payment was completed", RESERVATION_EXPIRED
    return error.message, error.code
