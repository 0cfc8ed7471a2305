"""Skip a checkout's wait: make its retry due, then let the sweeper and the outbox run it (as beat and a worker would).

deliver() is the one in-process relay driver (tests/helpers.py), under the name these tests call it by."""
from django.utils import timezone

from orders.models import CheckoutSaga
from orders.tasks import resume_stuck_sagas
from tests.helpers import deliver_outbox

deliver = deliver_outbox


def resume_due(order_id: str | None = None) -> int:
    """Make waiting sagas (or just this order's) due now, sweep once, and deliver; returns commands sent."""
    waiting = CheckoutSaga.objects.filter(waiting=True)
    if order_id is not None:
        waiting = waiting.filter(pk=order_id)
    waiting.update(deadline=timezone.now())
    sent = resume_stuck_sagas.apply().get()
    deliver()
    return sent
