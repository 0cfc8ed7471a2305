"""Celery commands handled by orders."""
from celery import shared_task
from django.conf import settings

from . import saga, services


@shared_task(name="orders.resume_saga")
def resume_saga(*, order_id: str) -> str:
    """Go on with a checkout saga that waited for a retry (nothing happens if someone else runs it)."""
    return saga.saga_resume(order_id=order_id).status


@shared_task(name="orders.resume_stuck_sagas")
def resume_stuck_sagas() -> int:
    """Periodic: resume every saga whose step deadline passed (its process died, or a call hung)."""
    stuck = saga.sagas_stuck()
    for order_id in stuck:
        resume_saga.delay(order_id=order_id)
    return len(stuck)


@shared_task(name="orders.expire_stalled_checkouts")
def expire_stalled_checkouts() -> int:
    """Periodic: cancel choreographed orders whose checkout stalled before the charge (the saga's give-up)."""
    return len(services.orders_expire_stalled(older_than_seconds=settings.CHOREOGRAPHY_TIMEOUT))
