"""Shipping's business operations: schedule, cancel and dispatch shipments."""
from __future__ import annotations

import datetime
import uuid

from django.db import IntegrityError
from django.utils import timezone

from common.db import atomic_for
from common.errors import ValidationFailed
from common.ids import parse_uuid
from outbox.api import publish

from .api import (
    ShipmentAlreadyDispatched,
    ShipmentCalledOff,
    ShipmentCancelled,
    ShipmentDispatched,
    ShipmentScheduled,
)
from .models import Shipment


def _next_pickup_date() -> datetime.date:
    day = timezone.localdate() + datetime.timedelta(days=1)
    while day.weekday() >= 5:  # carriers collect on weekdays only
        day += datetime.timedelta(days=1)
    return day


def shipment_schedule(*, order_id: str, address: str) -> Shipment:
    """Schedule a pickup for the order; scheduling again returns the existing shipment."""
    order_uuid = parse_uuid(order_id)
    # Inserted first, read only when the unique order_id refuses it: the usual call (the first) saves a read.
    try:
        with atomic_for("shipping"):
            shipment = Shipment.objects.create(
                order_id=order_uuid, address=address, pickup_date=_next_pickup_date(),
                tracking_code=f"TRK{uuid.uuid4().hex[:12].upper()}",
            )
            publish(ShipmentScheduled(order_id=str(order_uuid), shipment_id=str(shipment.id),
                                      pickup_date=shipment.pickup_date))
    except IntegrityError:
        # Scheduled before, or by a concurrent call that won: answer as it did (a called-off one is refused).
        existing = Shipment.objects.get(order_id=order_uuid)
        if existing.status == Shipment.Status.CANCELLED:
            raise ShipmentCalledOff("the shipment of this order was called off", order_id=str(order_uuid)) from None
        return existing
    return shipment


def shipment_cancel(*, order_id: str) -> Shipment:
    """Cancel the order's shipment unless it was dispatched; idempotent. With none yet, a later one is refused."""
    order_uuid = parse_uuid(order_id)
    with atomic_for("shipping"):
        shipment = Shipment.objects.select_for_update().filter(order_id=order_uuid).first()
        if shipment is None:
            try:
                with atomic_for("shipping"):
                    return Shipment.objects.create(
                        order_id=order_uuid, status=Shipment.Status.CANCELLED, pickup_date=timezone.localdate(),
                        tracking_code="",
                    )
            except IntegrityError:
                shipment = Shipment.objects.select_for_update().get(order_id=order_uuid)
        if shipment.status == Shipment.Status.CANCELLED:
            return shipment
        if shipment.status == Shipment.Status.DISPATCHED:
            raise ShipmentAlreadyDispatched("the shipment has already left", order_id=str(order_id))
        shipment.status = Shipment.Status.CANCELLED
        shipment.save(update_fields=["status", "updated_at"])
        publish(ShipmentCancelled(order_id=str(shipment.order_id), shipment_id=str(shipment.id)))
    return shipment


def shipment_dispatch(*, shipment_id: uuid.UUID) -> Shipment:
    """Mark a scheduled shipment as gone with the carrier."""
    with atomic_for("shipping"):
        shipment = Shipment.objects.select_for_update().get(pk=shipment_id)
        if shipment.status == Shipment.Status.DISPATCHED:
            return shipment
        if shipment.status != Shipment.Status.SCHEDULED:
            raise ValidationFailed("only a scheduled shipment can be dispatched", field="status")
        shipment.status = Shipment.Status.DISPATCHED
        shipment.save(update_fields=["status", "updated_at"])
        publish(ShipmentDispatched(order_id=str(shipment.order_id), shipment_id=str(shipment.id)))
    return shipment
