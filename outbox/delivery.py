"""The worker side: run a subscriber's handler once per message, with its inbox record, and track attempts."""
from __future__ import annotations

import json
import logging
import random
import traceback
import uuid
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

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


def _record_in_inbox(subscriber: Subscriber, envelopes: list[Envelope], *, done_ids: list[int] = ()) -> set:
    """Insert the inbox rows in one statement; the event ids that were new (not handled before).

    With `done_ids` (PostgreSQL), the same statement marks those deliveries done: they commit (or roll back)
    with the handlers' effects, one round trip fewer.
    """
    field = InboxRecord._meta.get_field("event_id")
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params = []
    for envelope in envelopes:
        params += [field.get_db_prep_value(envelope.event_id, connection), subscriber.name, now]
    insert = ("INSERT INTO outbox_inboxrecord (event_id, subscriber, processed_at) VALUES "
              + ", ".join(["(%s, %s, %s)"] * len(envelopes))
              + " ON CONFLICT (event_id, subscriber) DO NOTHING RETURNING event_id")
    if done_ids:
        insert = (f"WITH inserted AS ({insert}), done AS ("
                  f"UPDATE outbox_delivery SET status = 'done', done_at = %s, leased_until = NULL, last_error = '' "
                  f"WHERE status = 'in_flight' AND id IN ({', '.join(['%s'] * len(done_ids))})) "
                  f"SELECT event_id FROM inserted")
        params += [now, *done_ids]
    with connection.cursor() as cursor:
        # Concurrent duplicates wait here on the unique index until the first commits, then do nothing.
        cursor.execute(insert, params)
        return {_uuid(row[0]) for row in cursor.fetchall()}


def _run(subscriber: Subscriber, envelope: Envelope) -> None:
    with message_context(correlation_id=envelope.correlation_id, causation_id=str(envelope.event_id),
                         traceparent=envelope.traceparent):
        subscriber.handler(upcast(envelope, subscriber.version))


def handle(subscriber: Subscriber, envelope: Envelope) -> bool:
    """Run the handler and record it in the inbox in one transaction; False when it had already run."""
    with transaction.atomic():
        if not _record_in_inbox(subscriber, [envelope]):
            return False
        _run(subscriber, envelope)
    return True


def _handle_together(subscriber: Subscriber, started: list[tuple[int, int, Envelope]]) -> dict | None:
    """Every delivery of the batch in one transaction, marked done in it too; None if a handler failed."""
    try:
        with transaction.atomic():
            ids = [delivery_id for delivery_id, _, _ in started]
            together = connection.vendor == "postgresql"  # SQLite has no data-modifying WITH
            fresh = _record_in_inbox(subscriber, [envelope for _, _, envelope in started],
                                     done_ids=ids if together else ())
            for _, _, envelope in started:
                if envelope.event_id in fresh:
                    _run(subscriber, envelope)
            if not together:
                _mark_done(ids)
    except Exception:
        logger.info("a batch of %s failed; handling its deliveries one by one", subscriber.name, exc_info=True)
        return None
    return {"handled": len(fresh), "duplicate": len(started) - len(fresh), "failed": 0, "dead": 0}


def _mark_done(ids: list[int]) -> None:
    Delivery.objects.filter(id__in=ids, status=Delivery.Status.IN_FLIGHT).update(
        status=Delivery.Status.DONE, done_at=timezone.now(), leased_until=None, last_error=""
    )


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter: half the doubled delay fixed, half random (never beyond the cap)."""
    config = settings.OUTBOX
    delay = min(config["RETRY_MAX_SECONDS"], config["RETRY_BASE_SECONDS"] * 2 ** max(attempts - 1, 0))
    return delay / 2 + random.uniform(0, delay / 2)


_EVENT_COLUMNS = "e.id, e.event_id, e.name, e.version, e.aggregate_type, e.aggregate_id, e.occurred_at, e.payload, " \
                 "e.headers"
# Asynchronous commit for this bookkeeping statement only: no wait for the WAL flush before the handler
# starts. A kill -9 of the worker loses nothing (the commit is in PostgreSQL); a crash of PostgreSQL itself
# could forget the last attempt counts, which only lets a delivery run once more.
_START_SQL = f"""
WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true))
UPDATE outbox_delivery SET attempts = attempts + 1, leased_until = %s, updated_at = %s
FROM outbox_outboxevent e, async_commit
WHERE e.id = outbox_delivery.event_id AND outbox_delivery.status = 'in_flight' AND outbox_delivery.id IN ({{ids}})
RETURNING outbox_delivery.id, outbox_delivery.attempts, {_EVENT_COLUMNS}
"""
# SQLite's RETURNING sees only the updated table: count the attempts, then read the messages (no network hop).
_START_SQLITE = """
UPDATE outbox_delivery SET attempts = attempts + 1, leased_until = %s, updated_at = %s
WHERE status = 'in_flight' AND id IN ({ids}) RETURNING id, attempts
"""
_READ_SQLITE = f"""
SELECT d.id, d.attempts, {_EVENT_COLUMNS} FROM outbox_delivery d JOIN outbox_outboxevent e ON e.id = d.event_id
WHERE d.id IN ({{ids}})
"""


def _start(ids: list[int]) -> list[tuple[int, int, Envelope]]:
    """Count an attempt on each delivery still in flight, before its handler runs: (id, attempts, envelope)."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.OUTBOX["LEASE_SECONDS"])
    with connection.cursor() as cursor:
        # One statement in autocommit: committed before the handler runs, so a handler that kills its
        # worker still uses up its attempts; it also reads the messages, saving a round trip.
        times = [connection.ops.adapt_datetimefield_value(lease), connection.ops.adapt_datetimefield_value(now)]
        if connection.vendor == "sqlite":
            cursor.execute(_START_SQLITE.format(ids=", ".join(["%s"] * len(ids))), [*times, *ids])
            started_ids = [row[0] for row in cursor.fetchall()]
            rows = []
            if started_ids:
                cursor.execute(_READ_SQLITE.format(ids=", ".join(["%s"] * len(started_ids))), started_ids)
                rows = cursor.fetchall()
        else:
            cursor.execute(_START_SQL.format(ids=", ".join(["%s"] * len(ids))), [*times, *ids])
            rows = cursor.fetchall()
    started = [
        (delivery_id, attempts, Envelope(
            event_id=_uuid(event_id), name=name, version=version, aggregate_type=aggregate_type,
            aggregate_id=aggregate_id, occurred_at=_datetime(occurred_at), payload=_json(payload),
            headers=_json(headers) or {}, sequence=sequence,
        ))
        for delivery_id, attempts, sequence, event_id, name, version, aggregate_type, aggregate_id, occurred_at,
        payload, headers in rows
    ]
    return sorted(started, key=lambda item: item[2].sequence)


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))  # SQLite keeps UUIDs as hex text


def _datetime(value) -> datetime:
    if isinstance(value, str):  # SQLite keeps UTC text
        value = parse_datetime(value)
    return value if timezone.is_aware(value) else timezone.make_aware(value, dt_timezone.utc)


def _json(value):
    return json.loads(value) if isinstance(value, (str, bytes)) else value


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
    """Run one subscriber's handler for each of its deliveries in `ids` (together if it allows, else one by one)."""
    subscriber = subscriber_named(subscriber_name)
    started = _start(ids)
    max_attempts = subscriber.max_attempts or settings.OUTBOX["MAX_ATTEMPTS"]
    counts = None
    if subscriber.batch and started and all(attempts <= max_attempts for _, attempts, _ in started):
        counts = _handle_together(subscriber, started)
    if counts is None:
        counts = _handle_one_by_one(subscriber, started, max_attempts)
    if subscriber.ordered and (counts["handled"] or counts["duplicate"] or counts["dead"]):
        wake_now()  # the next message of each aggregate may go now
    return counts


def _handle_one_by_one(subscriber: Subscriber, started, max_attempts: int) -> dict:
    """Each delivery in its own transaction, so one failure (or an email sent) is never rolled back with others."""
    done, counts = [], {"handled": 0, "duplicate": 0, "failed": 0, "dead": 0}
    for delivery_id, attempts, envelope in started:
        delivery = Delivery(id=delivery_id, subscriber=subscriber.name, attempts=attempts)
        if attempts > max_attempts:
            # It was started max_attempts times and never finished: its handler keeps killing the worker.
            _give_up_or_retry(delivery, 0, f"gave up: started {max_attempts} times, never finished (worker lost)")
            counts["dead"] += 1
            continue
        try:
            handled = handle(subscriber, envelope)
        except Exception:
            _give_up_or_retry(delivery, max_attempts, traceback.format_exc())
            counts["failed"] += 1
            continue
        done.append(delivery_id)
        counts["handled" if handled else "duplicate"] += 1
    if done:
        _mark_done(done)
    return counts
