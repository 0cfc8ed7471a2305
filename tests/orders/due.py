"""Skip a checkout's wait: make its retry due, then let the sweeper and the outbox run it (as beat and a worker would).

Orders' handlers run the saga after their delivery commits; in a test's transaction nothing commits, so
deliver() runs those callbacks itself (in a transactional test they have run at the commit already)."""
from django.test import TestCase
from django.utils import timezone

from orders.models import CheckoutSaga
from orders.tasks import resume_stuck_sagas
from tests.conftest import deliver_outbox


def resume_due(order_id: str | None = None) -> int:
    """Make waiting sagas (or just this order's) due now, sweep once, and deliver; returns commands sent."""
    waiting = CheckoutSaga.objects.filter(waiting=True)
    if order_id is not None:
        waiting = waiting.filter(pk=order_id)
    waiting.update(deadline=timezone.now())
    sent = resume_stuck_sagas.apply().get()
    deliver()
    return sent


def deliver() -> int:
    """deliver_outbox(), and what the handlers left to run after their commit (a test's transaction never commits)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return deliver_outbox()
