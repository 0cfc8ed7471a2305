"""Pruning delivered work in bounded batches: each kind of row kept only as long as its purpose needs."""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from common.db import aliases, using

from .models import Delivery, InboxRecord, OutboxEvent

CHUNK = 5000  # rows per DELETE statement: each commits on its own, so no long lock or huge transaction


def _delete_in_chunks(queryset, *, limit: int) -> int:
    total = 0
    while total < limit:
        ids = list(queryset.values_list("id", flat=True)[:min(CHUNK, limit - total)])
        if not ids:
            break
        queryset.model.objects.filter(id__in=ids).delete()
        total += len(ids)
    return total


def prune(*, older_than_days: float | None = None, done_older_than_seconds: float | None = None,
          limit: int | None = None) -> dict[str, int]:
    """Delete done deliveries and their inbox records after DONE_RETENTION_SECONDS, fully delivered messages
    after RETENTION_DAYS; at most `limit` rows of each kind per call. Undelivered work always stays.

    An inbox record exists to refuse a duplicate, and a duplicate can only come while its delivery is not done
    (a lease re-claimed, a message redelivered before the done mark): once done, the worker skips any copy
    (it starts in-flight deliveries only) and replay is refused for done ones. So it goes with the delivery;
    the records of deliveries still not done (or dead, which a replay may revive) stay, whatever their age.
    The message outlives its deliveries because timelines and audits read it.
    """
    config = settings.OUTBOX
    now = timezone.now()
    days = config["RETENTION_DAYS"] if older_than_days is None else older_than_days
    seconds = config["DONE_RETENTION_SECONDS"] if done_older_than_seconds is None else done_older_than_seconds
    limit = limit or config["PRUNE_LIMIT"]
    done_cutoff = now - timedelta(seconds=seconds)
    deliveries = _delete_in_chunks(Delivery.objects.filter(status=Delivery.Status.DONE, done_at__lt=done_cutoff),
                                   limit=limit)
    open_delivery = Delivery.objects.filter(event__event_id=OuterRef("event_id"), subscriber=OuterRef("subscriber"))
    inbox = _delete_in_chunks(
        InboxRecord.objects.filter(processed_at__lt=done_cutoff).exclude(
            Exists(open_delivery.exclude(status=Delivery.Status.DONE))), limit=limit)
    # A message goes only once it was fanned out and none of its deliveries is left (all done and pruned).
    cutoff = now - timedelta(days=days)
    events = _delete_in_chunks(
        OutboxEvent.objects.filter(dispatched_at__isnull=False, dispatched_at__lt=cutoff)
        .exclude(Exists(Delivery.objects.filter(event=OuterRef("pk")))), limit=limit)
    return {"deliveries": deliveries, "events": events, "inbox": inbox}


def prune_every_database(**options) -> dict[str, dict[str, int]]:
    """prune() on each database (each context's outbox, inbox and deliveries are in its own): counts per alias."""
    counts = {}
    for alias in aliases():
        with using(alias):
            counts[alias] = prune(**options)
    return counts
