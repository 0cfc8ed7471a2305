"""Orders' hand-written SQL, each statement with its reason; everything else in orders uses the ORM."""
from __future__ import annotations

import functools

from django.db import connections, router
from django.db.models import Q

from .models import CheckoutSaga, Order


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
