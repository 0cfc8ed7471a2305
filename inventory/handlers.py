"""Inventory's subscribers: the choreographed checkout's reservation and its undoing, and stock leaving with shipments."""
from outbox.api import Envelope, subscriber

from . import services
from .api import StockLine

CHOREOGRAPHED = "choreographed"


@subscriber("orders.OrderPlaced")
def reserve_when_order_placed(envelope: Envelope) -> None:
    """Choreography: hold the order's stock (ItemsReserved), or say why not (ItemsReservationFailed)."""
    payload = envelope.payload
    if payload.get("checkout") != CHOREOGRAPHED:
        return  # the orchestrator reserves it
    services.stock_reserve_for_placed_order(
        order_id=payload["order_id"], lines=[StockLine(line["sku"], line["quantity"]) for line in payload["lines"]]
    )


@subscriber("orders.OrderCancelled")
def release_when_order_cancelled(envelope: Envelope) -> None:
    """Choreography: give the order's stock back (and refuse a reservation arriving later)."""
    if envelope.payload.get("checkout") == CHOREOGRAPHED:
        services.stock_release(order_id=envelope.payload["order_id"])


@subscriber("shipping.ShipmentDispatched")
def commit_when_shipment_dispatched(envelope: Envelope) -> None:
    """The order's units left the warehouse: reserved becomes sold (either checkout)."""
    services.stock_commit(order_id=envelope.payload["order_id"])
