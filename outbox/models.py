"""Stored messages, one delivery record per message and subscriber, and the inbox of handled messages."""
import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from .fields import JSONTextField
from django.db.models import Q


class OutboxEvent(models.Model):
    """A message as published, written in the same transaction as the change it records."""

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Few indexes on purpose: every one is paid for by every producer's INSERT.
    name = models.CharField(max_length=100)
    version = models.PositiveSmallIntegerField(default=1)
    aggregate_type = models.CharField(max_length=50)
    aggregate_id = models.CharField(max_length=64)
    payload = JSONTextField(encoder=DjangoJSONEncoder)
    headers = JSONTextField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by the relay once the deliveries exist. A NULL row is work left, whatever its id: no watermark.
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        # Only what the relay needs (the id of each row still to fan out): no index on aggregate or name.
        indexes = [
            models.Index(fields=["id"], condition=Q(dispatched_at__isnull=True), name="outbox_event_undispatched"),
        ]

    def __str__(self):
        return f"{self.name} v{self.version} {self.aggregate_type}:{self.aggregate_id}"


class Delivery(models.Model):
    """One message on its way to one subscriber, with its attempts."""

    class Status(models.TextChoices):
        PENDING = "pending"
        IN_FLIGHT = "in_flight", "in flight"
        DONE = "done"
        FAILED = "failed", "failed (will retry)"
        DEAD = "dead", "dead (gave up)"

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    ordered = models.BooleanField(default=False, help_text="One at a time per aggregate, in publication order.")
    aggregate_key = models.CharField(max_length=120, help_text="aggregate type:id, for ordered subscribers.")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(help_text="When a pending or failed delivery is due.")
    leased_until = models.DateTimeField(null=True, blank=True, help_text="An in-flight delivery is reclaimed after.")
    # NULL while handed to the broker and not yet taken by a worker: such a lease is short (HANDOFF_SECONDS),
    # so a message lost with the broker is sent again in seconds; a started one has the long LEASE_SECONDS.
    started_at = models.DateTimeField(null=True, blank=True, help_text="When a worker last started it.")
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "deliveries"
        constraints = [models.UniqueConstraint(fields=["event", "subscriber"], name="one_delivery_per_subscriber")]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status__in=["pending", "failed"]),
                         name="outbox_delivery_due"),
            models.Index(fields=["leased_until"], condition=Q(status="in_flight"), name="outbox_delivery_leased"),
            models.Index(fields=["subscriber", "aggregate_key", "event"], condition=Q(ordered=True),
                         name="outbox_delivery_ordered"),
            models.Index(fields=["status", "done_at"], name="outbox_delivery_status"),
        ]

    def __str__(self):
        return f"{self.event.name} -> {self.subscriber} ({self.status})"


class InboxRecord(models.Model):
    """A message a subscriber has handled; committed with the handler's effect, so a duplicate is ignored."""

    event_id = models.UUIDField()
    subscriber = models.CharField(max_length=100)
    processed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["event_id", "subscriber"], name="inbox_once_per_subscriber")]

    def __str__(self):
        return f"{self.event_id} handled by {self.subscriber}"
