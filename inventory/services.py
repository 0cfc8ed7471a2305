"""Inventory's business operations: reserve, release and adjust stock, atomically and safely under concurrency."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.db import IntegrityError
from django.db.models import F
from django.utils import timezone  # QuerySet.update() skips auto_now: every stock change sets updated_at

from common.db import atomic_for
from common.errors import ValidationFailed
from common.ids import parse_uuid
from outbox.api import publish

from .api import (
    ItemsReleased,
    ItemsReserved,
    OutOfStock,
    ReservationClosed,
    ReservationExpired,
    ReservationNotFound,
    StockLine,
    StockLow,
    UnknownSku,
)
from .conf import inventory_settings
from .models import Reservation, ReservationLine, StockAdjustment, StockItem
from .sql import reservation_keep_held, stock_take_above_threshold


def _merged(lines: Sequence[StockLine]) -> list[StockLine]:
    """One line per sku, in sku order, so concurrent reservations lock rows in the same order."""
    totals: dict[str, int] = {}
    for line in lines:
        if line.quantity <= 0:
            raise ValidationFailed("quantity must be positive", field="quantity", sku=line.sku)
        totals[line.sku] = totals.get(line.sku, 0) + line.quantity
    if not totals:
        raise ValidationFailed("a reservation needs at least one line", field="lines")
    return [StockLine(sku, qty) for sku, qty in sorted(totals.items())]


def stock_reserve(*, order_id: str, lines: Sequence[StockLine]) -> Reservation:
    """Reserve all lines for the order or none. Calling again for the same order returns the same reservation.

    A reservation made by this call carries `reserved_lines` (in sku order), saving a read of its lines."""
    order_uuid = parse_uuid(order_id)
    wanted = _merged(lines)
    # Inserted first, read only when the unique order_id refuses it: the usual call (the first) saves a read.
    try:
        with atomic_for("inventory"):
            reservation = Reservation.objects.create(order_id=order_uuid, held_until=_hold_until())
            maybe_low = [line.sku for line in wanted if _take(line)]
            ReservationLine.objects.bulk_create(
                ReservationLine(reservation=reservation, sku=line.sku, quantity=line.quantity) for line in wanted
            )
            publish(
                ItemsReserved(order_id=str(order_uuid), reservation_id=str(reservation.id), lines=tuple(wanted))
            )
            if maybe_low:
                _publish_low_stock(maybe_low)
    except IntegrityError:
        # Reserved before (a retried charge renews the hold), or a concurrent call won: answer with that one.
        return _existing_reservation(Reservation.objects.get(order_id=order_uuid))
    reservation.reserved_lines = tuple(wanted)  # what was just written, so callers need not read it back
    return reservation


def _hold_until():
    return timezone.now() + timedelta(seconds=inventory_settings.RESERVATION_HOLD_SECONDS)


def _existing_reservation(reservation: Reservation) -> Reservation:
    if reservation.status == Reservation.Status.RELEASED:
        raise ReservationClosed(
            "the reservation for this order was released", order_id=str(reservation.order_id)
        )
    # Asked again by a checkout still running: its hold is renewed (a sold one stays held until it ships).
    Reservation.objects.filter(pk=reservation.pk, status=Reservation.Status.ACTIVE, held_until__isnull=False).update(
        held_until=_hold_until(), updated_at=timezone.now())
    return reservation


def _take(line: StockLine) -> bool:
    """Move the line's units from free to reserved; True when that may have left the sku low (then read it)."""
    # One conditional UPDATE: the row lock and the check happen together, so stock never goes negative.
    # The usual take leaves the sku at or above its low-stock threshold, and its UPDATE's condition says so:
    # no read after it to find out (a take that would go below falls through to the plain one, then is read).
    now = timezone.now()
    if stock_take_above_threshold(sku=line.sku, quantity=line.quantity, now=now,
                                  default_threshold=inventory_settings.STOCK_LOW_THRESHOLD):
        return False
    if StockItem.objects.filter(sku=line.sku, on_hand__gte=line.quantity).update(
            on_hand=F("on_hand") - line.quantity, reserved=F("reserved") + line.quantity, updated_at=now):
        return True
    item = StockItem.objects.filter(sku=line.sku).first()
    if item is None:
        raise UnknownSku(f"no stock is kept for sku {line.sku!r}", sku=line.sku)
    raise OutOfStock(
        f"only {item.on_hand} of {line.sku!r} available", sku=line.sku, requested=line.quantity,
        available=item.on_hand,
    )


def _publish_low_stock(skus: list[str]) -> None:
    for item in StockItem.objects.filter(sku__in=skus):
        threshold = item.low_stock_threshold
        if threshold is None:
            threshold = inventory_settings.STOCK_LOW_THRESHOLD
        if item.on_hand < threshold:
            publish(StockLow(sku=item.sku, available=item.on_hand, threshold=threshold))


def stock_release(*, order_id: str) -> Reservation:
    """Return an order's reserved stock. Idempotent; releasing an unknown order leaves a tombstone."""
    order_uuid = parse_uuid(order_id)
    with atomic_for("inventory"):
        reservation, created = Reservation.objects.select_for_update().get_or_create(
            order_id=order_uuid, defaults={"status": Reservation.Status.RELEASED}
        )
        if created or reservation.status != Reservation.Status.ACTIVE:
            return reservation
        for line in reservation.lines.order_by("sku"):
            StockItem.objects.filter(sku=line.sku).update(
                on_hand=F("on_hand") + line.quantity, reserved=F("reserved") - line.quantity, updated_at=timezone.now()
            )
        reservation.status = Reservation.Status.RELEASED
        reservation.save(update_fields=["status", "updated_at"])
        publish(ItemsReleased(order_id=str(order_uuid), reservation_id=str(reservation.id)))
    return reservation


def stock_release_reservation(*, reservation_id: str) -> Reservation:
    """Return the stock of the reservation with this id (the seed's ReleaseItems); an unknown id is an error."""
    try:
        reservation = Reservation.objects.get(pk=parse_uuid(reservation_id))
    except (Reservation.DoesNotExist, ValidationFailed):
        raise ReservationNotFound("no reservation has this id", reservation_id=str(reservation_id)) from None
    return stock_release(order_id=str(reservation.order_id))


def stock_keep_for_sale(*, order_id: str) -> None:
    """The order was paid: its reservation is a sale now, kept until its shipment leaves (no more hold time).

    Idempotent. Raises ReservationClosed if it was released first (its hold ran out): the owner must undo
    the sale; ReservationNotFound if the order has none. Locks the row, so it cannot race the expiry sweep."""
    order_uuid = parse_uuid(order_id)
    # The usual case in one statement, atomic by itself: the UPDATE locks the row and re-checks it after a
    # concurrent expiry sweep, which in turn finds held_until cleared. Anything else is told apart below.
    if reservation_keep_held(order_id=order_uuid, now=timezone.now()):
        return
    with atomic_for("inventory"):
        reservation = Reservation.objects.select_for_update().filter(order_id=order_uuid).first()
        if reservation is None:
            raise ReservationNotFound("this order has no reservation", order_id=str(order_uuid))
        if reservation.status == Reservation.Status.RELEASED:
            raise ReservationClosed("the reservation for this order was released (its hold ran out)",
                                    order_id=str(order_uuid))
        if reservation.held_until is not None:
            reservation.held_until = None
            reservation.save(update_fields=["held_until", "updated_at"])


def reservations_release_expired(*, limit: int = 100) -> list[str]:
    """Release active reservations whose hold time passed, telling their owner (ReservationExpired)."""
    expired = []
    due = Reservation.objects.filter(status=Reservation.Status.ACTIVE, held_until__lte=timezone.now())
    for reservation_id in due.order_by("held_until").values_list("pk", flat=True)[:limit]:
        with atomic_for("inventory"):
            reservation = Reservation.objects.select_for_update().get(pk=reservation_id)
            if reservation.status != Reservation.Status.ACTIVE or reservation.held_until is None \
                    or reservation.held_until > timezone.now():
                continue  # renewed or sold meanwhile
            stock_release(order_id=str(reservation.order_id))
            publish(ReservationExpired(order_id=str(reservation.order_id), reservation_id=str(reservation.pk)))
        expired.append(str(reservation.order_id))
    return expired


def stock_adjust(*, sku: str, delta: int, reason: str, actor: str = "") -> StockItem:
    """Change the free stock of a sku by `delta` and record why; creates the sku on first receipt."""
    if not reason:
        raise ValidationFailed("an adjustment needs a reason", field="reason")
    with atomic_for("inventory"):
        item, _ = StockItem.objects.select_for_update().get_or_create(sku=sku)
        if item.on_hand + delta < 0:
            raise ValidationFailed(
                f"cannot remove {-delta} of {sku!r}: only {item.on_hand} free", field="delta", sku=sku
            )
        StockItem.objects.filter(pk=item.pk).update(on_hand=F("on_hand") + delta, updated_at=timezone.now())
        StockAdjustment.objects.create(stock_item=item, delta=delta, reason=reason, actor=actor)
        item.refresh_from_db()
    return item


def stock_commit(*, order_id: str) -> Reservation | None:
    """The order's reserved units left with its shipment: move them from reserved to sold. Idempotent."""
    with atomic_for("inventory"):
        reservation = Reservation.objects.select_for_update().filter(order_id=parse_uuid(order_id)).first()
        if reservation is None or reservation.status != Reservation.Status.ACTIVE:
            return reservation
        for line in reservation.lines.order_by("sku"):
            StockItem.objects.filter(sku=line.sku).update(
                reserved=F("reserved") - line.quantity, sold=F("sold") + line.quantity, updated_at=timezone.now()
            )
        reservation.status = Reservation.Status.COMMITTED
        reservation.save(update_fields=["status", "updated_at"])
    return reservation
