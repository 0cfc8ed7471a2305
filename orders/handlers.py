"""Orders' subscribers: how a choreographed order follows its checkout, from the other contexts' events.

Orchestrated orders are driven by their saga and ignore these. Every reaction only moves an order
forward (pending -> reserved -> paid -> confirmed) or cancels it, so a duplicated or late event
changes nothing.
"""
from outbox.api import Envelope, subscriber

from . import services
from .models import Order


@subscriber("inventory.ItemsReserved")
def mark_reserved(envelope: Envelope) -> None:
    """Its stock is held."""
    services.order_follow(order_id=envelope.payload["order_id"], status=Order.Status.RESERVED)


@subscriber("payments.PaymentProcessed")
def mark_paid(envelope: Envelope) -> None:
    """It was charged."""
    services.order_follow(order_id=envelope.payload["order_id"], status=Order.Status.PAID)


@subscriber("shipping.ShipmentScheduled")
def confirm_when_shipment_scheduled(envelope: Envelope) -> None:
    """Its pickup is scheduled: confirm it and send the confirmation."""
    services.order_follow(order_id=envelope.payload["order_id"], status=Order.Status.CONFIRMED)


@subscriber("inventory.ItemsReservationFailed")
def cancel_when_items_unavailable(envelope: Envelope) -> None:
    """Its stock could not be held: cancel it (the others undo their part on OrderCancelled)."""
    payload = envelope.payload
    services.order_follow_cancel(order_id=payload["order_id"], reason=payload["reason"], code=payload["code"])


@subscriber("payments.PaymentFailed")
def cancel_when_payment_failed(envelope: Envelope) -> None:
    """Its charge was declined or could not be made: cancel it."""
    payload = envelope.payload
    reason = payload["reason"]
    code = payload.get("code", "payment_declined")
    if code == "payment_declined" and not reason.startswith("payment declined"):
        reason = f"payment declined: {reason}"
    services.order_follow_cancel(order_id=payload["order_id"], reason=reason, code=code)
