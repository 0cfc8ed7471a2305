"""Inventory's subscribers: stock leaving with shipments (a paid order's stock is kept through InventoryApi)."""
from outbox.api import Envelope, subscriber

from . import services


@subscriber("shipping.ShipmentDispatched")
def commit_when_shipment_dispatched(envelope: Envelope) -> None:
    """The order's units left the warehouse: reserved becomes sold."""
    services.stock_commit(order_id=envelope.payload["order_id"])
