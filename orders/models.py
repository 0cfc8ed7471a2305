"""Orders and their lines; prices are copied from the catalog when the order is placed."""
import uuid

from django.db import models
from django.db.models import Q

from . import api


class Order(models.Model):
    """A customer's order."""

    class Status(models.TextChoices):
        PENDING = api.PENDING, "pending (checkout running)"
        RESERVED = "reserved", "stock reserved"
        PAYMENT_PENDING = api.PAYMENT_PENDING, "payment pending (charge will be retried)"
        PAID = "paid", "paid"
        CONFIRMED = api.CONFIRMED, "confirmed"
        CANCELLED = api.CANCELLED, "cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer_id = models.BigIntegerField(db_index=True)
    email = models.EmailField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    currency = models.CharField(max_length=3)
    total_amount = models.DecimalField(max_digits=12, decimal_places=2)
    shipping_address = models.TextField(blank=True)
    payment_token = models.CharField(
        max_length=100, blank=True, help_text="Kept only while a charge is pending, to complete it later."
    )
    cancel_reason = models.CharField(max_length=200, blank=True)
    cancel_code = models.CharField(max_length=50, blank=True, help_text="The error code that cancelled it.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(total_amount__gte=0), name="order_total_not_negative")]

    def __str__(self):
        return f"order {str(self.id)[:8]} ({self.status})"


class OrderLine(models.Model):
    """One sku of an order, at the price it had when ordered."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    line_total = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "sku"], name="one_order_line_per_sku"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.quantity} x {self.sku}"
