"""Payments' subscribers: billing reacts to orders placed (the seed's BillingService)."""
from common.money import Money
from outbox.api import Envelope, subscriber

from . import services


@subscriber("orders.OrderPlaced", batch=True)
def create_invoice(envelope: Envelope) -> None:
    """Invoice every order placed."""
    payload = envelope.payload
    services.invoice_create(
        order_id=payload["order_id"], customer_id=payload["customer_id"], total=Money.from_dict(payload["total"]),
    )
