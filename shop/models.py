"""The catalog, and the record of storefront requests made with an Idempotency-Key."""
from django.conf import settings
from django.db import models
from django.db.models import Q

from common.money import Money


class Product(models.Model):
    """A product customers can order, priced exactly in one currency."""

    sku = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    price_amount = models.DecimalField(max_digits=12, decimal_places=2)
    price_currency = models.CharField(max_length=3, default="EUR")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sku"]
        constraints = [models.CheckConstraint(condition=Q(price_amount__gte=0), name="product_price_not_negative")]

    def __str__(self):
        return f"{self.sku} {self.name}"

    @property
    def price(self) -> Money:
        """The price as Money."""
        return Money(self.price_amount, self.price_currency)


class IdempotencyRecord(models.Model):
    """The first response to a request made with a given Idempotency-Key, replayed for repeats."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="sha256 of method, path and body")
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    order_id = models.CharField(max_length=64, blank=True, help_text="The order the request created; replays show it now.")
    lease_until = models.DateTimeField(
        null=True, blank=True, help_text="While in progress: until then the request owns the key; after, it is settled.")
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_record_per_user_and_key")]

    def __str__(self):
        return f"{self.key} ({self.response_status or self.order_id or 'in progress'})"


class ProductRating(models.Model):
    """The catalog's own copy of a product's ratings, built from reviews.ReviewPosted: recommendations read it."""

    sku = models.CharField(max_length=64, unique=True)
    count = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["-count"], name="product_rating_count")]

    def __str__(self):
        return f"{self.sku}: {self.count} ratings"
