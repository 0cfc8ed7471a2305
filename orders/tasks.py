"""Celery commands handled by orders."""
from celery import shared_task

from . import saga


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
