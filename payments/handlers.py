"""Payments' subscribers: billing reacts to orders placed (the seed's BillingService), and the choreographed
checkout's reactions: charge once stock is held, refund (or void) when the order is cancelled."""
from common.money import Money
from outbox.api import Envelope, subscriber

from . import services


@subscriber("orders.OrderPlaced", batch=True)
def create_invoice(envelope: Envelope) -> None:
    """Invoice every order placed."""
    payload = envelope.payload
    services.invoice_create(
        order_id=payload["order_id"], customer_id=payload["customer_id"], total=Money.from_dict(payload["total"]),
        checkout=payload.get("checkout", "orchestrated"), payment_token=payload.get("payment_token", ""),
    )


@subscriber("inventory.ItemsReserved")
def charge_when_items_reserved(envelope: Envelope) -> None:
    """Choreography: stock is held for the order, so charge it."""
    services.payment_charge_for_reserved_order(order_id=envelope.payload["order_id"])


@subscriber("orders.OrderCancelled")
def refund_when_order_cancelled(envelope: Envelope) -> None:
    """Choreography: give back what was charged, or void the order so a late charge is refused."""
    if envelope.payload.get("checkout") == "choreographed":
        services.payment_refund(order_id=envelope.payload["order_id"])
