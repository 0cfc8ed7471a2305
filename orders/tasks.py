"""Celery commands handled by orders."""
from celery import shared_task
from django.conf import settings

from common.errors import BoundaryUnavailable

from . import checkout


@shared_task(name="orders.complete_payment", bind=True, max_retries=None)
def complete_payment(self, *, order_id: str) -> str:
    """Charge a payment-pending order, retrying with backoff while payments is away; give up after a while."""
    policy = settings.PAYMENT_COMPLETION
    try:
        if self.request.retries >= policy["max_attempts"]:
            return checkout.order_give_up_payment(order_id=order_id).status
        return checkout.order_complete_payment(order_id=order_id).status
    except BoundaryUnavailable as error:
        # Capped well below the broker's visibility timeout, so a countdown never runs twice.
        countdown = min(policy["backoff_max"], policy["backoff_initial"] * 2 ** self.request.retries)
        raise self.retry(exc=error, countdown=countdown)
