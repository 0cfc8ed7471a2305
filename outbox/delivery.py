"""The worker side: run a subscriber's handler once per message, with its inbox record, and track attempts."""
from __future__ import annotations

import logging
import random
import time
import traceback
from contextlib import nullcontext
from datetime import timedelta

from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from common.db import alias_for, connection, current_alias, using
from common.errors import NotYetKnown
from common.observers import observer

from . import tracing
from .conf import outbox_settings
from .dialects import dialect
from .envelope import Envelope, message_context
from .models import Delivery, OutboxEvent
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

    With `done_ids` (a dialect that marks_done_with_inbox), the same statement marks those deliveries done: they
    commit (or roll back) with the handlers' effects.
    """
    return dialect(connection).record_in_inbox(
        subscriber.name, [envelope.event_id for envelope in envelopes], now=timezone.now(), done_ids=done_ids,
        synchronous=outbox_settings.OUTBOX["SYNCHRONOUS_HANDLER_COMMIT"])


def _run(subscriber: Subscriber, envelope: Envelope) -> None:
    with (message_context(correlation_id=envelope.correlation_id, causation_id=str(envelope.event_id),
                          traceparent=envelope.traceparent),
          observer().handling(subscriber, envelope),
          tracing.handling(subscriber=subscriber.name, envelope=envelope)):
        subscriber.handler(upcast(envelope, subscriber.version))


def _run_after_commit(subscriber: Subscriber, envelope: Envelope) -> None:
    # The delivery is recorded and done already: a failure is the handler's own to recover from, so it is logged
    # (as a robust on_commit callback's would be) and the next delivery of the batch still runs.
    try:
        _run(subscriber, envelope)
    except Exception:
        logger.exception("%s failed on %s %s after its delivery was recorded (not retried by the outbox)",
                         subscriber.name, envelope.name, envelope.event_id)


def _transaction(subscriber: Subscriber):
    """The delivery's transaction: none around an after_commit subscriber's inbox statement (it commits alone)."""
    return nullcontext() if subscriber.after_commit else transaction.atomic(using=current_alias())


def handle(subscriber: Subscriber, envelope: Envelope, *, delivery_id: int | None = None) -> bool:
    """Run the handler and record it in the inbox in one transaction; False when it had already run.

    With `delivery_id` on PostgreSQL, the delivery is marked done in that transaction too (the caller need not).
    An after_commit subscriber's inbox row (and done mark) commits first, by itself, and its handler runs after.
    """
    with _transaction(subscriber):
        done_ids = [delivery_id] if delivery_id is not None and dialect(connection).marks_done_with_inbox else ()
        if not _record_in_inbox(subscriber, [envelope], done_ids=done_ids):
            return False
        if not subscriber.after_commit:
            _run(subscriber, envelope)
    if subscriber.after_commit:
        _run_after_commit(subscriber, envelope)
    return True


def _handle_together(subscriber: Subscriber, started: list[tuple[int, int, Envelope]]) -> dict | None:
    """Every delivery of the batch in one transaction, marked done in it too; None if a handler failed."""
    try:
        with _transaction(subscriber):
            ids = [delivery_id for delivery_id, _, _ in started]
            together = dialect(connection).marks_done_with_inbox
            fresh = _record_in_inbox(subscriber, [envelope for _, _, envelope in started],
                                     done_ids=ids if together else ())
            for _, _, envelope in started:
                if envelope.event_id in fresh and not subscriber.after_commit:
                    _run(subscriber, envelope)
            if not together:
                _mark_done(ids)
    except Exception:
        logger.info("a batch of %s failed; handling its deliveries one by one", subscriber.name, exc_info=True)
        return None
    if subscriber.after_commit:
        for _, _, envelope in started:
            if envelope.event_id in fresh:
                _run_after_commit(subscriber, envelope)
    return {"handled": len(fresh), "duplicate": len(started) - len(fresh), "failed": 0, "dead": 0}


def _mark_done(ids: list[int]) -> None:
    Delivery.objects.filter(id__in=ids, status=Delivery.Status.IN_FLIGHT).update(
        status=Delivery.Status.DONE, done_at=timezone.now(), leased_until=None, last_error=""
    )


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter: half the doubled delay fixed, half random (never beyond the cap)."""
    config = outbox_settings.OUTBOX
    delay = min(config["RETRY_MAX_SECONDS"], config["RETRY_BASE_SECONDS"] * 2 ** max(attempts - 1, 0))
    return delay / 2 + random.uniform(0, delay / 2)


def start_attempts(ids: list[int]) -> tuple[list[tuple[int, int, Envelope]], list[tuple[int, int, str]]]:
    """Count an attempt on each delivery still in flight, before its handler runs.

    Returns the started ones as (id, attempts, envelope), in publication order, and the ones whose stored
    message cannot be read as (id, attempts, error): one malformed row never stops its neighbours.
    """
    now = timezone.now()
    lease = now + timedelta(seconds=outbox_settings.OUTBOX["LEASE_SECONDS"])
    # One statement in autocommit: committed before the handler runs, so a handler that kills its worker
    # still uses up its attempts; on PostgreSQL it also reads the messages, saving a round trip.
    rows = dialect(connection).start_deliveries(ids, now=now, lease=lease)
    started, unreadable = [], []
    for delivery_id, attempts, *message in rows:
        try:
            started.append((delivery_id, attempts, _envelope_from_row(*message)))
        except Exception:
            unreadable.append((delivery_id, attempts, "unreadable stored message\n" + traceback.format_exc()))
    return sorted(started, key=lambda item: item[2].sequence), unreadable


def _envelope_from_row(sequence, event_id, name, version, aggregate_type, aggregate_id, occurred_at, payload,
                       headers) -> Envelope:
    headers = {} if headers is None else headers
    if not isinstance(payload, dict) or not isinstance(headers, dict):
        raise ValueError(f"payload and headers must be JSON objects, not {type(payload).__name__} "
                         f"and {type(headers).__name__}")
    return Envelope(event_id=event_id, name=name, version=version, aggregate_type=aggregate_type,
                    aggregate_id=aggregate_id, occurred_at=occurred_at, payload=payload, headers=headers,
                    sequence=sequence)


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
    config = outbox_settings.OUTBOX
    return min(config["WAIT_MAX_DELAY_SECONDS"], max(config["RETRY_BASE_SECONDS"] / 2, age / 4))


def _wait_or_give_up(delivery: Delivery, envelope: Envelope, error: NotYetKnown) -> bool:
    """The message arrived before the one it follows: try again soon without spending an attempt.

    Waiting has its own budget, in time since the message occurred (WAIT_SECONDS, far beyond the seconds a
    lost message takes to be sent again); past it the delivery is dead, with the reason. True while waiting.
    """
    now = timezone.now()
    age = (now - envelope.occurred_at).total_seconds()
    if age > outbox_settings.OUTBOX["WAIT_SECONDS"]:
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
    return dialect(connection).lost_connection(error)


def _put_back(done: list[int], unfinished: list[int], *, seconds: float = 10.0) -> None:
    """After the database went away mid-batch: mark what finished, and return the rest unspent (refunded).

    Tries for `seconds` while the database comes back; if it stays away, the leases bring them back later.
    """
    deadline = time.monotonic() + seconds
    while True:
        try:
            connection.close()
            with transaction.atomic(using=current_alias()):
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
    """Run one subscriber's handler for each of its deliveries in `ids` (together if it allows, else one by one).

    On the database of the subscriber's context: its deliveries, inbox and effects are all there.
    """
    subscriber = subscriber_named(subscriber_name)
    with using(alias_for(subscriber.context)):
        return _deliver_batch(subscriber, ids)


def _deliver_batch(subscriber: Subscriber, ids: list[int]) -> dict:
    counts = {"handled": 0, "duplicate": 0, "failed": 0, "dead": 0, "waiting": 0}
    try:
        started, unreadable = start_attempts(ids)
    except DatabaseError as error:
        if not _database_lost(error):
            raise
        # Nothing was counted: the deliveries are still in their hand-off lease and go out again once it ends.
        logger.warning("database unavailable when starting deliveries %s: %s", ids, error)
        connection.close()
        return counts
    max_attempts = subscriber.max_attempts or outbox_settings.OUTBOX["MAX_ATTEMPTS"]
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
        if not dialect(connection).marks_done_with_inbox:  # else handle() marked it done in its transaction
            done.append(delivery_id)
        counts["handled" if handled else "duplicate"] += 1
    if done:
        _mark_done(done)
    return counts
