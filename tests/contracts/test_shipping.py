"""The ShippingApi contract, identical over local, REST and gRPC."""
import datetime
import uuid

import pytest

from shipping.api import ShipmentAlreadyDispatched, get_shipping_api
from shipping.models import Shipment
from shipping.services import shipment_dispatch
from shipping.transports.local import LocalShippingApi

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]


def test_schedule_is_idempotent_and_cancel_calls_it_off(transport):
    shipping = get_shipping_api()
    order_id = str(uuid.uuid4())
    shipment = shipping.schedule_shipment(order_id=order_id, address="1 Road")

    assert (shipment.order_id, shipment.status) == (order_id, "scheduled")
    assert isinstance(shipment.pickup_date, datetime.date) and shipment.pickup_date.weekday() < 5
    assert shipping.schedule_shipment(order_id=order_id, address="elsewhere") == shipment
    assert LocalShippingApi().schedule_shipment(order_id=order_id, address="") == shipment
    assert shipping.cancel_shipment(order_id=order_id) is None
    shipping.cancel_shipment(order_id=order_id)
    shipping.cancel_shipment(order_id=str(uuid.uuid4()))  # nothing to cancel is fine
    assert Shipment.objects.get(order_id=order_id).status == "cancelled"


def test_a_dispatched_shipment_cannot_be_cancelled(transport):
    order_id = str(uuid.uuid4())
    shipment = get_shipping_api().schedule_shipment(order_id=order_id, address="1 Road")
    shipment_dispatch(shipment_id=uuid.UUID(shipment.shipment_id))
    with pytest.raises(ShipmentAlreadyDispatched) as raised:
        get_shipping_api().cancel_shipment(order_id=order_id)
    assert raised.value.details == {"order_id": order_id}
