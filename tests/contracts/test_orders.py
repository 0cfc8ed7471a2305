"""The OrdersApi contract, identical over local, REST and gRPC."""
import datetime
import uuid
from functools import partial

import pytest

from common.errors import ValidationFailed
from orders.api import OrderNotCancellable, OrderNotFound, get_orders_api
from orders.transports.local import LocalOrdersApi
from shipping.models import Shipment
from shipping.services import shipment_dispatch
from tests import helpers
from tests.conftest import priced

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]


place = partial(helpers.place, customer_id=7)


def test_place_get_and_list(catalog, transport):
    order = place(priced("MUG", 2))
    assert (order.status, order.customer_id, str(order.total.amount)) == ("confirmed", 7, "25.00")
    assert order.created_at.tzinfo is not None and isinstance(order.created_at, datetime.datetime)
    assert get_orders_api().get_order(order_id=order.order_id) == order
    assert LocalOrdersApi().get_order(order_id=order.order_id) == order  # no drift

    declined = place(priced("MUG", 2), customer_id=8, token="tok_declined")
    assert (declined.status, declined.cancel_code) == ("cancelled", "payment_declined")
    mine = get_orders_api().list_orders(customer_id=7, limit=10, offset=0)
    assert (mine.count, mine.orders) == (1, (order,))
    everyone = get_orders_api().list_orders(customer_id=None, limit=1, offset=0)
    assert (everyone.count, len(everyone.orders)) == (2, 1)


def test_missing_orders_and_bad_lines(catalog, transport):
    for order_id in (str(uuid.uuid4()), "not-a-uuid"):
        with pytest.raises(OrderNotFound) as raised:
            get_orders_api().get_order(order_id=order_id)
        assert raised.value.details == {"order_id": order_id}
    with pytest.raises(ValidationFailed) as raised:
        place(priced("MUG", 1), priced("MUG", 1))
    assert raised.value.details == {"field": "lines.1.sku", "sku": "MUG"}


def test_cancel_and_not_cancellable(catalog, transport):
    order = place(priced("MUG", 2))
    cancelled = get_orders_api().cancel_order(order_id=order.order_id, reason="changed my mind")
    assert (cancelled.status, cancelled.cancel_code, cancelled.cancel_reason) == (
        "cancelled", "customer_request", "changed my mind"
    )
    shipped = place(priced("MUG", 2))
    shipment_dispatch(shipment_id=Shipment.objects.get(order_id=shipped.order_id).pk)
    with pytest.raises(OrderNotCancellable):
        get_orders_api().cancel_order(order_id=shipped.order_id, reason="too late")
