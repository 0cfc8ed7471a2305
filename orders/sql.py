"""Orders' hand-written SQL, each statement with its reason; everything else in orders uses the ORM."""
from __future__ import annotations

import functools

from django.db import connections, router
from django.db.models import Q

from common.db import atomic_for

from .models import CheckoutSaga, Order, OrderLine, SagaStep


def saga_claim(*, order_id: str, states: list[str], now, lease) -> CheckoutSaga | None:
    """Take the saga (its deadline set to `lease`, no longer waiting) if it is in one of `states` and waits or its
    deadline passed; the saga with its order, or None when someone else holds it.

    SQL on PostgreSQL: one UPDATE ... RETURNING joined to the order, where the ORM needs an UPDATE and then a
    SELECT with select_related. A choreographed checkout claims its saga once per step delivery, and the two ORM
    statements were a third of a step's CPU in the worker (bench/RESULTS.md "Real subscribers"). SQLite cannot
    join in a RETURNING (nor UPDATE in a WITH): the ORM's two there."""
    alias = router.db_for_write(CheckoutSaga)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        claimed = CheckoutSaga.objects.filter(
            Q(waiting=True) | Q(deadline__lte=now), pk=order_id, state__in=states,
        ).update(deadline=lease, waiting=False)
        return CheckoutSaga.objects.select_related("order").get(pk=order_id) if claimed else None
    with connection.cursor() as cursor:  # one text: prepared on its connection (DB_PREPARED_STATEMENTS)
        cursor.execute(_claim_sql(), {"order_id": str(order_id), "states": list(states), "now": now, "lease": lease})
        row = cursor.fetchone()
    if row is None:
        return None
    saga_fields, order_fields = _attnames(CheckoutSaga), _attnames(Order)
    saga = CheckoutSaga.from_db(alias, saga_fields, row[:len(saga_fields)])
    saga.order = Order.from_db(alias, order_fields, row[len(saga_fields):])  # as select_related caches it
    return saga


def _attnames(model) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


@functools.cache
def _claim_sql() -> str:
    saga_columns = [field.column for field in CheckoutSaga._meta.concrete_fields]
    order_columns = [field.column for field in Order._meta.concrete_fields]
    return f"""
WITH claimed AS (
  UPDATE orders_checkoutsaga SET deadline = %(lease)s, waiting = false
  WHERE order_id = %(order_id)s::uuid AND state = ANY(%(states)s::text[]) AND (waiting OR deadline <= %(now)s)
  RETURNING {', '.join(saga_columns)})
SELECT {', '.join(f'c.{column}' for column in saga_columns)}, {', '.join(f'o.{column}' for column in order_columns)}
FROM claimed c JOIN orders_order o ON o.id = c.order_id"""


def saga_record(*, saga: CheckoutSaga, status: str | None, entries: list[SagaStep], updates: dict, now) -> bool:
    """Write what orders keeps of steps done: the order's `status` (None: unchanged; never over a confirmed or
    cancelled order), the steps' log lines and the saga's `updates`, and set them on the objects as written.
    True when the order's status changed.

    SQL on PostgreSQL: one statement (an UPDATE, an INSERT and an UPDATE in a WITH), atomic by itself, where the ORM
    needs three in a transaction (BEGIN, 3 statements, COMMIT): an orchestrated checkout's records cost 10 round trips
    and ~4,700 of its ~26,300 Python calls fewer (bench/RESULTS.md). SQLite cannot UPDATE in a WITH: the ORM's three
    there, in one transaction."""
    order = saga.order
    alias = router.db_for_write(CheckoutSaga)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        with atomic_for("orders", savepoint=False):
            changed = bool(status) and Order.objects.filter(pk=order.pk).exclude(status__in=_ENDED).update(
                status=status, updated_at=now)  # update() skips auto_now
            saga_log_insert(entries=entries)
            CheckoutSaga.objects.filter(pk=saga.pk).update(**updates)
    else:
        with connection.cursor() as cursor:  # one text: prepared on its connection (DB_PREPARED_STATEMENTS)
            cursor.execute(_record_sql(), {
                "order_id": order.pk, "status": status, "now": now,
                "names": [e.name for e in entries], "kinds": [e.kind for e in entries],
                "outcomes": [e.outcome for e in entries], "tries": [e.attempt for e in entries],
                "errors": [e.error for e in entries], "started": [e.started_at for e in entries],
                "finished": [e.finished_at for e in entries],
                "attempt": updates["attempts"], "deadline": updates["deadline"], "step": updates["step"],
                "payment_token": updates.get("payment_token"), "waiting": updates.get("waiting"),
                "state": updates.get("state"),
            })
            changed, ids = cursor.fetchone()
        for entry, pk in zip(entries, ids, strict=True):
            entry.pk, entry._state.adding, entry._state.db = pk, False, alias  # as save() leaves them
    for name, value in updates.items():
        setattr(saga, name, value)
    if changed:
        order.status, order.updated_at = status, now  # as written: the checkout answers without reading it back
    elif status:  # someone else ended it: read what they wrote
        order.refresh_from_db(fields=["status", "cancel_reason", "cancel_code", "updated_at"])
    return bool(changed)


_ENDED = [Order.Status.CONFIRMED, Order.Status.CANCELLED]


def saga_log_insert(*, entries: list[SagaStep]) -> None:
    """Store log lines in one INSERT however many (the ORM's: a failure's or a compensation's line, SQLite's record)."""
    if len(entries) == 1:
        entries[0].save(force_insert=True)  # one row: save() costs less than bulk_create()'s machinery
    else:
        SagaStep.objects.bulk_create(entries)


@functools.cache
def _record_sql() -> str:
    ended = ", ".join(f"'{status}'" for status in _ENDED)
    return f"""WITH changed AS (
  UPDATE orders_order SET status = %(status)s::varchar, updated_at = %(now)s::timestamptz
  WHERE id = %(order_id)s::uuid AND %(status)s::varchar IS NOT NULL AND status NOT IN ({ended})
  RETURNING 1),
logged AS (
  INSERT INTO orders_sagastep (saga_id, name, kind, outcome, attempt, error, started_at, finished_at)
  SELECT %(order_id)s::uuid, * FROM unnest(%(names)s::varchar[], %(kinds)s::varchar[], %(outcomes)s::varchar[],
    %(tries)s::int[], %(errors)s::text[], %(started)s::timestamptz[], %(finished)s::timestamptz[])
  RETURNING id),
moved AS (
  UPDATE orders_checkoutsaga SET attempts = %(attempt)s::int, deadline = %(deadline)s::timestamptz,
    step = %(step)s::varchar, payment_token = COALESCE(%(payment_token)s::varchar, payment_token),
    waiting = COALESCE(%(waiting)s::boolean, waiting), state = COALESCE(%(state)s::varchar, state)
  WHERE order_id = %(order_id)s::uuid)
SELECT EXISTS (SELECT FROM changed), ARRAY(SELECT id FROM logged)"""


def order_insert(*, order: Order, lines: list[OrderLine], saga: CheckoutSaga) -> None:
    """Insert a new order, its lines and its checkout's saga (unsaved instances), leaving them as save() does.

    SQL on PostgreSQL: one statement (three INSERTs in a WITH) where the ORM sends three, each built by its compiler:
    two round trips and the ORM's CPU of three writes fewer per order (bench/RESULTS.md). SQLite: the ORM's three."""
    alias = router.db_for_write(Order)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        order.save(force_insert=True)
        OrderLine.objects.bulk_create(lines)
        saga.save(force_insert=True)
        return
    params = {}
    for prefix, row in (("o", order), ("s", saga)):
        for field in _inserted(type(row)):  # pre_save: the defaults and auto_now(_add) values, set on the instance
            params[f"{prefix}_{field.column}"] = field.get_db_prep_save(field.pre_save(row, True), connection)
    for field in _inserted(OrderLine):
        params[f"l_{field.column}"] = [field.get_db_prep_save(field.pre_save(line, True), connection) for line in lines]
    with connection.cursor() as cursor:  # one text: prepared on its connection (DB_PREPARED_STATEMENTS)
        cursor.execute(_insert_sql(alias), params)
        (ids,) = cursor.fetchone()
    for line, pk in zip(lines, ids, strict=True):
        line.pk = pk
    for row in (order, saga, *lines):
        row._state.adding, row._state.db = False, alias


def _inserted(model) -> list:
    """The columns an INSERT of `model` writes: all but an auto-incremented id."""
    return [field for field in model._meta.concrete_fields if field is not model._meta.auto_field]


@functools.cache
def _insert_sql(alias: str) -> str:
    connection = connections[alias]  # for the columns' types only: the same on every connection to the database

    def values(model, prefix: str, array: str = "") -> str:
        return ", ".join(f"%({prefix}_{f.column})s::{f.db_type(connection)}{array}" for f in _inserted(model))

    def columns(model) -> str:
        return ", ".join(f.column for f in _inserted(model))

    return f"""WITH placed AS (
  INSERT INTO {Order._meta.db_table} ({columns(Order)}) VALUES ({values(Order, "o")})),
saga AS (
  INSERT INTO {CheckoutSaga._meta.db_table} ({columns(CheckoutSaga)}) VALUES ({values(CheckoutSaga, "s")})),
lines AS (
  INSERT INTO {OrderLine._meta.db_table} ({columns(OrderLine)}) SELECT * FROM unnest({values(OrderLine, "l", "[]")})
  RETURNING id)
SELECT ARRAY(SELECT id FROM lines)"""
