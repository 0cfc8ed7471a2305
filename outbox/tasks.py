"""Celery tasks of the outbox: deliver a batch to one subscriber, the relay's safety net, and retention."""
from celery import shared_task

from . import delivery, relay, retention


@shared_task(name="outbox.deliver", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver(subscriber: str, delivery_ids: list[int]) -> dict:
    """Handle deliveries of one subscriber; a lost worker requeues the message, attempts cap the redeliveries."""
    return delivery.deliver_batch(subscriber, delivery_ids)


@shared_task(name="outbox.relay", ignore_result=True)
def relay_outbox() -> int:
    """Safety net run by beat: a relay pass on every database, in case no relay process is running."""
    return relay.relay_every_database()


@shared_task(name="outbox.prune", ignore_result=True)
def prune_outbox() -> dict:
    """Retention run by beat: prune delivered work past its retention (outbox.retention), in bounded batches."""
    return retention.prune_every_database()
