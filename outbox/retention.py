"""Pruning delivered work: done deliveries, fully delivered messages and inbox records past the retention."""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from .models import Delivery, InboxRecord, OutboxEvent

CHUNK = 5000


def _delete_in_chunks(queryset) -> int:
    total = 0
    while True:
        ids = list(queryset.values_list("id", flat=True)[:CHUNK])
        if not ids:
            return total
        queryset.model.objects.filter(id__in=ids).delete()
        total += len(ids)


def prune(*, older_than_days: float | None = None) -> dict[str, int]:
    """Delete what is delivered and older than the retention; pending, in-flight, failed and dead work stays."""
    days = settings.OUTBOX["RETENTION_DAYS"] if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    deliveries = _delete_in_chunks(Delivery.objects.filter(status=Delivery.Status.DONE, done_at__lt=cutoff))
    # A message goes only once it was fanned out and none of its deliveries is left (all done and pruned).
    events = _delete_in_chunks(
        OutboxEvent.objects.filter(dispatched_at__isnull=False, dispatched_at__lt=cutoff)
        .exclude(Exists(Delivery.objects.filter(event=OuterRef("pk"))))
    )
    inbox = _delete_in_chunks(InboxRecord.objects.filter(processed_at__lt=cutoff))
    return {"deliveries": deliveries, "events": events, "inbox": inbox}
