"""Reviews' business operations: post a review (ReviewPosted goes to the outbox with it)."""
from __future__ import annotations

from django.db import IntegrityError

from common.db import atomic_for
from common.errors import ValidationFailed, check_range
from outbox.api import publish

from .api import RATING_MAX, RATING_MIN, TEXT_MAX, ReviewAlreadyPosted, ReviewPosted
from .models import Review

SKU_MAX = 64
CUSTOMER_ID_MAX = 2**63 - 1


def sku_check(*, sku: str) -> None:
    """Refuse a sku no product can have, before it reaches a query (PostgreSQL refuses NUL characters)."""
    if not sku or len(sku) > SKU_MAX or "\x00" in sku:
        raise ValidationFailed(f"sku must be 1 to {SKU_MAX} characters, none of them NUL", field="sku")


def review_create(*, sku: str, customer_id: int, rating: int, text: str) -> Review:
    """Record one customer's review of a product; a second one by the same customer is refused."""
    sku_check(sku=sku)
    check_range(customer_id, field="customer_id", low=1, high=CUSTOMER_ID_MAX)
    check_range(rating, field="rating", low=RATING_MIN, high=RATING_MAX)
    if len(text) > TEXT_MAX:
        raise ValidationFailed(f"text must be at most {TEXT_MAX} characters", field="text")
    if "\x00" in text:
        raise ValidationFailed("text must not contain NUL characters", field="text")  # PostgreSQL text refuses them
    try:
        with atomic_for("reviews"):
            review = Review.objects.create(sku=sku, customer_id=customer_id, rating=rating, text=text)
            publish(ReviewPosted(sku=sku, review_id=str(review.id), rating=rating))
    except IntegrityError:
        raise ReviewAlreadyPosted("you have already reviewed this product", sku=sku) from None
    return review
