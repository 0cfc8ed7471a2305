"""Payments: one row per charge attempt; at most one successful charge per order."""
import uuid

from django.db import models
from django.db.models import Q


class Payment(models.Model):
    """A charge attempt for an order and its outcome."""

    class Status(models.TextChoices):
        CHARGED = "charged"
        DECLINED = "declined"
        REFUNDED = "refunded"
        VOIDED = "voided", "voided (refunded before any charge: a late charge is refused)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order_id = models.UUIDField(db_index=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=Status.choices)
    provider_ref = models.CharField(max_length=64, blank=True)
    decline_reason = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["order_id"],
                condition=Q(status__in=["charged", "refunded", "voided"]),
                name="one_successful_charge_per_order",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_not_negative"),
        ]

    def __str__(self):
        return f"{self.amount} {self.currency} for order {self.order_id} ({self.status})"


class Invoice(models.Model):
    """The invoice of an order, created when the order is placed (one per order)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order_id = models.UUIDField(unique=True)
    customer_id = models.BigIntegerField(db_index=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def number(self) -> str:
        return f"INV-{str(self.id)[:8].upper()}"

    def __str__(self):
        return f"{self.number}: {self.amount} {self.currency} for order {self.order_id}"
