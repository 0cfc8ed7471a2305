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
    cancel_reason = models.CharField(max_length=200, blank=True)
    cancel_code = models.CharField(max_length=50, blank=True, help_text="The error code that cancelled it.")
    checkout = models.CharField(
        max_length=16, choices=[(api.ORCHESTRATED, "orchestrated (saga)"), (api.CHOREOGRAPHED, "choreographed (events)")],
        default=api.ORCHESTRATED,
    )
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


class CheckoutSaga(models.Model):
    """The checkout of one order (either mode): where it is, until when its current step may take."""

    class State(models.TextChoices):
        RUNNING = "running"
        COMPENSATING = "compensating"
        COMPLETED = "completed"
        COMPENSATED = "compensated"

    order = models.OneToOneField(Order, on_delete=models.CASCADE, primary_key=True, related_name="saga")
    state = models.CharField(max_length=16, choices=State.choices, default=State.RUNNING, db_index=True)
    step = models.CharField(max_length=32)
    attempts = models.PositiveIntegerField(default=0, help_text="Tries of the current step.")
    deadline = models.DateTimeField(
        db_index=True, help_text="Until then the saga belongs to whoever runs its step (or, while waiting, "
        "when its next try is due); after it, the saga is stuck and gets resumed.",
    )
    waiting = models.BooleanField(default=False, help_text="Nobody runs it: a retry is scheduled.")
    payment_token = models.CharField(
        max_length=100, blank=True, help_text="Kept only until the charge is made (or the checkout ends).")
    cancel_reason = models.CharField(max_length=200, blank=True)
    cancel_code = models.CharField(max_length=50, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"checkout of {str(self.order_id)[:8]}: {self.state} at {self.step}"


class SagaStep(models.Model):
    """One try of a step or a compensation, or a request, with its outcome: the order's timeline."""

    class Kind(models.TextChoices):
        ACTION = "action"
        COMPENSATION = "compensation"
        REQUEST = "request", "request (a cancel asked for)"

    class Outcome(models.TextChoices):
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        WAITING = "waiting", "failed, will retry"

    saga = models.ForeignKey(CheckoutSaga, on_delete=models.CASCADE, related_name="log")
    name = models.CharField(max_length=32)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    attempt = models.PositiveIntegerField()
    error = models.TextField(blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self):
        return f"{self.kind} {self.name} #{self.attempt}: {self.outcome}"
