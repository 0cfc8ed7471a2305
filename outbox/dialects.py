"""The outbox's hand-written SQL and every PostgreSQL/SQLite difference it has, each statement with its reason.

Everything else in the outbox uses the ORM. These statements stay SQL because bench/outbox.py measures
them on the hot paths (the producer's INSERT, the relay's claims, the worker's start and inbox): each one
is a single round trip where the ORM would need two or more, or would build a model per row. `dialect()`
returns the implementation for a connection (the default one, or `connections[alias]`).
"""
from __future__ import annotations

import functools
import uuid

from django.db import InterfaceError, OperationalError, transaction
from django.db import connection as default_connection


MESSAGE_COLUMNS = ("event_id", "name", "version", "aggregate_type", "aggregate_id", "payload", "headers",
                   "occurred_at", "created_at")
# What a worker reads of a message to build its envelope, in this order (delivery._envelope_from_row).
ENVELOPE_COLUMNS = ("id", "event_id", "name", "version", "aggregate_type", "aggregate_id", "occurred_at", "payload",
                    "headers")


def _placeholders(count: int) -> str:
    return ", ".join(["%s"] * count)


class BaseDialect:
    """The statements both databases run alike; SQLite's behaviour where the two differ."""

    #: True when the inbox INSERT can mark the deliveries done in the same statement (a data-modifying WITH).
    marks_done_with_inbox = False
    #: True when a trigger NOTIFYs the relay at commit (wake.py listens); else wake-ups go through Redis or polling.
    notifies_on_commit = False

    def __init__(self, connection):
        self.connection = connection

    def time(self, value):
        """A datetime as this database's driver takes it."""
        return self.connection.ops.adapt_datetimefield_value(value)

    # --- the producer ------------------------------------------------------------------------------------

    @staticmethod
    def _json_placeholder() -> str:
        return "%s"

    def insert_message(self, *, event_id: uuid.UUID, name: str, version: int, aggregate_type: str,
                       aggregate_id: str, payload: str, headers: str, occurred_at, created_at) -> None:
        """Store one message. SQL: the producer pays for it in every business transaction, and the ORM's create()
        would add a model instance, the save machinery and a RETURNING of an id nobody reads
        (bench/outbox.py's target: a transaction with an event <= 1.5x one without)."""
        uuid_value = event_id if self.connection.features.has_native_uuid_field else event_id.hex
        with self.connection.cursor() as cursor:
            cursor.execute(self._insert_message_sql(), [
                uuid_value, name, version, aggregate_type, aggregate_id, payload, headers, self.time(occurred_at),
                self.time(created_at)])

    @classmethod
    @functools.cache
    def _insert_message_sql(cls) -> str:
        values = ", ".join(cls._json_placeholder() if column in ("payload", "headers") else "%s"
                           for column in MESSAGE_COLUMNS)
        return f"INSERT INTO outbox_outboxevent ({', '.join(MESSAGE_COLUMNS)}) VALUES ({values})"

    # --- the relay ---------------------------------------------------------------------------------------

    def _skip_locked(self) -> str:
        return ""  # SQLite has one writer at a time, and no FOR UPDATE at all

    def take_undispatched(self, *, now, batch: int) -> list[tuple]:
        """Mark up to `batch` messages not yet fanned out as dispatched; their (id, name, aggregate type, aggregate
        id, headers, created_at) by id, the last two as the driver returns them (for the relay's trace span). SQL:
        claiming and reading in one UPDATE ... RETURNING (the ORM's update() returns a count)."""
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE outbox_outboxevent SET dispatched_at = %s WHERE id IN ({self._undispatched_ids('%s')}) "
                "RETURNING id, name, aggregate_type, aggregate_id, headers, created_at",
                [self.time(now), batch])
            return sorted(cursor.fetchall())

    def _undispatched_ids(self, batch: str) -> str:
        """The ids of the messages take_undispatched() takes; `batch`: the placeholder of how many."""
        return ("SELECT id FROM outbox_outboxevent WHERE dispatched_at IS NULL ORDER BY id "
                f"LIMIT {batch}{self._skip_locked()}")

    def fan_out(self, *, now, lease, batch: int, subscribers) -> tuple[list[tuple], list[tuple[int, str]]]:
        """take_undispatched(), and a delivery of each message taken for each of `subscribers` (Subscriber) of its
        name: (the messages as take_undispatched() returns them, (id, subscriber) of each delivery in flight).
        Unordered deliveries go straight out with a hand-off lease; ordered ones wait, pending, for claim_due()
        to find their turn. Here two statements in one transaction, the deliveries through the ORM."""
        from .models import Delivery

        by_message = {}
        for subscriber in subscribers:
            by_message.setdefault(subscriber.message, []).append(subscriber)
        with transaction.atomic(using=self.connection.alias):
            events = self.take_undispatched(now=now, batch=batch)
            deliveries = [
                Delivery(event_id=event_id, subscriber=subscriber.name, ordered=subscriber.ordered,
                         aggregate_key=f"{aggregate_type}:{aggregate_id}"[:120], next_attempt_at=now,
                         status=Delivery.Status.PENDING if subscriber.ordered else Delivery.Status.IN_FLIGHT,
                         leased_until=None if subscriber.ordered else lease)
                for event_id, name, aggregate_type, aggregate_id, *_ in events
                for subscriber in by_message.get(name, ())]
            Delivery.objects.using(self.connection.alias).bulk_create(deliveries)
        return events, [(d.id, d.subscriber) for d in deliveries if d.status == Delivery.Status.IN_FLIGHT]

    def claim_due(self, *, now, lease, batch: int, expired_before) -> list[tuple[int, str]]:
        """Lease up to `batch` due deliveries (an in-flight one: leased until before `expired_before`); their (id,
        subscriber). SQL: one statement that is atomic by itself (no BEGIN/COMMIT round trips) and returns what it
        leased; the ordered subscribers' turn is two NOT EXISTS the ORM would say as nested Exists() with a
        concatenated key, no shorter. One text, so prepared on PostgreSQL (DB_PREPARED_STATEMENTS): the relay runs
        it every cycle, and planning it cost ten times its execution."""
        with self.connection.cursor() as cursor:
            cursor.execute(f"""
UPDATE outbox_delivery SET status = 'in_flight', leased_until = %(lease)s, updated_at = %(now)s, started_at = NULL
WHERE id IN (
  SELECT d.id FROM outbox_delivery d
  WHERE ((d.status IN ('pending', 'failed') AND d.next_attempt_at <= %(now)s)
         OR (d.status = 'in_flight' AND d.leased_until < %(expired_before)s))
    AND (NOT d.ordered OR (
      NOT EXISTS (SELECT 1 FROM outbox_delivery p
                  WHERE p.ordered AND p.subscriber = d.subscriber AND p.aggregate_key = d.aggregate_key
                    AND p.event_id < d.event_id AND p.status NOT IN ('done', 'dead'))
      AND NOT EXISTS (SELECT 1 FROM outbox_outboxevent e
                      WHERE e.dispatched_at IS NULL AND e.id < d.event_id
                        AND e.aggregate_type || ':' || e.aggregate_id = d.aggregate_key)))
  ORDER BY d.id LIMIT %(batch)s{self._skip_locked()})
RETURNING id, subscriber""", {"now": self.time(now), "lease": self.time(lease), "batch": batch,
                                 "expired_before": self.time(expired_before)})
            return [(row[0], row[1]) for row in cursor.fetchall()]

    def relay_session(self) -> None:
        """Prepare the relay's connection (nothing on SQLite)."""

    def notify(self, channel: str) -> None:
        """Wake the relay now through the database (only PostgreSQL can)."""
        raise NotImplementedError(f"{self.connection.vendor} has no NOTIFY")

    # --- the worker --------------------------------------------------------------------------------------

    _START = ("UPDATE outbox_delivery SET attempts = attempts + 1, leased_until = %s, updated_at = %s, "
              "started_at = %s WHERE status = 'in_flight' AND id IN ({ids}) RETURNING id, attempts")

    def start_deliveries(self, ids: list[int], *, now, lease) -> list[tuple]:
        """Count an attempt on each delivery of `ids` still in flight and read its message:
        (delivery id, attempts, *ENVELOPE_COLUMNS) per started one, values decoded (UUID, aware datetime, JSON).

        SQL for the UPDATE ... RETURNING: only the ones this worker started (another may start the same). SQLite's
        RETURNING sees only the updated table, so the messages are read after, through the ORM (no network hop)."""
        from .models import Delivery

        with self.connection.cursor() as cursor:
            cursor.execute(self._START.format(ids=_placeholders(len(ids))),
                           [self.time(lease), self.time(now), self.time(now), *ids])
            started = dict(cursor.fetchall())
        if not started:
            return []
        rows = (Delivery.objects.using(self.connection.alias).filter(id__in=list(started))
                .values_list("id", *(f"event__{column}" for column in ENVELOPE_COLUMNS)))
        return [(delivery_id, started[delivery_id], *message) for delivery_id, *message in rows]

    def record_in_inbox(self, subscriber: str, event_ids: list[uuid.UUID], *, now, done_ids=(),
                        synchronous: bool = True) -> set[uuid.UUID]:
        """Insert the inbox rows of `event_ids` in one statement; the ids that were new (not handled before).
        SQL: ON CONFLICT DO NOTHING RETURNING tells which were new in one round trip (bulk_create's
        ignore_conflicts cannot). Concurrent duplicates wait on the unique index until the first commits."""
        assert not done_ids, "only a dialect that marks_done_with_inbox takes done_ids"
        sql, params = self._inbox_insert(subscriber, event_ids, now)
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return {uuid.UUID(str(row[0])) for row in cursor.fetchall()}  # SQLite keeps UUIDs as hex text

    def _inbox_insert(self, subscriber: str, event_ids: list[uuid.UUID], now) -> tuple[str, list]:
        from .models import InboxRecord

        field = InboxRecord._meta.get_field("event_id")
        params = []
        for event_id in event_ids:
            params += [field.get_db_prep_value(event_id, self.connection), subscriber, self.time(now)]
        return ("INSERT INTO outbox_inboxrecord (event_id, subscriber, processed_at) VALUES "
                + ", ".join(["(%s, %s, %s)"] * len(event_ids))
                + " ON CONFLICT (event_id, subscriber) DO NOTHING RETURNING event_id"), params

    def lost_connection(self, error: Exception) -> bool:
        """True when `error` is the database going away (a restart, a dropped connection), not a handler's fault.
        SQLite is a file: it never goes away."""
        return False


class PostgresDialect(BaseDialect):
    """PostgreSQL: several relays (SKIP LOCKED), NOTIFY, data-modifying WITH, and asynchronous commits."""

    marks_done_with_inbox = True
    notifies_on_commit = True

    @staticmethod
    def _json_placeholder() -> str:
        return "%s::json"  # text into a `json` column: validated, not converted (fields.JSONTextField)

    def _skip_locked(self) -> str:
        return " FOR UPDATE SKIP LOCKED"  # several relays at once each take different rows

    def relay_session(self) -> None:
        """The relay only keeps books: a commit of its that PostgreSQL forgets in a crash of its own is redone
        (fan-out and delivery rows vanish together; a lost claim is claimed again), so it need not wait for each
        WAL flush. Producers and handlers keep synchronous commits."""
        with self.connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")

    def notify(self, channel: str) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, '')", [channel])

    # One round trip instead of four (BEGIN, the UPDATE, the INSERT, COMMIT) and no model per delivery: the relay
    # runs it once per wake-up, i.e. once per committed business transaction at low load. The subscribers come
    # in as arrays, in registration order (WITH ORDINALITY), so the deliveries' ids follow the ORM path's order.
    _FAN_OUT = """
WITH taken AS (
  UPDATE outbox_outboxevent SET dispatched_at = %(now)s WHERE id IN ({undispatched})
  RETURNING id, name, aggregate_type, aggregate_id, headers, created_at),
subscribers AS (
  SELECT * FROM unnest(%(messages)s::text[], %(names)s::text[], %(ordered)s::boolean[])
    WITH ORDINALITY AS s(message, name, ordered, position)),
made AS (
  INSERT INTO outbox_delivery (event_id, subscriber, status, ordered, aggregate_key, attempts, next_attempt_at,
                               leased_until, last_error, created_at, updated_at)
  SELECT t.id, s.name, CASE WHEN s.ordered THEN 'pending' ELSE 'in_flight' END, s.ordered,
         left(t.aggregate_type || ':' || t.aggregate_id, 120), 0, %(now)s,
         CASE WHEN s.ordered THEN NULL ELSE %(lease)s::timestamptz END, '', %(now)s, %(now)s
  FROM taken t JOIN subscribers s ON s.message = t.name ORDER BY t.id, s.position
  RETURNING id, event_id, subscriber, status)
SELECT t.id, t.name, t.aggregate_type, t.aggregate_id, t.headers, t.created_at, m.id, m.subscriber, m.status
FROM taken t LEFT JOIN made m ON m.event_id = t.id ORDER BY t.id, m.id"""

    def fan_out(self, *, now, lease, batch: int, subscribers) -> tuple[list[tuple], list[tuple[int, str]]]:
        """One statement, atomic by itself (a data-modifying WITH); a row per delivery, or per message without any."""
        subscribers = list(subscribers)
        with self.connection.cursor() as cursor:  # once per relay cycle: prepared on its connection
            cursor.execute(self._FAN_OUT.format(undispatched=self._undispatched_ids("%(batch)s")), {
                "now": self.time(now), "lease": self.time(lease), "batch": batch,
                "messages": [s.message for s in subscribers], "names": [s.name for s in subscribers],
                "ordered": [s.ordered for s in subscribers]})
            rows = cursor.fetchall()
        events, in_flight = {}, []
        for *event, delivery_id, subscriber, status in rows:
            events.setdefault(event[0], tuple(event))
            if status == "in_flight":
                in_flight.append((delivery_id, subscriber))
        return list(events.values()), in_flight

    # Asynchronous commit for this bookkeeping statement only: no wait for the WAL flush before the handler
    # starts. A kill -9 of the worker loses nothing (the commit is in PostgreSQL); a crash of PostgreSQL itself
    # could forget the last attempt counts, which only lets a delivery run once more. The join reads the
    # messages in the same statement: one round trip per batch. The ids as one array: one text whatever their
    # number, so that it is prepared once per connection (a worker runs it once per Celery message).
    _START = f"""
WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true))
UPDATE outbox_delivery SET attempts = attempts + 1, leased_until = %s, updated_at = %s, started_at = %s
FROM outbox_outboxevent e, async_commit
WHERE e.id = outbox_delivery.event_id AND outbox_delivery.status = 'in_flight'
  AND outbox_delivery.id = ANY(%s::bigint[])
RETURNING outbox_delivery.id, outbox_delivery.attempts, {', '.join(f'e.{column}' for column in ENVELOPE_COLUMNS)}
"""

    def start_deliveries(self, ids: list[int], *, now, lease) -> list[tuple]:
        # psycopg decodes uuid, timestamptz and json itself: the rows are ready as they come.
        with self.connection.cursor() as cursor:
            cursor.execute(self._START, [self.time(lease), self.time(now), self.time(now), list(ids)])
            return cursor.fetchall()

    # The inbox rows from one array of event ids, and the done mark from one of delivery ids: one text whatever
    # their numbers, prepared once per connection (a worker runs it once per Celery message).
    _INBOX = ("INSERT INTO outbox_inboxrecord (event_id, subscriber, processed_at) SELECT unnest(%s::uuid[]), %s, %s "
              "ON CONFLICT (event_id, subscriber) DO NOTHING RETURNING event_id")
    _INBOX_AND_DONE = (
        f"WITH inserted AS ({_INBOX}), done AS ("
        "UPDATE outbox_delivery SET status = 'done', done_at = %s, leased_until = NULL, last_error = '' "
        "WHERE status = 'in_flight' AND id = ANY(%s::bigint[])), "
        "async_commit AS (SELECT set_config('synchronous_commit', %s, true)) "
        "SELECT event_id FROM inserted, async_commit")

    def record_in_inbox(self, subscriber: str, event_ids: list[uuid.UUID], *, now, done_ids=(),
                        synchronous: bool = True) -> set[uuid.UUID]:
        """With `done_ids`, the same statement marks those deliveries done: they commit (or roll back) with the
        handlers' effects, one round trip fewer per batch. Asynchronous commit unless `synchronous`: a crash of
        PostgreSQL itself may forget the last few hundred milliseconds of commits, and then forgets each handler's
        effects, inbox row and done mark together (they are one transaction), so the delivery runs again; any
        later synchronous commit (a producer's) makes them durable. It saves the WAL flush per delivery, the
        largest cost the outbox adds to one."""
        params = [list(event_ids), subscriber, self.time(now)]
        if done_ids:
            params += [self.time(now), list(done_ids), "on" if synchronous else "off"]
        with self.connection.cursor() as cursor:
            cursor.execute(self._INBOX_AND_DONE if done_ids else self._INBOX, params)
            return {row[0] for row in cursor.fetchall()}

    def lost_connection(self, error: Exception) -> bool:
        if not isinstance(error, (OperationalError, InterfaceError)):
            return False
        # No SQLSTATE: the client lost the connection; 08: connection exception; 57P: the server shut down or
        # terminated the session. Not 57014 (statement timeout) or 40P01 (deadlock): those are the handler's.
        sqlstate = getattr(error.__cause__, "sqlstate", None)
        return sqlstate is None or sqlstate.startswith(("08", "57P"))


_DIALECTS = {"postgresql": PostgresDialect}


def dialect(connection=None) -> BaseDialect:
    """The outbox's SQL for `connection` (default: Django's default connection)."""
    connection = connection or default_connection
    return _DIALECTS.get(connection.vendor, BaseDialect)(connection)

