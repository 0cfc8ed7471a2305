"""publish() writes in the caller's transaction and refuses to run outside one."""
import pytest
from django.db import transaction

from orders.api import OrderConfirmed
from outbox.api import OutsideTransaction, publish
from outbox.models import OutboxEvent


@pytest.mark.django_db(transaction=True)
def test_publish_outside_a_transaction_is_refused():
    with pytest.raises(OutsideTransaction):
        publish(OrderConfirmed(order_id="o-1"))
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_no_event():
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            publish(OrderConfirmed(order_id="o-2"))
            raise RuntimeError("the business change failed")
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_stores_the_event_with_its_envelope():
    event = OrderConfirmed(order_id="o-3")
    with transaction.atomic():
        publish(event, headers={"correlation_id": "c-1"})
    stored = OutboxEvent.objects.get()
    assert (stored.event_id, stored.name, stored.version) == (event.event_id, "orders.OrderConfirmed", 1)
    assert (stored.aggregate_type, stored.aggregate_id) == ("order", "o-3")
    assert stored.payload == {"order_id": "o-3"}
    assert stored.headers["correlation_id"] == "c-1"
    assert stored.headers["traceparent"].startswith("00-")
