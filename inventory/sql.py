"""Inventory's hand-written SQL, each statement with its reason; everything else in inventory uses the ORM.

Each runs on every database as written (no dialect of its own); values go through the field or the backend that the
ORM would have adapted them with. The checkout runs each once per order (bench/RESULTS.md)."""
from __future__ import annotations

from django.db import connections, router

from .models import Reservation, StockItem


def stock_take_above_threshold(*, sku: str, quantity: int, default_threshold: int, now) -> bool:
    """Move `quantity` of `sku` from free to reserved if that leaves it at or above its low-stock threshold (the sku's,
    else `default_threshold`); False when it would not (or no such sku), and nothing changed.

    The usual take of a reservation. By hand: the ORM built this UPDATE (two F() moves, a Coalesce in the condition)
    at ~5% of an in-process checkout's CPU, for a text that never changes."""
    connection = connections[router.db_for_write(StockItem)]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE inventory_stockitem SET on_hand = on_hand - %s, reserved = reserved + %s, updated_at = %s"
            " WHERE sku = %s AND on_hand >= COALESCE(low_stock_threshold, %s) + %s",
            [quantity, quantity, connection.ops.adapt_datetimefield_value(now), sku, default_threshold, quantity])
        return cursor.rowcount > 0


def reservation_keep_held(*, order_id, now) -> bool:
    """Clear the hold time of the order's reservation if it has one and was not released; False when nothing changed.

    The usual keep of a paid order's stock, one statement atomic by itself. By hand: the ORM's filter, exclude and
    update cost ~4% of an in-process checkout's CPU for a text that never changes."""
    connection = connections[router.db_for_write(Reservation)]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE inventory_reservation SET held_until = NULL, updated_at = %s"
            " WHERE order_id = %s AND held_until IS NOT NULL AND status <> %s",
            [connection.ops.adapt_datetimefield_value(now),
             Reservation._meta.get_field("order_id").get_db_prep_value(order_id, connection),
             Reservation.Status.RELEASED])
        return cursor.rowcount > 0
