"""Reads of reviews: a product's summary and newest reviews."""
from __future__ import annotations

from django.db.models import Count, Sum

from .models import Review


def product_review_summary(*, sku: str) -> tuple[int, int]:
    """(how many reviews, the sum of their ratings) of a product."""
    totals = Review.objects.filter(sku=sku).aggregate(count=Count("id"), rating_sum=Sum("rating"))
    return totals["count"], totals["rating_sum"] or 0


def product_reviews_newest(*, sku: str, limit: int) -> list[Review]:
    """The product's `limit` newest reviews."""
    return list(Review.objects.filter(sku=sku).order_by("-created_at", "id")[:limit])
