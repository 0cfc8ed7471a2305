"""In-process ReviewsApi: calls the services and selectors directly and returns DTOs."""
from __future__ import annotations

from common.errors import check_range

from .. import selectors, services
from ..api import PAGE_MAX, ProductReviews, Review
from ..models import Review as ReviewModel


class LocalReviewsApi:
    """ReviewsApi in the caller's process."""

    def product_reviews(self, *, sku: str, limit: int) -> ProductReviews:
        services.sku_check(sku=sku)
        check_range(limit, field="limit", low=0, high=PAGE_MAX)
        count, rating_sum = selectors.product_review_summary(sku=sku)
        newest = selectors.product_reviews_newest(sku=sku, limit=limit) if limit else []
        return ProductReviews(sku=sku, available=True, count=count, rating_sum=rating_sum,
                              reviews=tuple(_review_dto(review) for review in newest))

    def post_review(self, *, sku: str, customer_id: int, rating: int, text: str) -> Review:
        return _review_dto(services.review_create(sku=sku, customer_id=customer_id, rating=rating, text=text))


def _review_dto(review: ReviewModel) -> Review:
    return Review(review_id=str(review.id), sku=review.sku, customer_id=review.customer_id, rating=review.rating,
                  text=review.text, created_at=review.created_at)
