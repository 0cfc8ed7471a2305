"""The worker side: run a subscriber's handler once per message, with its inbox record, and track attempts."""
from __future__ import annotations

import json
import logging
import random
import time
import traceback
import uuid
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from common.errors import NotYetKnown

from . import tracing
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
        # Asynchronous commit, as for _START_SQL: a crash of PostgreSQL itself may forget the last few hundred
        # milliseconds of commits, and then forgets each handler's effects, inbox row and done mark together
        # (they are one transaction), so the delivery runs again; any later synchronous commit (a producer's)
        # makes them durable. It saves the WAL flush per delivery, the largest cost the outbox adds to one.
        insert = (f"WITH inserted AS ({insert}), done AS ("
                  f"UPDATE outbox_delivery SET status = 'done', done_at = %s, leased_until = NULL, last_error = '' "
                  f"WHERE status = 'in_flight' AND id IN ({', '.join(['%s'] * len(done_ids))})), "
                  f"async_commit AS (SELECT set_config('synchronous_commit', %s, true)) "
                  f"SELECT event_id FROM inserted, async_commit")
        params += [now, *done_ids, "on" if settings.OUTBOX["SYNCHRONOUS_HANDLER_COMMIT"] else "off"]
    with connection.cursor() as cursor:
        # Concurrent duplicates wait here on the unique index until the first commits, then do nothing.
        cursor.execute(insert, params)
        return {_uuid(row[0]) for row in cursor.fetchall()}


def _run(subscriber: Subscriber, envelope: Envelope) -> None:
    with message_context(correlation_id=envelope.correlation_id, causation_id=str(envelope.event_id),
                         traceparent=envelope.traceparent), tracing.handling(subscriber=subscriber.name,
                                                                             envelope=envelope):
        subscriber.handler(upcast(envelope, subscriber.version))


def handle(subscriber: Subscriber, envelope: Envelope, *, delivery_id: int | None = None) -> bool:
    """Run the handler and record it in the inbox in one transaction; False when it had already run.

    With `delivery_id` on PostgreSQL, the delivery is marked done in that transaction too (the caller need not).
    """
    with transaction.atomic():
        done_ids = [delivery_id] if delivery_id is not None and connection.vendor == "postgresql" else ()
        if not _record_in_inbox(subscriber, [envelope], done_ids=done_ids):
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
UPDATE outbox_delivery SET attempts = attempts + 1, leased_until = %s, updated_at = %s, started_at = %s
FROM outbox_outboxevent e, async_commit
WHERE e.id = outbox_delivery.event_id AND outbox_delivery.status = 'in_flight' AND outbox_delivery.id IN ({{ids}})
RETURNING outbox_delivery.id, outbox_delivery.attempts, {_EVENT_COLUMNS}
"""
# SQLite's RETURNING sees only the updated table: count the attempts, then read the messages (no network hop).
_START_SQLITE = """
UPDATE outbox_delivery SET attempts = attempts + 1, leased_until = %s, updated_at = %s, started_at = %s
WHERE status = 'in_flight' AND id IN ({ids}) RETURNING id, attempts
"""
_READ_SQLITE = f"""
SELECT d.id, d.attempts, {_EVENT_COLUMNS} FROM outbox_delivery d JOIN outbox_outboxevent e ON e.id = d.event_id
WHERE d.id IN ({{ids}})
"""


def _start(ids: list[int]) -> tuple[list[tuple[int, int, Envelope]], list[tuple[int, int, str]]]:
    """Count an attempt on each delivery still in flight, before its handler runs.

    Returns the started ones as (id, attempts, envelope), in publication order, and the ones whose stored
    message cannot be read as (id, attempts, error): one malformed row never stops its neighbours.
    """
    now = timezone.now()
    lease = now + timedelta(seconds=settings.OUTBOX["LEASE_SECONDS"])
    with connection.cursor() as cursor:
        # One statement in autocommit: committed before the handler runs, so a handler that kills its
        # worker still uses up its attempts; it also reads the messages, saving a round trip.
        times = [connection.ops.adapt_datetimefield_value(lease), connection.ops.adapt_datetimefield_value(now),
                 connection.ops.adapt_datetimefield_value(now)]
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
    started, unreadable = [], []
    for delivery_id, attempts, *message in rows:
        try:
            started.append((delivery_id, attempts, _envelope_from_row(*message)))
        except Exception:
            unreadable.append((delivery_id, attempts, "unreadable stored message\n" + traceback.format_exc()))
    return sorted(started, key=lambda item: item[2].sequence), unreadable


def _envelope_from_row(sequence, event_id, name, version, aggregate_type, aggregate_id, occurred_at, payload,
                       headers) -> Envelope:
    payload, headers = _json(payload), _json(headers) or {}
    if not isinstance(payload, dict) or not isinstance(headers, dict):
        raise ValueError(f"payload and headers must be JSON objects, not {type(payload).__name__} "
                         f"and {type(headers).__name__}")
    return Envelope(event_id=_uuid(event_id), name=name, version=version, aggregate_type=aggregate_type,
                    aggregate_id=aggregate_id, occurred_at=_datetime(occurred_at), payload=payload,
                    headers=headers, sequence=sequence)


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
                     delivery.attempts, error.strip().splitlines()[-1] if error.strip() else "")
    else:
        status, due = Delivery.Status.FAILED, now + timedelta(seconds=backoff_seconds(delivery.attempts))
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.IN_FLIGHT).update(
        status=status, next_attempt_at=due, leased_until=None, last_error=error[-4000:], updated_at=now
    )


def wait_seconds(age: float) -> float:
    """How long a delivery waiting for an earlier message sleeps: short at first, a few seconds later on."""
    config = settings.OUTBOX
    return min(config["WAIT_MAX_DELAY_SECONDS"], max(config["RETRY_BASE_SECONDS"] / 2, age / 4))


def _wait_or_give_up(delivery: Delivery, envelope: Envelope, error: NotYetKnown) -> bool:
    """The message arrived before the one it follows: try again soon without spending an attempt.

    Waiting has its own budget, in time since the message occurred (WAIT_SECONDS, far beyond the seconds a
    lost message takes to be sent again); past it the delivery is dead, with the reason. True while waiting.
    """
    now = timezone.now()
    age = (now - envelope.occurred_at).total_seconds()
    if age > settings.OUTBOX["WAIT_SECONDS"]:
        _give_up_or_retry(delivery, 0, f"gave up waiting {age:.0f}s for an earlier message: {error}")
        return False
    # "failed (will retry)" with the attempt given back: the admin's retry-now applies, the budget does not.
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.IN_FLIGHT).update(
        status=Delivery.Status.FAILED, attempts=F("attempts") - 1, leased_until=None, started_at=None,
        next_attempt_at=now + timedelta(seconds=wait_seconds(age)), last_error=f"waiting: {error}", updated_at=now,
    )
    return True


def _database_lost(error: Exception) -> bool:
    """True when `error` is the database going away (a restart, a dropped connection), not the handler's fault."""
    if connection.vendor != "postgresql" or not isinstance(error, (OperationalError, InterfaceError)):
        return False
    # No SQLSTATE: the client lost the connection; 08: connection exception; 57P: the server shut down or
    # terminated the session. Not 57014 (statement timeout) or 40P01 (deadlock): those are the handler's.
    sqlstate = getattr(error.__cause__, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith(("08", "57P"))


def _put_back(done: list[int], unfinished: list[int], *, seconds: float = 10.0) -> None:
    """After the database went away mid-batch: mark what finished, and return the rest unspent (refunded).

    Tries for `seconds` while the database comes back; if it stays away, the leases bring them back later.
    """
    deadline = time.monotonic() + seconds
    while True:
        try:
            connection.close()
            with transaction.atomic():
                if done:
                    _mark_done(done)
                Delivery.objects.filter(id__in=unfinished, status=Delivery.Status.IN_FLIGHT).update(
                    status=Delivery.Status.PENDING, attempts=F("attempts") - 1, leased_until=None, started_at=None,
                    next_attempt_at=timezone.now(), updated_at=timezone.now(),
                )
            logger.warning("the database went away mid-batch; %s deliveries put back without spending an attempt",
                           len(unfinished))
            return
        except DatabaseError:
            if time.monotonic() > deadline:
                logger.warning("the database is still away; %s deliveries come back when their lease expires",
                               len(unfinished))
                connection.close()
                return
            time.sleep(0.5)


def deliver_batch(subscriber_name: str, ids: list[int]) -> dict:
    """Run one subscriber's handler for each of its deliveries in `ids` (together if it allows, else one by one)."""
    subscriber = subscriber_named(subscriber_name)
    counts = {"handled": 0, "duplicate": 0, "failed": 0, "dead": 0, "waiting": 0}
    try:
        started, unreadable = _start(ids)
    except DatabaseError as error:
        if not _database_lost(error):
            raise
        # Nothing was counted: the deliveries are still in their hand-off lease and go out again once it ends.
        logger.warning("database unavailable when starting deliveries %s: %s", ids, error)
        connection.close()
        return counts
    max_attempts = subscriber.max_attempts or settings.OUTBOX["MAX_ATTEMPTS"]
    for delivery_id, attempts, error in unreadable:
        # A stored message that cannot be read never will be: dead-lettered at once, with why (replayable).
        _give_up_or_retry(Delivery(id=delivery_id, subscriber=subscriber.name, attempts=attempts), 0, error)
        counts["dead"] += 1
    together = None
    if subscriber.batch and started and all(attempts <= max_attempts for _, attempts, _ in started):
        together = _handle_together(subscriber, started)
    for key, value in (together or _handle_one_by_one(subscriber, started, max_attempts)).items():
        counts[key] += value
    if subscriber.ordered and (counts["handled"] or counts["duplicate"] or counts["dead"]):
        wake_now()  # the next message of each aggregate may go now
    return counts


def _handle_one_by_one(subscriber: Subscriber, started, max_attempts: int) -> dict:
    """Each delivery in its own transaction, so one failure (or an email sent) is never rolled back with others."""
    done, counts = [], {"handled": 0, "duplicate": 0, "failed": 0, "dead": 0, "waiting": 0}
    for position, (delivery_id, attempts, envelope) in enumerate(started):
        delivery = Delivery(id=delivery_id, subscriber=subscriber.name, attempts=attempts)
        if attempts > max_attempts:
            # It was started max_attempts times and never finished: its handler keeps killing the worker.
            _give_up_or_retry(delivery, 0, f"gave up: started {max_attempts} times, never finished (worker lost)")
            counts["dead"] += 1
            continue
        try:
            handled = handle(subscriber, envelope, delivery_id=delivery_id)
        except NotYetKnown as error:
            counts["waiting" if _wait_or_give_up(delivery, envelope, error) else "dead"] += 1
            continue
        except Exception as error:
            if _database_lost(error):
                _put_back(done, [item[0] for item in started[position:]])
                return counts
            _give_up_or_retry(delivery, max_attempts, traceback.format_exc())
            counts["failed"] += 1
            continue
        if connection.vendor != "postgresql":  # there, handle() marked it done in its own transaction
            done.append(delivery_id)
        counts["handled" if handled else "duplicate"] += 1
    if done:
        _mark_done(done)
    return counts
