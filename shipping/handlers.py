"""Shipping's subscribers: the choreographed checkout's shipment, scheduled once paid and called off on cancel."""
from outbox.api import Envelope, subscriber

from . import services


@subscriber("orders.OrderPlaced")
def remember_order_placed(envelope: Envelope) -> None:
    """Keep what a later PaymentProcessed needs: the address, and how the order's checkout runs."""
    payload = envelope.payload
    services.shipment_request_record(
        order_id=payload["order_id"], address=payload.get("shipping_address", ""),
        checkout=payload.get("checkout", "orchestrated"),
    )


@subscriber("payments.PaymentProcessed")
def schedule_when_paid(envelope: Envelope) -> None:
    """Choreography: the order is paid, so schedule its pickup (ShipmentScheduled)."""
    services.shipment_schedule_for_paid_order(order_id=envelope.payload["order_id"])


@subscriber("orders.OrderCancelled")
def cancel_when_order_cancelled(envelope: Envelope) -> None:
    """Choreography: call the shipment off (and refuse one scheduled later)."""
    if envelope.payload.get("checkout") == "choreographed":
        services.shipment_cancel(order_id=envelope.payload["order_id"])
