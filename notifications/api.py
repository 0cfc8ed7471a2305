"""Notifications' public surface: commands other contexts may send, as Celery tasks after commit."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from celery import current_app
from django.db import transaction


@dataclass(frozen=True)
class SendOrderConfirmation:
    """Command: tell the customer their order is confirmed. Sent once per order, however often it runs."""

    order_id: str
    email: str
    total: str
    currency: str
    lines: tuple[str, ...]


def send_order_confirmation(command: SendOrderConfirmation) -> None:
    """Queue the command for the notifications worker once the caller's transaction commits."""
    # Sent by name, as a remote service would; on_commit, so a rolled-back order sends nothing.
    signature = current_app.signature("notifications.send_order_confirmation", kwargs=asdict(command))
    # robust: a broker hiccup must not turn a committed order into an error response.
    transaction.on_commit(signature.apply_async, robust=True)
