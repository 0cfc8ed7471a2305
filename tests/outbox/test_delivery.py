"""Delivery in one process on both databases: fan-out, inbox, upcasting, ordering, retries, dead letters, admin."""
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from outbox.api import publish
from outbox.delivery import backoff_seconds, deliver_batch
from outbox.models import Delivery, InboxRecord, OutboxEvent
from outbox.relay import claim, fan_out
from tests.conftest import deliver_outbox
from tests.loyalty.events import Afterwards, Poison, Probe
from tests.loyalty.models import ProbeEffect

pytestmark = pytest.mark.django_db(transaction=True)


def store(event, **headers):
    with transaction.atomic():
        publish(event, headers=headers or None)


def test_each_subscriber_gets_its_own_delivery_and_runs_once():
    store(Probe(key="k", n=1))
    taken, in_flight = fan_out(batch=10)
    assert taken == 1 and in_flight == []  # the probe is ordered: claim() decides when its turn comes
    assert list(Delivery.objects.values_list("subscriber", "status")) == [("loyalty.probe", "pending")]
    assert OutboxEvent.objects.get().dispatched_at is not None
    deliver_outbox()
    assert Delivery.objects.get().status == "done"
    assert ProbeEffect.objects.count() == 1
    assert InboxRecord.objects.filter(subscriber="loyalty.probe").count() == 1


def test_a_duplicate_delivery_is_recorded_and_ignored():
    store(Probe(key="k", n=1))
    deliver_outbox()
    Delivery.objects.update(status="in_flight")  # as if the broker handed the message out a second time
    assert deliver_batch("loyalty.probe", list(Delivery.objects.values_list("id", flat=True))) == {
        "handled": 0, "duplicate": 1, "failed": 0, "dead": 0, "waiting": 0}
    assert ProbeEffect.objects.count() == 1


def test_an_after_commit_subscriber_runs_once_its_delivery_is_recorded_and_a_failure_there_is_not_retried(caplog):
    for key in ("a", "b", "c"):
        store(Afterwards(key=key, fail=key == "b"))
    _, in_flight = fan_out(batch=10)
    ids = [delivery_id for delivery_id, _ in in_flight]
    # One batch: the inbox rows and done marks commit first (no transaction is open when the handlers run); the
    # failure of one is logged and the next still runs. Its delivery is done: its own state must bring it back.
    assert deliver_batch("loyalty.afterwards", ids) == {
        "handled": 3, "duplicate": 0, "failed": 0, "dead": 0, "waiting": 0}
    assert sorted(ProbeEffect.objects.values_list("key", flat=True)) == [
        "a|atomic=False|done|True", "c|atomic=False|done|True"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"done"}
    assert "afterwards asked to fail" in caplog.text
    Delivery.objects.update(status="in_flight")  # handed out again: recorded, so no handler runs twice
    assert deliver_batch("loyalty.afterwards", ids)["duplicate"] == 3
    assert ProbeEffect.objects.count() == 2


def test_stored_messages_need_no_python_class_and_old_versions_are_upcast():
    # Written by hand, as an older release (or a renamed class) left it: only the name and version matter.
    with transaction.atomic():
        OutboxEvent.objects.create(name="tests.Versioned", version=1, aggregate_type="person", aggregate_id="1",
                                   payload={"name": "Ada Lovelace"}, occurred_at=timezone.now())
    deliver_outbox()
    assert list(ProbeEffect.objects.values_list("key", flat=True)) == ["Ada|Lovelace|v2"]


def test_ordered_subscriber_gets_one_aggregate_in_publication_order():
    for n in (1, 2, 3):
        store(Probe(key="same", n=n))
    store(Probe(key="other", n=1))
    fan_out(batch=10)
    first = claim(batch=10)
    ids = dict(Delivery.objects.values_list("id", "event__payload__n"))
    assert sorted(ids[d] for d, _ in first) == [1, 1]  # the head of each aggregate only
    assert claim(batch=10) == []  # nothing else until those are done
    deliver_batch("loyalty.probe", [d for d, _ in first])
    deliver_outbox()
    assert list(ProbeEffect.objects.filter(key="same").order_by("id").values_list("n", flat=True)) == [1, 2, 3]


def test_a_failing_handler_backs_off_then_is_dead_lettered_and_replay_from_the_admin_works(client):
    store(Poison(key="p1"))
    for attempt in (1, 2, 3):
        deliver_outbox()
        delivery = Delivery.objects.get()
        assert delivery.attempts == attempt
        assert "poisoned message p1" in delivery.last_error
        if attempt < 3:
            assert delivery.status == "failed" and delivery.next_attempt_at > timezone.now()
            assert claim(batch=10) == []  # not due before its backoff
            Delivery.objects.update(next_attempt_at=timezone.now())
    assert delivery.status == "dead"

    admin = get_user_model().objects.create_superuser("root", "root@example.com", "root-pass")
    client.force_login(admin)
    changelist = reverse("admin:outbox_delivery_changelist")
    page = client.get(changelist, {"status__exact": "dead"}).content.decode()
    assert "<strong>1</strong> dead" in page and "outbox lag" in page
    ProbeEffect.objects.create(event_id=uuid.uuid4(), subscriber="test", key="cure:p1", n=0, started_at=0, pid=0)
    response = client.post(changelist, {"action": "replay", "_selected_action": [delivery.pk]})
    assert response.status_code == 302
    assert Delivery.objects.get().status == "pending" and Delivery.objects.get().attempts == 0
    deliver_outbox()
    assert Delivery.objects.get().status == "done"
    assert ProbeEffect.objects.filter(subscriber="loyalty.poison").count() == 1


def test_a_handler_that_keeps_killing_its_worker_is_dead_lettered_without_running_again():
    store(Probe(key="killer", n=1))
    fan_out(batch=10)
    claim(batch=10)
    Delivery.objects.update(attempts=3)  # started three times (MAX_ATTEMPTS in tests), never finished
    assert deliver_batch("loyalty.probe", [Delivery.objects.get().pk])["dead"] == 1
    assert Delivery.objects.get().status == "dead"
    assert ProbeEffect.objects.count() == 0


def test_backoff_doubles_with_jitter_and_is_capped(settings):
    settings.OUTBOX = {**settings.OUTBOX, "RETRY_BASE_SECONDS": 2, "RETRY_MAX_SECONDS": 60}
    for attempts, full in [(1, 2), (2, 4), (3, 8), (10, 60)]:
        delays = {backoff_seconds(attempts) for _ in range(20)}
        assert all(full / 2 <= d <= full for d in delays)
        assert len(delays) > 1


def test_a_lease_that_expires_is_claimed_again():
    store(Probe(key="k", n=1))
    fan_out(batch=10)
    [(delivery_id, _)] = claim(batch=10)
    assert claim(batch=10) == []
    Delivery.objects.update(leased_until=timezone.now() - timedelta(seconds=1))  # its relay died
    assert [d for d, _ in claim(batch=10)] == [delivery_id]


def test_handlers_publish_with_the_correlation_id_and_their_cause(catalog):
    from orders.api import get_orders_api
    from tests.conftest import priced

    order = get_orders_api().place_order(customer_id=7, email="c@example.com", lines=[priced("MUG", 1)],
                                         payment_token="tok_visa", shipping_address="")
    deliver_outbox()
    placed = OutboxEvent.objects.get(name="orders.OrderPlaced", aggregate_id=order.order_id)
    invoiced = OutboxEvent.objects.get(name="payments.InvoiceCreated", aggregate_id=order.order_id)
    assert invoiced.headers["causation_id"] == str(placed.event_id)
    assert invoiced.headers["correlation_id"] == placed.headers["correlation_id"]
    assert invoiced.headers["traceparent"].split("-")[1] == placed.headers["traceparent"].split("-")[1]


def test_a_batch_sharing_one_transaction_falls_back_to_one_by_one_when_a_handler_fails():
    from tests.loyalty.events import Bench

    for n, fail in [(1, False), (2, True), (3, False)]:
        store(Bench(key="b", n=n, fail=fail))
    _, in_flight = fan_out(batch=10)
    counts = deliver_batch("loyalty.bench", [d for d, _ in in_flight])
    assert counts == {"handled": 2, "duplicate": 0, "failed": 1, "dead": 0, "waiting": 0}
    assert sorted(ProbeEffect.objects.values_list("n", flat=True)) == [1, 3]  # once each, despite the rollback
    assert sorted(Delivery.objects.values_list("status", flat=True)) == ["done", "done", "failed"]
    assert InboxRecord.objects.count() == 2


def test_a_batch_sharing_one_transaction_skips_what_it_already_handled():
    from tests.loyalty.events import Bench

    for n in range(3):
        store(Bench(key="b", n=n))
    _, in_flight = fan_out(batch=10)
    ids = [d for d, _ in in_flight]
    assert deliver_batch("loyalty.bench", ids[:1])["handled"] == 1
    Delivery.objects.update(status="in_flight")
    assert deliver_batch("loyalty.bench", ids) == {"handled": 2, "duplicate": 1, "failed": 0, "dead": 0, "waiting": 0}
    assert ProbeEffect.objects.count() == 3


def test_retry_now_from_the_admin_makes_a_failed_delivery_due(client):
    store(Poison(key="p2"))
    deliver_outbox()
    assert Delivery.objects.get().status == "failed"
    Delivery.objects.update(next_attempt_at=timezone.now() + timedelta(hours=1))
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "root-pass"))
    delivery = Delivery.objects.get()
    client.post(reverse("admin:outbox_delivery_changelist"), {"action": "retry_now", "_selected_action": [delivery.pk]})
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts == 1 and delivery.next_attempt_at <= timezone.now()
    assert [d for d, _ in claim(batch=10)] == [delivery.pk]
    page = client.get(reverse("admin:outbox_outboxevent_change", args=[delivery.event_id])).content.decode()
    assert "loyalty.poison" in page and "p2" in page  # the event page shows its deliveries and payload
