"""Celery beat tasks of orders (commands reach orders through the outbox: ResumeCheckout)."""
from celery import shared_task

from . import saga


@shared_task(name="orders.resume_stuck_sagas")
def resume_stuck_sagas() -> int:
    """Periodic: send ResumeCheckout for every checkout whose deadline passed (retry due, process died, call hung)."""
    return saga.sagas_resume_stuck()
