"""Stock levels, their adjustments, and reservations held for orders."""
import uuid

from django.db import models
from django.db.models import Q


class StockItem(models.Model):
    """Stock of one sku: free (on hand), held for orders (reserved), and gone out (sold)."""

    sku = models.CharField(max_length=64, unique=True)
    on_hand = models.IntegerField(default=0, help_text="Units free to reserve.")
    reserved = models.IntegerField(default=0, help_text="Units held for open orders.")
    sold = models.IntegerField(default=0, help_text="Units that left with a shipment.")
    low_stock_threshold = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stock_reserved_not_negative"),
            models.CheckConstraint(condition=Q(sold__gte=0), name="stock_sold_not_negative"),
        ]

    def __str__(self):
        return f"{self.sku}: {self.on_hand} free, {self.reserved} reserved"


class StockAdjustment(models.Model):
    """A manual or receiving change to on-hand stock, kept as a record."""

    stock_item = models.ForeignKey(StockItem, on_delete=models.CASCADE, related_name="adjustments")
    delta = models.IntegerField()
    reason = models.CharField(max_length=200)
    actor = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.stock_item.sku} {self.delta:+d} ({self.reason})"


class Reservation(models.Model):
    """Stock held for one order; at most one per order."""

    class Status(models.TextChoices):
        ACTIVE = "active"
        RELEASED = "released"
        COMMITTED = "committed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order_id = models.UUIDField(unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    held_until = models.DateTimeField(
        null=True, blank=True, db_index=True,
        help_text="An active reservation not sold by then is released (empty: sold, kept until it ships).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"reservation for order {self.order_id} ({self.status})"


class ReservationLine(models.Model):
    """One sku and quantity of a reservation."""

    reservation = models.ForeignKey(Reservation, on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField(max_length=64)
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["reservation", "sku"], name="one_line_per_sku")]
