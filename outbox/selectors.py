"""Reads about the outbox's health: how much work waits, how long the oldest runnable work has waited."""
from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Min
from django.utils import timezone

from .models import Delivery, OutboxEvent


def outbox_status() -> dict:
    """Counts per state and the lag (outbox_lag_seconds). A lag that keeps growing means the workers do not keep
    up (or none consumes a queue); see docs/operations.md for how many workers a rate needs."""
    now = timezone.now()
    not_done = [status for status in Delivery.Status.values if status != Delivery.Status.DONE]
    counts = dict.fromkeys(not_done, 0)
    counts.update(Delivery.objects.filter(status__in=not_done).values_list("status").annotate(n=Count("id"))
                  .order_by())
    return {
        "undispatched": OutboxEvent.objects.filter(dispatched_at__isnull=True).count(),
        "pending": counts["pending"], "in_flight": counts["in_flight"], "queued": _queued().count(),
        "failed": counts["failed"], "dead": counts["dead"],
        "waiting": counts["pending"] + counts["in_flight"] + counts["failed"],
        "lag_seconds": outbox_lag_seconds(now=now),
    }


def _queued():
    return Delivery.objects.filter(status=Delivery.Status.IN_FLIGHT, started_at__isnull=True)


def outbox_lag_seconds(*, now: datetime | None = None) -> float:
    """Seconds the oldest runnable work has waited, to 0.1 s (0.0 when nothing waits): the figure to export as a
    gauge and alert on. Three indexed MIN() reads, cheap enough for every scrape.

    Runnable work is a message not yet fanned out (since its commit), a pending or failed delivery that is due
    (since it became due: a backoff or a wait for an earlier message is not lag), and a delivery handed to the
    broker that no worker has started (since it was handed off)."""
    now = now or timezone.now()
    since = [
        OutboxEvent.objects.filter(dispatched_at__isnull=True).aggregate(t=Min("created_at"))["t"],
        Delivery.objects.filter(status__in=[Delivery.Status.PENDING, Delivery.Status.FAILED],
                                next_attempt_at__lte=now).aggregate(t=Min("next_attempt_at"))["t"],
        _queued().aggregate(t=Min("updated_at"))["t"],
    ]
    oldest = min([t for t in since if t is not None], default=None)
    return round(max(0.0, (now - oldest).total_seconds()), 1) if oldest else 0.0
