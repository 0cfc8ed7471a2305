"""Notifications' public surface: the commands other contexts may send, stored in the outbox with their change."""
from __future__ import annotations

from dataclasses import dataclass

from outbox.api import OrderCommand, send


@dataclass(frozen=True, kw_only=True)
class SendOrderConfirmation(OrderCommand):
    """Command: tell the customer their order is confirmed. Sent once per order, however often it runs."""

    name = "notifications.SendOrderConfirmation"
    email: str
    total: str
    currency: str
    lines: tuple[str, ...]


def send_order_confirmation(command: SendOrderConfirmation) -> None:
    """Queue the command for notifications: written to the outbox in the caller's transaction."""
    # Through the outbox, not transaction.on_commit: it commits with the order, so neither a broker that is
    # down at that moment nor a crash right after the commit can lose it; the relay retries until delivered.
    send(command)
