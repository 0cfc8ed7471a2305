"""Pruning delivered work in bounded batches: each kind of row kept only as long as its purpose needs."""
from __future__ import annotations

from datetime import timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from common.db import aliases, using

from .conf import outbox_settings
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
    """Delete done deliveries after DONE_RETENTION_SECONDS, their inbox records LEASE_SECONDS after the done
    mark (or the done retention when shorter), fully delivered messages after RETENTION_DAYS; at most `limit` rows of each
    kind per call. Undelivered work always stays.

    An inbox record exists to refuse a duplicate. Once its delivery is done no copy starts again (the worker
    starts in-flight deliveries only, replay refuses done ones), so the only duplicate left is a copy started
    before the done mark (a lease that expired under a slow handler), which reaches its inbox INSERT within
    moments of its start: LEASE_SECONDS after the done mark is a wide margin, where the done delivery itself is
    kept for the admin's hour. The records of deliveries not done (or dead, which a replay may
    revive) stay, whatever their age. The message outlives its deliveries because timelines and audits read it.
    """
    config = outbox_settings.OUTBOX
    now = timezone.now()
    days = config["RETENTION_DAYS"] if older_than_days is None else older_than_days
    seconds = config["DONE_RETENTION_SECONDS"] if done_older_than_seconds is None else done_older_than_seconds
    limit = limit or config["PRUNE_LIMIT"]
    done_cutoff = now - timedelta(seconds=seconds)
    deliveries = _delete_in_chunks(Delivery.objects.filter(status=Delivery.Status.DONE, done_at__lt=done_cutoff),
                                   limit=limit)
    inbox_cutoff = now - timedelta(seconds=min(seconds, config["LEASE_SECONDS"]))
    open_delivery = Delivery.objects.filter(event__event_id=OuterRef("event_id"), subscriber=OuterRef("subscriber"))
    # Kept while its delivery is not done, or was done within the inbox window.
    needed = open_delivery.exclude(status=Delivery.Status.DONE, done_at__lt=inbox_cutoff)
    inbox = _delete_in_chunks(InboxRecord.objects.filter(processed_at__lt=inbox_cutoff).exclude(Exists(needed)),
                              limit=limit)
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
