"""Celery commands handled by notifications."""
from celery import shared_task

from . import services


@shared_task(name="notifications.send_order_confirmation", autoretry_for=(OSError,), retry_backoff=True,
             max_retries=5)
def send_order_confirmation(*, order_id: str, email: str, total: str, currency: str, lines: list[str]) -> int:
    """Send the order confirmation email; a second run sends nothing more."""
    return services.order_confirmation_send(
        order_id=order_id, email=email, total=total, currency=currency, lines=list(lines)
    ).pk
