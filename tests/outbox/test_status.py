"""The outbox's lag: how long the oldest runnable work has waited, from the admin and a management command."""
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from outbox.api import outbox_lag_seconds, publish
from outbox.models import Delivery, OutboxEvent
from outbox.relay import fan_out
from outbox.selectors import outbox_status
from tests.loyalty.events import Bench

pytestmark = pytest.mark.django_db(transaction=True)


def status_from_command(*args) -> dict:
    out = StringIO()
    call_command("outbox_status", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def test_lag_is_the_wait_of_the_oldest_runnable_work_and_a_backoff_is_not_lag():
    assert status_from_command()["lag_seconds"] == 0.0
    with transaction.atomic():
        publish(Bench(key="k", n=1))
        publish(Bench(key="k", n=2))
    OutboxEvent.objects.update(created_at=timezone.now() - timedelta(seconds=30))
    assert 29 <= outbox_status()["lag_seconds"] <= 40  # committed 30 s ago, never fanned out
    assert 29 <= outbox_lag_seconds() <= 40  # the same figure alone, for a metrics exporter

    fan_out(batch=10)  # handed to the broker, no worker has started them
    Delivery.objects.update(updated_at=timezone.now() - timedelta(seconds=12))
    status = status_from_command()
    assert (status["queued"], status["undispatched"]) == (2, 0) and 11 <= status["lag_seconds"] <= 20

    # A retry waiting for its backoff is not behind: only once it is due does its wait count.
    Delivery.objects.update(status="failed", next_attempt_at=timezone.now() + timedelta(seconds=60))
    assert outbox_status()["lag_seconds"] == 0.0 and outbox_status()["failed"] == 2
    Delivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=5))
    assert 4 <= outbox_status()["lag_seconds"] <= 10


def test_the_command_fails_when_the_lag_is_above_a_limit():
    with transaction.atomic():
        publish(Bench(key="k", n=1))
    OutboxEvent.objects.update(created_at=timezone.now() - timedelta(seconds=90))
    with pytest.raises(SystemExit):
        status_from_command("--max-lag", "60")
    assert status_from_command("--max-lag", "600")["undispatched"] == 1
