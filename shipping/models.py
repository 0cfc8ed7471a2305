"""Shipments: at most one per order."""
import uuid

from django.db import models


class Shipment(models.Model):
    """A scheduled pickup for an order."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled"
        DISPATCHED = "dispatched"
        CANCELLED = "cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order_id = models.UUIDField(unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    address = models.TextField(blank=True)
    pickup_date = models.DateField()
    tracking_code = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"shipment {self.tracking_code} for order {self.order_id} ({self.status})"
