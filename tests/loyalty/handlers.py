"""Loyalty's subscriber to orders.OrderPlaced (orders untouched), and probes used by the tests."""
import os
import time
from decimal import Decimal

from django.db import connection

from common.errors import NotYetKnown
from outbox.api import Envelope, subscriber, upcaster

from .models import PointsAward, ProbeEffect


@subscriber("orders.OrderPlaced", batch=True)
def award_points(envelope: Envelope) -> None:
    """One point per whole unit of the order's total."""
    payload = envelope.payload
    PointsAward.objects.create(order_id=payload["order_id"], customer_id=payload["customer_id"],
                               points=int(Decimal(payload["total"]["amount"])))


def record_effect(envelope_or_payload, subscriber_name: str, event_id) -> None:
    """The effect shared by the probe subscribers and the benchmark's plain Celery task."""
    payload = envelope_or_payload
    ProbeEffect.objects.create(event_id=event_id, subscriber=subscriber_name, key=payload["key"], n=payload["n"],
                               started_at=payload.get("_started", time.time()), pid=os.getpid())


@subscriber("tests.Probe", ordered=True)
def probe(envelope: Envelope) -> None:
    """Ordered per key; sleeps (to be killed mid-handler) or fails when the message asks."""
    started = time.time()
    if envelope.payload.get("sleep"):
        time.sleep(envelope.payload["sleep"])
    if envelope.payload.get("fail"):
        raise RuntimeError("probe asked to fail")
    record_effect({**envelope.payload, "_started": started}, "loyalty.probe", envelope.event_id)


@subscriber("tests.Bench", batch=True)
def bench(envelope: Envelope) -> None:
    """Unordered, batched (its effect is a row in this database): records one effect row."""
    if envelope.payload.get("fail"):
        raise RuntimeError("bench message asked to fail")
    record_effect({**envelope.payload, "_started": time.time()}, "loyalty.bench", envelope.event_id)


@subscriber("tests.Afterwards", batch=True, after_commit=True)
def afterwards(envelope: Envelope) -> None:
    """Records what it found when it ran: whether a transaction was open, and its delivery's status and inbox row."""
    from outbox.models import Delivery, InboxRecord

    if envelope.payload.get("fail"):
        raise RuntimeError("afterwards asked to fail")
    status = Delivery.objects.get(event__event_id=envelope.event_id, subscriber="loyalty.afterwards").status
    recorded = InboxRecord.objects.filter(event_id=envelope.event_id, subscriber="loyalty.afterwards").exists()
    ProbeEffect.objects.create(event_id=envelope.event_id, subscriber="loyalty.afterwards", started_at=time.time(),
                               key=f"{envelope.payload['key']}|atomic={connection.in_atomic_block}|{status}|{recorded}",
                               n=0, pid=os.getpid())


@subscriber("tests.Poison", max_attempts=3)
def poison(envelope: Envelope) -> None:
    """Fails until the test records a cure for its key (a fixed bug, as far as a replay is concerned)."""
    key = envelope.payload["key"]
    if not ProbeEffect.objects.filter(key=f"cure:{key}").exists():
        raise ValueError(f"poisoned message {key}")
    record_effect({"key": key, "n": 0}, "loyalty.poison", envelope.event_id)


@upcaster("tests.Versioned", from_version=1)
def versioned_v1_to_v2(payload: dict) -> dict:
    """v2 split `name` into first and last."""
    first, _, last = payload.pop("name").partition(" ")
    return {**payload, "first": first, "last": last}


@subscriber("tests.Versioned", version=2)
def versioned(envelope: Envelope) -> None:
    """Reads v2 only; v1 messages arrive upcast."""
    ProbeEffect.objects.create(event_id=envelope.event_id, subscriber="loyalty.versioned",
                               key=f"{envelope.payload['first']}|{envelope.payload['last']}|v{envelope.version}",
                               n=envelope.version, started_at=time.time(), pid=os.getpid())


@subscriber("tests.Follower", max_attempts=2)
def follower(envelope: Envelope) -> None:
    """Waits (NotYetKnown) until its leader's effect exists, as choreography's handlers do; records one effect."""
    key = envelope.payload["key"]
    if ProbeEffect.objects.filter(key=f"cut:{key}").exists():  # the test asks for a database restart mid-handler
        import psycopg

        db = connection.settings_dict
        pid = connection.connection.info.backend_pid
        with psycopg.connect(host=db["HOST"] or None, port=db["PORT"] or None, dbname=db["NAME"],
                             user=db["USER"] or None, password=db["PASSWORD"] or None, autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])
        ProbeEffect.objects.count()  # the connection is gone: this raises, as after a database restart
    if not ProbeEffect.objects.filter(key=f"leader:{key}").exists():
        raise NotYetKnown(f"leader of {key} not seen yet")
    record_effect({"key": key, "n": 0}, "loyalty.follower", envelope.event_id)
