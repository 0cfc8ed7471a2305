"""The log of every message sent, one row per message, deduplicated by a key."""
from django.db import models


class Notification(models.Model):
    """A message sent (or being sent) to one recipient."""

    class Status(models.TextChoices):
        SENDING = "sending"
        SENT = "sent"
        FAILED = "failed"

    kind = models.CharField(max_length=50, db_index=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    recipient = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    order_id = models.UUIDField(null=True, blank=True, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SENDING)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.kind} to {self.recipient} ({self.status})"


class OrderActivity(models.Model):
    """Something that happened to an order, as notifications heard of it (e.g. orders.OrderPlaced)."""

    order_id = models.UUIDField(db_index=True)
    event_name = models.CharField(max_length=100)
    summary = models.CharField(max_length=200)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name_plural = "order activities"

    def __str__(self):
        return f"{self.event_name} for order {self.order_id}"
