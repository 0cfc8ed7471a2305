"""Orders' subscribers: a choreographed checkout advancing on each context's event, and the ResumeCheckout command.

Orders alone knows how an order's checkout runs: an event about an orchestrated order changes nothing
here (its saga drives it), and nothing outside orders ever sees the mode.
"""
from outbox.api import Envelope, subscriber

from . import saga


@subscriber("orders.ResumeCheckout")
def resume_checkout(envelope: Envelope) -> None:
    """Run the order's checkout on from where it is (started, waiting for a retry, or stuck)."""
    saga.saga_resume(order_id=envelope.payload["order_id"])


@subscriber("inventory.ItemsReserved")
def charge_when_items_reserved(envelope: Envelope) -> None:
    """Its stock is held: choreographed, the charge comes next."""
    saga.checkout_follow(order_id=envelope.payload["order_id"])


@subscriber("payments.PaymentProcessed")
def ship_when_paid(envelope: Envelope) -> None:
    """It was charged: choreographed, the shipment comes next."""
    saga.checkout_follow(order_id=envelope.payload["order_id"])


@subscriber("shipping.ShipmentScheduled")
def confirm_when_shipment_scheduled(envelope: Envelope) -> None:
    """Its pickup is scheduled: choreographed, confirm it and send the confirmation."""
    saga.checkout_follow(order_id=envelope.payload["order_id"])


@subscriber("inventory.ReservationExpired")
def undo_when_reservation_expired(envelope: Envelope) -> None:
    """Its stock's hold ran out: a checkout not yet paid is cancelled and undone (either mode)."""
    saga.checkout_reservation_expired(order_id=envelope.payload["order_id"])
