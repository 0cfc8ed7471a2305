"""With a database per context (SHOP_TEST_DATABASE_PER_CONTEXT=1): each context's rows and messages are in its own
database, a message reaches a subscriber in another one exactly once, however often the relay is interrupted."""
import pytest
from django.conf import settings
from django.db import connections, transaction

from common.db import alias_for, using
from orders.models import Order
from outbox.models import Delivery, OutboxEvent
from outbox.relay import fan_out
from tests.conftest import priced
from tests.dbguard import CrossDatabaseQuery
from tests.e2e.settle import settle
from orders.api import get_orders_api

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def per_context(settings):
    if len(settings.DATABASES) == 1:
        pytest.skip("one database: run with SHOP_TEST_DATABASE_PER_CONTEXT=1 on PostgreSQL (scripts/test does)")
    settings.CHECKOUT_MODE = "choreographed"  # the order is placed, nothing else runs until the relay does


def place():
    return get_orders_api().place_order(customer_id=7, email="db@example.com", lines=[priced("MUG", 1)],
                                        payment_token="tok_visa", shipping_address="2 Lane")


def test_each_database_holds_its_contexts_tables_and_every_outbox():
    for alias in settings.DATABASES:
        tables = set(connections[alias].introspection.table_names())
        assert {"outbox_outboxevent", "outbox_delivery", "outbox_inboxrecord"} <= tables
        assert ("orders_order" in tables) == (alias == alias_for("orders"))
        assert ("auth_user" in tables) == (alias == "default")


def test_an_order_and_its_event_are_committed_on_orders_database(catalog):
    order = place()
    assert Order.objects.using(alias_for("orders")).filter(pk=order.order_id).exists()
    assert OutboxEvent.objects.using(alias_for("orders")).filter(aggregate_id=order.order_id,
                                                                 name="orders.OrderPlaced").exists()
    assert not OutboxEvent.objects.using("default").filter(aggregate_id=order.order_id).exists()
    with pytest.raises(CrossDatabaseQuery, match="orders_order"):  # and nobody else reads it
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT count(*) FROM orders_order")


def test_a_relay_interrupted_after_copying_copies_nothing_twice(catalog):
    order = place()
    orders_db = alias_for("orders")

    class Killed(Exception):
        pass

    # Each cycle copies the messages into the subscribers' databases and commits there, then dies before its
    # own commit marks them dispatched: the next cycle copies the same messages again.
    for _ in range(2):
        with pytest.raises(Killed), using(orders_db), transaction.atomic(using=orders_db):
            assert fan_out(batch=100)[0] >= 1
            raise Killed
    with using(orders_db):
        fan_out(batch=100)
    copies = {alias: OutboxEvent.objects.using(alias).filter(aggregate_id=order.order_id).count()
              for alias in settings.DATABASES if alias != orders_db}
    assert copies[alias_for("payments")] == 1 and copies[alias_for("notifications")] == 1
    for alias in settings.DATABASES:
        per_subscriber = Delivery.objects.using(alias).filter(event__aggregate_id=order.order_id).values_list(
            "subscriber", flat=True)
        assert len(per_subscriber) == len(set(per_subscriber))
    settle()
    assert Order.objects.get(pk=order.order_id).status == "confirmed"


def test_the_outbox_gauges_read_every_database(catalog):
    from observability.scrape import OutboxCollector

    place()  # its OrderPlaced waits on orders' database: choreographed, and no relay runs here
    families = {family.name: family.samples for family in OutboxCollector().collect()}
    assert {s.labels["database"]: s.value for s in families["shop_outbox_status_up"]} == dict.fromkeys(
        settings.DATABASES, 1)
    undispatched = {s.labels["database"]: s.value for s in families["shop_outbox_undispatched_messages"]}
    assert undispatched[alias_for("orders")] >= 1 and undispatched["default"] == 0, undispatched
