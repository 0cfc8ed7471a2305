"""Celery commands handled by notifications (the outbox delivers SendOrderConfirmation; this is its manual door)."""
from celery import shared_task

from common.tasks import RedeliveryCappedTask

from . import services


@shared_task(name="notifications.send_order_confirmation", base=RedeliveryCappedTask, autoretry_for=(OSError,),
             retry_backoff=True, retry_backoff_max=600, max_retries=5)
def send_order_confirmation(*, order_id: str, email: str, total: str, currency: str, lines: list[str]) -> int:
    """Send the order confirmation email; a second run sends nothing more."""
    # retry_backoff_max (600 s) stays below the Redis visibility timeout (3600 s): no countdown runs twice.
    return services.order_confirmation_send(
        order_id=order_id, email=email, total=total, currency=currency, lines=list(lines)
    ).pk
