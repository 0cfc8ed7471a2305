"""The worker side: run a subscriber's handler once per message, with its inbox record, and track attempts."""
from __future__ import annotations

import logging
import random
import traceback
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .envelope import Envelope, message_context
from .models import Delivery, InboxRecord, OutboxEvent
from .registry import Subscriber, subscriber_named, upcast
from .wake import wake_now

logger = logging.getLogger(__name__)


def envelope_of(event: OutboxEvent) -> Envelope:
    """The stored row as a subscriber sees it: by name and version, never by Python class."""
    return Envelope(
        event_id=event.event_id, name=event.name, version=event.version, aggregate_type=event.aggregate_type,
        aggregate_id=event.aggregate_id, occurred_at=event.occurred_at, payload=event.payload,
        headers=event.headers or {}, sequence=event.id,
    )


_INBOX_SQL = "INSERT INTO outbox_inboxrecord (event_id, subscriber, processed_at) VALUES (%s, %s, %s) " \
             "ON CONFLICT (event_id, subscriber) DO NOTHING"


def handle(subscriber: Subscriber, envelope: Envelope) -> bool:
    """Run the handler and record it in the inbox in one transaction; False when it had already run."""
    event_id = InboxRecord._meta.get_field("event_id").get_db_prep_value(envelope.event_id, connection)
    with transaction.atomic():
        with connection.cursor() as cursor:
            # Concurrent duplicates wait here on the unique index until the first commits, then do nothing.
            cursor.execute(_INBOX_SQL, [event_id, subscriber.name,
                                        connection.ops.adapt_datetimefield_value(timezone.now())])
            if cursor.rowcount == 0:
                return False
        with message_context(correlation_id=envelope.correlation_id, causation_id=str(envelope.event_id),
                             traceparent=envelope.traceparent):
            subscriber.handler(upcast(envelope, subscriber.version))
    return True


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter: half the doubled delay fixed, half random (never beyond the cap)."""
    config = settings.OUTBOX
    delay = min(config["RETRY_MAX_SECONDS"], config["RETRY_BASE_SECONDS"] * 2 ** max(attempts - 1, 0))
    return delay / 2 + random.uniform(0, delay / 2)


def _start(ids: list[int]) -> dict[int, int]:
    """Count an attempt on each delivery still in flight, before its handler runs; {id: attempts}."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.OUTBOX["LEASE_SECONDS"])
    placeholders = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        # One statement in autocommit: committed before the handler runs, so a handler that kills its
        # worker still uses up its attempts.
        cursor.execute(
            f"UPDATE outbox_delivery SET attempts = attempts + 1, leased_until = %s, updated_at = %s "
            f"WHERE status = 'in_flight' AND id IN ({placeholders}) RETURNING id, attempts",
            [connection.ops.adapt_datetimefield_value(lease), connection.ops.adapt_datetimefield_value(now), *ids],
        )
        return dict(cursor.fetchall())


def _give_up_or_retry(delivery: Delivery, max_attempts: int, error: str) -> None:
    """Dead once `max_attempts` are used up (0: dead now), else failed and due again after a backoff."""
    now = timezone.now()
    if delivery.attempts >= max_attempts:
        status, due = Delivery.Status.DEAD, now
        logger.error("delivery %s to %s is dead after %s attempts: %s", delivery.id, delivery.subscriber,
                     delivery.attempts, error.splitlines()[-1] if error else "")
    else:
        status, due = Delivery.Status.FAILED, now + timedelta(seconds=backoff_seconds(delivery.attempts))
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.IN_FLIGHT).update(
        status=status, next_attempt_at=due, leased_until=None, last_error=error[-4000:], updated_at=now
    )


def deliver_batch(subscriber_name: str, ids: list[int]) -> dict:
    """Run one subscriber's handler for each of its deliveries in `ids`; each in its own transaction."""
    subscriber = subscriber_named(subscriber_name)
    max_attempts = subscriber.max_attempts or settings.OUTBOX["MAX_ATTEMPTS"]
    attempts = _start(ids)
    deliveries = Delivery.objects.filter(id__in=list(attempts)).select_related("event").order_by("event_id")
    done, counts = [], {"handled": 0, "duplicate": 0, "failed": 0, "dead": 0}
    for delivery in deliveries:
        delivery.attempts = attempts[delivery.id]
        if delivery.attempts > max_attempts:
            # It was started max_attempts times and never finished: its handler keeps killing the worker.
            _give_up_or_retry(delivery, 0, f"gave up: started {max_attempts} times, never finished (worker lost)")
            counts["dead"] += 1
            continue
        try:
            handled = handle(subscriber, envelope_of(delivery.event))
        except Exception:
            _give_up_or_retry(delivery, max_attempts, traceback.format_exc())
            counts["failed"] += 1
            continue
        done.append(delivery.id)
        counts["handled" if handled else "duplicate"] += 1
    if done:
        Delivery.objects.filter(id__in=done, status=Delivery.Status.IN_FLIGHT).update(
            status=Delivery.Status.DONE, done_at=timezone.now(), leased_until=None, last_error=""
        )
    if subscriber.ordered and (done or counts["dead"]):
        wake_now()  # the next message of each aggregate may go now
    return counts
