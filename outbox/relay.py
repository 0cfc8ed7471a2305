"""The relay: fan stored messages out to per-subscriber deliveries, claim due ones, hand them to Celery."""
from __future__ import annotations

import base64
import json
import logging
import time
from collections import defaultdict
from contextlib import nullcontext
from datetime import timedelta
from datetime import timezone as dt_timezone

from celery import current_app
from django.conf import settings
from kombu.exceptions import OperationalError
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from common.db import alias_for, aliases, connection, current_alias, using

from . import tracing
from .conf import outbox_settings
from .dialects import dialect
from .models import Delivery, OutboxEvent
from .registry import all_subscribers, subscriber_named, subscribers_for
from .wake import Listener, wake_after_commit

logger = logging.getLogger(__name__)
DELIVER_TASK = "outbox.deliver"
# A long-running relay woken within BURST_SECONDS of its last cycle waits GATHER_SECONDS before the next one, so
# that one cycle serves a burst of commits; at load a cycle per commit costs more relay CPU than the wait costs
# latency (bench/RESULTS.md, "Real subscribers": about 40% fewer cycles, with bench/outbox.py's latency rows).
BURST_SECONDS = 0.005
GATHER_SECONDS = 0.002


def fan_out(*, batch: int) -> tuple[int, list[tuple[int, str]]]:
    """Create the deliveries of up to `batch` undispatched messages: (messages taken, deliveries in flight).

    Works on the database of current_alias(). A subscriber whose context has another database gets a copy of
    the message and its delivery there (copy_to()), committed before the messages are marked dispatched here.
    """
    now = timezone.now()
    lease = now + timedelta(seconds=outbox_settings.OUTBOX["HANDOFF_SECONDS"])
    here = current_alias()
    split = len(settings.DATABASES) > 1  # with one database every subscriber is here: nothing to look up
    subscribers = [s for s in all_subscribers() if not split or alias_for(s.context) == here]
    # With one database the dialect's fan-out is the whole transaction (on PostgreSQL a single statement).
    with transaction.atomic(using=here) if split else nullcontext():
        # No id watermark: a row committed late with a lower id is simply still NULL here, and is taken then.
        events, in_flight = dialect(connection).fan_out(now=now, lease=lease, batch=batch, subscribers=subscribers)
        if not events:
            return 0, []
        elsewhere = defaultdict(list)
        if split:
            for event_id, name, *_ in events:
                for subscriber in subscribers_for(name):
                    if (alias := alias_for(subscriber.context)) != here:
                        elsewhere[alias].append((event_id, subscriber))
        for alias, targets in elsewhere.items():
            copy_to(alias, targets, now=now)
    _trace_fan_out(events)
    return len(events), in_flight


def copy_to(alias: str, targets: list[tuple[int, object]], *, now) -> None:
    """Copy messages of this database into `alias` with a pending delivery per subscriber there, idempotently.

    The copy is marked dispatched (its relay never fans it out again) and is unique on event_id, a delivery on
    (message, subscriber): a relay killed after this commit and before its own copies nothing twice the next
    time. The relay of `alias` claims the deliveries (the copy's insert wakes it) and hands them to its workers.
    """
    rows = {row.id: row for row in OutboxEvent.objects.filter(id__in={event_id for event_id, _ in targets})}
    with using(alias), transaction.atomic(using=alias):
        OutboxEvent.objects.bulk_create([
            OutboxEvent(event_id=row.event_id, name=row.name, version=row.version, aggregate_type=row.aggregate_type,
                        aggregate_id=row.aggregate_id, payload=row.payload, headers=row.headers,
                        occurred_at=row.occurred_at, dispatched_at=now)
            for row in sorted(rows.values(), key=lambda row: row.id)  # publication order, for ordered subscribers
        ], ignore_conflicts=True)
        copies = dict(OutboxEvent.objects.filter(event_id__in=[row.event_id for row in rows.values()])
                      .values_list("event_id", "id"))
        Delivery.objects.bulk_create([
            Delivery(event_id=copies[rows[event_id].event_id], subscriber=subscriber.name, ordered=subscriber.ordered,
                     aggregate_key=f"{rows[event_id].aggregate_type}:{rows[event_id].aggregate_id}"[:120],
                     next_attempt_at=now, status=Delivery.Status.PENDING)
            for event_id, subscriber in targets
        ], ignore_conflicts=True)
        wake_after_commit()  # Redis wake-up; on PostgreSQL the copies' insert NOTIFYs that database's relay


def _trace_fan_out(events: list[tuple]) -> None:
    """A span per fanned-out message in its publisher's trace (when this process traces)."""
    if not tracing.enabled():
        return
    try:
        for _, name, _, aggregate_id, headers, created_at in events:
            if isinstance(created_at, str):  # SQLite keeps UTC text
                created_at = parse_datetime(created_at).replace(tzinfo=dt_timezone.utc)
            tracing.relayed(name=name, headers=json.loads(headers) if isinstance(headers, (str, bytes)) else headers,
                            aggregate_id=aggregate_id, created_at=created_at, subscribers=len(subscribers_for(name)))
    except Exception:  # a span is never worth a relay cycle: the deliveries are made, hand them off
        logger.debug("could not trace a fan-out", exc_info=True)


def claim(*, batch: int, now=None, judged_at=None) -> list[tuple[int, str]]:
    """Lease up to `batch` due deliveries: new ordered ones whose turn came, retries due, expired leases.

    The lease is the short hand-off one; the worker extends it to LEASE_SECONDS when it starts them. `now`: when
    pending and failed ones fall due. `judged_at` (default `now`): the time keep_queued_leases() last judged the
    expired leases at; only a lease that expired before it is taken (one expiring after it is not judged yet).
    """
    now = now or timezone.now()
    lease = now + timedelta(seconds=outbox_settings.OUTBOX["HANDOFF_SECONDS"])
    return dialect(connection).claim_due(now=now, lease=lease, batch=batch, expired_before=judged_at or now)


def hand_off(claimed: list[tuple[int, str]]) -> int:
    """Send the leased deliveries to their subscribers' queues, several per message; un-lease them on failure."""
    if not claimed:
        return 0  # most cycles have nothing for one of their two hand-offs: no producer taken from the pool
    by_subscriber: dict[str, list[int]] = defaultdict(list)
    for delivery_id, subscriber in claimed:
        by_subscriber[subscriber].append(delivery_id)
    size = outbox_settings.OUTBOX["TASK_BATCH"]
    app = current_app
    sent: list[int] = []
    batched = False
    try:
        with app.producer_or_acquire() as producer:
            # On Redis the messages go out in one pipeline when the batch ends: one round trip for all of them.
            # Other brokers publish each at once.
            batched = producer.supports_batch_publish
            with producer.batch():
                for name, ids in by_subscriber.items():
                    try:
                        queue = subscriber_named(name).queue
                    except LookupError:
                        logger.error("deliveries %s name an unknown subscriber %r; left in flight", ids, name)
                        continue
                    for start in range(0, len(ids), size):
                        chunk = ids[start:start + size]
                        app.send_task(DELIVER_TASK, args=[name, chunk], queue=queue, routing_key=queue,
                                      producer=producer, retry=False)
                        sent.extend(chunk)
    except Exception:
        # A failed batch may have sent some or none: all go back (a copy that went anyway is a duplicate the
        # worker skips or its inbox absorbs).
        handed = set() if batched else set(sent)
        unsent = [delivery_id for delivery_id, _ in claimed if delivery_id not in handed]
        Delivery.objects.filter(id__in=unsent, status=Delivery.Status.IN_FLIGHT).update(
            status=Delivery.Status.PENDING, leased_until=None, next_attempt_at=timezone.now()
        )
        raise
    return len(sent)


def queued_messages(queue: str) -> int:
    """Messages waiting in a broker queue (0 when the queue does not exist, e.g. lost with a broker restart)."""
    from kombu.exceptions import ChannelError

    with current_app.connection_or_acquire() as conn:
        try:
            return conn.default_channel.queue_declare(queue=queue, passive=True).message_count
        except ChannelError:
            return 0


def held_by_workers() -> set[int] | None:
    """Ids of deliveries in messages that workers have taken and not yet acknowledged (a worker prefetches a
    message before it starts it); None when the broker cannot tell (only Redis keeps them where we can read)."""
    with current_app.connection_or_acquire() as conn:
        channel = conn.default_channel
        client, key = getattr(channel, "client", None), getattr(channel, "unacked_key", None)
        if client is None or not isinstance(key, str):
            return None
        held, here = set(), current_alias()
        for _, value in client.hscan_iter(key):  # at most the workers' prefetch: a few messages per process
            try:
                raw = json.loads(value)[0]
                if raw["headers"].get("task") != DELIVER_TASK:
                    continue
                body = raw["body"]
                if raw["properties"].get("body_encoding") == "base64":
                    body = base64.b64decode(body)
                name, ids = json.loads(body)[0][:2]
                if alias_for(subscriber_named(name).context) == here:  # ids are per database
                    held.update(ids)
            except (ValueError, KeyError, IndexError, TypeError, LookupError):
                continue  # not a message of ours
        return held


def keep_queued_leases(*, now=None) -> int:
    """Extend the hand-off lease of unstarted deliveries still queued or held by a worker; the number extended.

    An unstarted delivery past its hand-off lease was either lost (a broker restart, a purged queue) or is
    still waiting its turn: behind a backlog, or prefetched by a busy worker. Only an empty queue and no
    worker holding it prove the loss: then claim() sends it again. Otherwise sending it again would only
    lengthen the queue and start it twice.
    """
    now = now or timezone.now()
    expired = Delivery.objects.filter(status=Delivery.Status.IN_FLIGHT, started_at__isnull=True,
                                      leased_until__lt=now)
    subscribers = set(expired.order_by().values_list("subscriber", flat=True).distinct())
    if not subscribers:
        return 0
    held = held_by_workers() or set()
    busy, depth = [], {}
    for name in subscribers:
        try:
            queue = subscriber_named(name).queue
        except LookupError:
            continue
        if queue not in depth:
            depth[queue] = queued_messages(queue)
        if depth[queue]:
            busy.append(name)
    if not busy and not held:
        return 0
    # A message a killed worker held stays "unacknowledged" in Redis until the visibility timeout: a held one
    # is trusted for LEASE_SECONDS after its hand-off (updated_at: extending the lease leaves it alone), as a
    # started one would be. A queue's backlog is trusted however long it takes.
    recently = Q(updated_at__gt=now - timedelta(seconds=outbox_settings.OUTBOX["LEASE_SECONDS"]))
    return expired.filter(Q(subscriber__in=busy) | (Q(id__in=held) & recently)).update(
        leased_until=now + timedelta(seconds=outbox_settings.OUTBOX["HANDOFF_SECONDS"]))


class QueuedLeases:
    """Runs keep_queued_leases() only when a lease may have expired since it last did; claim() takes its time.

    The invariant: claim() re-sends an in-flight delivery only when its lease expired before `judged_at`, the
    time keep_queued_leases() last judged the expired leases at, so a hand-off is never sent again unless that
    judgement saw it expired (found it neither queued nor held by a worker) and left it so. Between two
    judgements claim() takes no lease that expired after the first: skipping the judgement only delays a
    re-send, never adds one. When to judge again: once `now` passes the earliest in-flight lease that had not
    expired at the last judgement, but no sooner than HANDOFF_SECONDS / 10 after it (so a lost hand-off is sent
    again at most a tenth of its lease later than judging every cycle would), and at least every
    HANDOFF_SECONDS / 2: a lease that judgement could not see (written later by another process, beat's safety net
    or a second relay, from a clock read before the judgement) is judged by then. A relay at load judges between
    every HANDOFF_SECONDS / 10 and / 2 instead of every cycle, its statements and broker look-ups included.
    """

    def __init__(self):
        self.judged_at = None
        self.next_at = None

    def judge(self, now) -> object:
        """keep_queued_leases() if it is due at `now`; the time of the last judgement, for claim()."""
        if self.judged_at is None or not self.judged_at <= now <= self.next_at:  # a clock set back judges too
            keep_queued_leases(now=now)
            self.judged_at = now
            soonest = (Delivery.objects.filter(status=Delivery.Status.IN_FLIGHT, leased_until__gte=now)
                       .aggregate(soonest=Min("leased_until"))["soonest"])
            handoff = outbox_settings.OUTBOX["HANDOFF_SECONDS"]
            self.next_at = now + timedelta(seconds=handoff / 2)
            if soonest is not None:
                # A worker behind by more than the hand-off lease leaves a lease expiring every cycle: judging each
                # one was half the relay's CPU in bench.deliveries (cProfile), to re-send a fraction of a lease sooner.
                self.next_at = min(self.next_at, max(soonest, now + timedelta(seconds=handoff / 10)))
        return self.judged_at


def relay_once(*, batch: int | None = None, leases: QueuedLeases | None = None) -> tuple[int, int]:
    """One relay cycle: (messages fanned out, deliveries claimed). `leases`: kept across cycles by a long-running
    relay (without it the cycle judges expired hand-off leases itself)."""
    batch = batch or outbox_settings.OUTBOX["BATCH_SIZE"]
    taken, in_flight = fan_out(batch=batch)
    hand_off(in_flight)
    now = timezone.now()
    judged_at = (leases or QueuedLeases()).judge(now)
    claimed = claim(batch=batch, now=now, judged_at=judged_at)
    hand_off(claimed)
    return taken, len(claimed)


def relay_until_idle(*, batch: int | None = None, max_cycles: int = 1000, leases: QueuedLeases | None = None) -> int:
    """Relay cycles while they come back full (more is waiting); the total work done."""
    batch = batch or outbox_settings.OUTBOX["BATCH_SIZE"]
    leases = leases or QueuedLeases()
    total = 0
    for _ in range(max_cycles):
        taken, claimed = relay_once(batch=batch, leases=leases)
        total += taken + claimed
        # A cycle that was not full took everything committed when it ran; anything committed since has
        # sent its own wake-up (or is found by the next poll), so there is no need to ask again now.
        if taken < batch and claimed < batch:
            break
    return total


def relay_every_database(*, batch: int | None = None) -> int:
    """relay_until_idle() on each database in turn (beat's safety net; one process doing every relay's work)."""
    total = 0
    for alias in aliases():
        with using(alias):
            total += relay_until_idle(batch=batch)
    return total


class Relay:
    """The long-running relay of one database: a cycle on every wake-up, and at least every POLL_SECONDS."""

    def __init__(self, database: str = "default"):
        self.database = database
        self.stopping = False
        self.listener: Listener | None = None
        self.leases = QueuedLeases()
        self._session = None

    def stop(self, *args) -> None:
        self.stopping = True
        if self.listener is not None:
            self.listener.interrupt()

    def _prepare_session(self) -> None:
        # Once per connection (asynchronous commits on PostgreSQL: dialects.PostgresDialect.relay_session).
        connection.ensure_connection()
        if self._session is not connection.connection:
            dialect(connection).relay_session()
            self._session = connection.connection

    def run(self) -> None:
        with using(self.database):
            self._run()

    def _run(self) -> None:
        # A relay started while its database is down waits for it (polling) instead of exiting.
        self.listener = Listener().open_or_poll()
        logger.info("relay of database %s started (wake-up: %s)", self.database, self.listener.mode)
        try:
            while not self.stopping:
                try:
                    self._prepare_session()
                    relay_until_idle(leases=self.leases)
                except OperationalError as error:  # the broker is away: deliveries stay pending, none is lost
                    logger.warning("broker unavailable (%s); deliveries wait in the database", error)
                    time.sleep(min(1.0, outbox_settings.OUTBOX["POLL_SECONDS"]))
                    continue
                except Exception:
                    logger.exception("relay cycle failed; trying again shortly")
                    connection.close()  # a broken connection is reopened by the next query
                    time.sleep(min(1.0, outbox_settings.OUTBOX["POLL_SECONDS"]))
                if self.stopping:
                    break
                idle_since = time.monotonic()
                if (self.listener.wait(outbox_settings.OUTBOX["POLL_SECONDS"])
                        and time.monotonic() - idle_since < BURST_SECONDS):
                    # Woken right after a cycle: commits are arriving faster than cycles, more are on their way,
                    # and one cycle a moment later serves them all. A wake-up after a quiet spell is served at once.
                    time.sleep(GATHER_SECONDS)
                    self.listener.wait(0)  # drain what came meanwhile
        finally:
            self.listener.close()
            logger.info("relay stopped")
