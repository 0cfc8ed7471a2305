"""Shipping's services on the real database: schedule once, cancel until dispatched, dispatch once, events with each."""
import uuid

import pytest

from outbox.models import OutboxEvent
from shipping.api import ShipmentAlreadyDispatched, ShipmentCalledOff
from shipping.models import Shipment
from shipping.services import shipment_cancel, shipment_dispatch, shipment_schedule

pytestmark = pytest.mark.django_db


def events(order_id) -> list[str]:
    return list(OutboxEvent.objects.filter(aggregate_id=str(order_id)).order_by("id").values_list("name", flat=True))


def test_scheduling_twice_answers_with_the_first_shipment_and_announces_it_once():
    order_id = str(uuid.uuid4())
    first = shipment_schedule(order_id=order_id, address="1 Road")
    again = shipment_schedule(order_id=order_id, address="another road")
    assert (again.pk, again.address, again.status) == (first.pk, "1 Road", Shipment.Status.SCHEDULED)
    assert first.pickup_date.weekday() < 5 and first.tracking_code.startswith("TRK")
    assert events(order_id) == ["shipping.ShipmentScheduled"]


def test_a_dispatched_shipment_cannot_be_cancelled_and_dispatching_again_changes_nothing():
    order_id = str(uuid.uuid4())
    shipment = shipment_schedule(order_id=order_id, address="1 Road")
    shipment_dispatch(shipment_id=shipment.pk)
    assert shipment_dispatch(shipment_id=shipment.pk).status == Shipment.Status.DISPATCHED
    with pytest.raises(ShipmentAlreadyDispatched):
        shipment_cancel(order_id=order_id)
    assert events(order_id) == ["shipping.ShipmentScheduled", "shipping.ShipmentDispatched"]


def test_cancelling_first_refuses_a_later_schedule():
    order_id = str(uuid.uuid4())  # the cancel overtook the schedule (a retried saga step, say)
    assert shipment_cancel(order_id=order_id).status == Shipment.Status.CANCELLED
    with pytest.raises(ShipmentCalledOff):
        shipment_schedule(order_id=order_id, address="1 Road")
    assert events(order_id) == []


def test_cancelling_a_scheduled_shipment_is_announced_once():
    order_id = str(uuid.uuid4())
    shipment_schedule(order_id=order_id, address="1 Road")
    shipment_cancel(order_id=order_id)
    assert shipment_cancel(order_id=order_id).status == Shipment.Status.CANCELLED
    assert events(order_id) == ["shipping.ShipmentScheduled", "shipping.ShipmentCancelled"]
