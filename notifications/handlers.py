"""Notifications' subscribers: the confirmation command, orders placed, and low stock alerts for staff."""
from outbox.api import Envelope, subscriber

from . import services


@subscriber("notifications.SendOrderConfirmation")
def send_order_confirmation(envelope: Envelope) -> None:
    """Handle the SendOrderConfirmation command: one email per order."""
    command = envelope.payload
    services.order_confirmation_send(
        order_id=command["order_id"], email=command["email"], total=command["total"], currency=command["currency"],
        lines=list(command["lines"]),
    )


@subscriber("orders.OrderPlaced", batch=True)
def record_order_placed(envelope: Envelope) -> None:
    """Keep a record of every order placed (the timeline staff see next to the emails)."""
    services.order_activity_record(
        order_id=envelope.payload["order_id"], event_name=envelope.name, occurred_at=envelope.occurred_at,
        summary=f"order placed by customer {envelope.payload['customer_id']}, "
                f"total {envelope.payload['total']['amount']} {envelope.payload['total']['currency']}",
    )


@subscriber("inventory.StockLow")
def alert_staff_stock_low(envelope: Envelope) -> None:
    """Email staff that a sku runs low."""
    services.stock_low_alert(
        sku=envelope.payload["sku"], available=envelope.payload["available"],
        threshold=envelope.payload["threshold"], event_id=str(envelope.event_id),
    )
