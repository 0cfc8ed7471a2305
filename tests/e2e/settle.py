"""Drive both checkout modes to rest in one process: relay and handle outbox messages, resume waiting sagas.

`down` names contexts whose processes are "stopped": in the orchestrated mode their boundary aborts
every call (fault injection); in the choreographed mode their subscribers' deliveries stay queued,
as they would with no worker consuming that context's queue.
"""
from __future__ import annotations

from django.utils import timezone

from common.db import aliases, using
from outbox.delivery import deliver_batch
from outbox.models import Delivery
from outbox.relay import claim, fan_out


def settle(*, down: frozenset[str] = frozenset(), rounds: int = 40) -> None:
    """Run everything that is due (failed deliveries and waiting sagas count as due) until nothing moves."""
    from orders.models import CheckoutSaga
    from orders.saga import saga_resume

    for _ in range(rounds):
        moved = 0
        for alias in aliases():  # a relay per database (one in the monolith)
            with using(alias):
                # Backoffs are the relay's business; here time is skipped so retries happen now.
                Delivery.objects.filter(status=Delivery.Status.FAILED).update(next_attempt_at=timezone.now())
                _, in_flight = fan_out(batch=1000)
                work: dict[str, list[int]] = {}
                for delivery_id, subscriber in in_flight + claim(batch=1000):
                    work.setdefault(subscriber, []).append(delivery_id)
                for subscriber, ids in work.items():
                    if subscriber.split(".")[0] in down:
                        # Nobody consumes this context's queue: the messages wait.
                        Delivery.objects.filter(id__in=ids).update(status=Delivery.Status.PENDING, leased_until=None)
                        continue
                    deliver_batch(subscriber, ids)
                    moved += len(ids)
        for order_id in CheckoutSaga.objects.filter(waiting=True).values_list("pk", flat=True):
            before = CheckoutSaga.objects.get(pk=order_id).log.count()
            saga_resume(order_id=str(order_id))
            moved += CheckoutSaga.objects.get(pk=order_id).log.count() != before and not down
        if not moved:
            return
