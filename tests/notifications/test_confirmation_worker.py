"""The order confirmation is a command stored in the outbox, relayed and handled by real processes."""
import os
import re

import pytest
from django.conf import settings

from notifications.models import Notification
from tests.conftest import client_for, order_body
from tests.processes import ROOT, celery_worker, relay, wait_for

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def real_broker():
    if not settings.CELERY_BROKER_URL.startswith(("redis://", "amqp://")):
        pytest.skip("set CELERY_BROKER_URL=redis://... or amqp://... (scripts/test does) to run worker tests")


def test_worker_sends_one_confirmation_per_order(real_broker, catalog, customer):
    response = client_for(customer).post("/api/orders/", order_body(("MUG", 1)), format="json")
    assert response.status_code == 201
    order_id = response.json()["order_id"]

    with relay(), celery_worker():
        sent = wait_for(
            lambda: Notification.objects.filter(order_id=order_id, status="sent").first(), timeout=30,
            message="the worker to send the confirmation",
        )
    assert sent.kind == "order_confirmation"
    assert sent.recipient == "carol@example.com"
    assert "12.50 EUR" in sent.body
    # The worker's log line carries the ids that lead to the checkout's trace and request (Celery replaces
    # the root logger's handlers: config/celery.py stamps its own).
    log = (ROOT / "var" / f"worker-{os.getpid()}.log").read_text()
    line = next(line for line in log.splitlines() if f"sent order_confirmation {sent.pk} " in line)
    assert re.search(r"\[trace=[0-9a-f]{32} span=[0-9a-f]{16} correlation=[0-9a-f-]{36}\]", line), line


def test_the_command_handled_twice_sends_one_email(catalog):
    import uuid

    from django.core import mail
    from django.utils import timezone

    from notifications.handlers import send_order_confirmation
    from outbox.api import Envelope

    payload = dict(order_id="5d1d1f7e-51a8-4d38-9b0e-7c1c2a3b4c5d", email="x@example.com", total="1.00",
                   currency="EUR", lines=["1 x thing"])
    for _ in range(2):  # a redelivery, or a replay from the admin
        send_order_confirmation(Envelope(
            event_id=uuid.uuid4(), name="notifications.SendOrderConfirmation", version=1, aggregate_type="order",
            aggregate_id=payload["order_id"], occurred_at=timezone.now(), payload=payload, headers={}))
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1
