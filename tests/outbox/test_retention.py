"""Retention prunes delivered work only: pending, in-flight, failed, dead and undispatched work stays."""
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from outbox.api import publish
from outbox.models import Delivery, InboxRecord, OutboxEvent
from tests.conftest import deliver_outbox
from tests.loyalty.events import Bench

pytestmark = pytest.mark.django_db(transaction=True)


def delivered(count: int, *, key_each: bool = False) -> None:
    """Publish `count` Bench messages in one transaction (under one key, or a key each) and deliver them all."""
    with transaction.atomic():
        for n in range(count):
            publish(Bench(key=f"k{n}" if key_each else "k", n=n))
    deliver_outbox()


def test_retention_never_deletes_undelivered_work():
    delivered(7, key_each=True)
    events = list(OutboxEvent.objects.order_by("id"))
    statuses = ["done", "done", "pending", "in_flight", "failed", "dead"]
    for event, status in zip(events, statuses):
        Delivery.objects.filter(event=event).update(status=status)
    # A second subscriber still waiting on the first event keeps that event (only its done delivery goes).
    Delivery.objects.create(event=events[0], subscriber="loyalty.other", status="pending", aggregate_key="x",
                            next_attempt_at=timezone.now())
    OutboxEvent.objects.filter(pk=events[6].pk).update(dispatched_at=None)
    Delivery.objects.filter(event=events[6]).delete()  # never fanned out
    old = timezone.now() - timedelta(days=30)
    OutboxEvent.objects.update(created_at=old, occurred_at=old)
    OutboxEvent.objects.exclude(dispatched_at=None).update(dispatched_at=old)
    Delivery.objects.update(created_at=old, done_at=old)
    InboxRecord.objects.update(processed_at=old)

    call_command("prune_outbox", "--older-than-days", "7")

    assert set(OutboxEvent.objects.values_list("id", flat=True)) == {e.id for e in events if e is not events[1]}
    assert sorted(Delivery.objects.values_list("status", flat=True)) == sorted(
        ["pending", "pending", "in_flight", "failed", "dead"]
    )
    # The inbox records of deliveries not done (pending, in flight, failed, dead) still refuse a duplicate.
    kept = set(InboxRecord.objects.values_list("event_id", flat=True))
    assert kept == {e.event_id for e in events[2:6]}


def test_recent_done_work_is_kept():
    delivered(1)
    call_command("prune_outbox")
    assert OutboxEvent.objects.count() == Delivery.objects.filter(status="done").count() == 1


def test_done_deliveries_and_their_inbox_records_go_long_before_the_messages(settings):
    settings.OUTBOX = {**settings.OUTBOX, "DONE_RETENTION_SECONDS": 3600, "RETENTION_DAYS": 3}
    delivered(3)
    two_hours_ago = timezone.now() - timedelta(hours=2)
    Delivery.objects.update(done_at=two_hours_ago)
    InboxRecord.objects.update(processed_at=two_hours_ago)
    OutboxEvent.objects.update(dispatched_at=two_hours_ago)
    call_command("prune_outbox")
    assert (Delivery.objects.count(), InboxRecord.objects.count(), OutboxEvent.objects.count()) == (0, 0, 3)


def test_an_inbox_record_goes_a_lease_after_its_delivery_is_done_while_the_delivery_stays_for_the_admin(settings):
    # A copy of a done delivery never starts again; only one started before the done mark can still arrive.
    settings.OUTBOX = {**settings.OUTBOX, "DONE_RETENTION_SECONDS": 3600, "LEASE_SECONDS": 60}
    delivered(3)
    done_a_while_ago, done_just_now, running = Delivery.objects.order_by("id")
    InboxRecord.objects.update(processed_at=timezone.now() - timedelta(minutes=5))
    Delivery.objects.filter(pk=done_a_while_ago.pk).update(done_at=timezone.now() - timedelta(minutes=2))
    Delivery.objects.filter(pk=done_just_now.pk).update(done_at=timezone.now() - timedelta(seconds=10))
    Delivery.objects.filter(pk=running.pk).update(status="in_flight")  # not done: its record refuses a copy

    call_command("prune_outbox")

    assert Delivery.objects.count() == 3
    assert set(InboxRecord.objects.values_list("event_id", flat=True)) == {
        done_just_now.event.event_id, running.event.event_id}


def test_pruning_is_bounded_per_run():
    from outbox.retention import prune

    delivered(5)
    assert prune(done_older_than_seconds=-1, limit=2)["deliveries"] == 2
    assert prune(done_older_than_seconds=-1, limit=2)["deliveries"] == 2
    assert Delivery.objects.count() == 1


def test_no_task_retries_beyond_the_visibility_timeout(settings):
    from outbox.checks import countdowns_within_visibility_timeout

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    assert countdowns_within_visibility_timeout() == []
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 300}  # below loyalty.retrying_command's 600
    assert [e.id for e in countdowns_within_visibility_timeout()] == ["outbox.E001"]
