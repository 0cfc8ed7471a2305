"""With a database per context (SHOP_TEST_DATABASE_PER_CONTEXT=1): each context's rows and messages are in its own
database, a message reaches a subscriber in another one exactly once,
however often the relay is interrupted; the outbox admin shows and replays a delivery on any database."""
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections, transaction
from django.urls import reverse

import outbox.admin
from common.db import alias_for, current_alias, using
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


def test_the_outbox_admin_shows_and_replays_a_dead_delivery_in_another_database(catalog, client, monkeypatch):
    order = place()
    with using(alias_for("orders")):
        fan_out(batch=100)  # copies OrderPlaced and its deliveries into the subscribers' databases
    payments_db = alias_for("payments")
    dead = Delivery.objects.using(payments_db).filter(event__aggregate_id=order.order_id).first()
    Delivery.objects.using(payments_db).filter(pk=dead.pk).update(status="dead", attempts=5, last_error="boom")
    woken = []
    monkeypatch.setattr(outbox.admin, "wake_now", lambda: woken.append(current_alias()))
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "root-pass"))
    changelist = reverse("admin:outbox_delivery_changelist")

    page = client.get(changelist, {"database": payments_db, "status__exact": "dead"}).content.decode()
    assert 'data-filter-title="database"' in page and f"database <strong>{payments_db}</strong>" in page
    assert f"/outbox/delivery/{dead.pk}/change/" in page and "<strong>1</strong> dead" in page
    on_default = client.get(changelist, {"status__exact": "dead"}).content.decode()
    assert "0 deliveries" in on_default and "database <strong>default</strong>" in on_default

    change = client.get(reverse("admin:outbox_delivery_change", args=[dead.pk]),
                        {"_changelist_filters": f"database={payments_db}"})
    assert change.status_code == 200 and "boom" in change.content.decode()
    assert f"/outbox/outboxevent/{dead.event_id}/change/?database={payments_db}" in change.content.decode()
    message = client.get(reverse("admin:outbox_outboxevent_change", args=[dead.event_id]), {"database": payments_db})
    assert message.status_code == 200 and dead.subscriber in message.content.decode()  # its inline too
    events = reverse("admin:outbox_outboxevent_changelist")
    assert "1 outbox event\n" in client.get(events, {"database": payments_db, "q": order.order_id}).content.decode()
    assert client.get(reverse("admin:outbox_inboxrecord_changelist"), {"database": payments_db}).status_code == 200

    response = client.post(f"{changelist}?database={payments_db}",
                           {"action": "replay", "_selected_action": [dead.pk]})
    assert response.status_code == 302 and woken == [payments_db]
    dead.refresh_from_db(using=payments_db)
    assert (dead.status, dead.attempts) == ("pending", 0)
    client.post(f"{changelist}?database={payments_db}", {"action": "dead_letter", "_selected_action": [dead.pk]})
    dead.refresh_from_db(using=payments_db)
    assert dead.status == "dead" and "dead-lettered by root" in dead.last_error and woken == [payments_db] * 2
    client.post(f"{changelist}?database={payments_db}", {"action": "replay", "_selected_action": [dead.pk]})
    settle()
