"""Reviews: at most one per customer and product."""
import uuid

from django.db import models
from django.db.models import Q


class Review(models.Model):
    """A customer's rating (1 to 5) and words about a product, referred to by sku (the catalog is the shop's)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sku = models.CharField(max_length=64)
    customer_id = models.BigIntegerField()
    rating = models.PositiveSmallIntegerField()
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["sku", "-created_at"], name="review_sku_newest")]
        constraints = [
            models.UniqueConstraint(fields=["sku", "customer_id"], name="one_review_per_customer_and_product"),
            models.CheckConstraint(condition=Q(rating__gte=1) & Q(rating__lte=5), name="review_rating_1_to_5"),
        ]

    def __str__(self):
        return f"{self.rating}/5 for {self.sku} by customer {self.customer_id}"
