"""Inventory's subscribers: a paid order's stock kept for it, and stock leaving with shipments."""
from outbox.api import Envelope, subscriber

from . import services


@subscriber("shipping.ShipmentDispatched")
def commit_when_shipment_dispatched(envelope: Envelope) -> None:
    """The order's units left the warehouse: reserved becomes sold."""
    services.stock_commit(order_id=envelope.payload["order_id"])


@subscriber("payments.PaymentProcessed", batch=True)
def hold_when_paid(envelope: Envelope) -> None:
    """The order was paid: its reservation is a sale, no longer released when its hold time passes."""
    services.stock_hold_for_sale(order_id=envelope.payload["order_id"])
