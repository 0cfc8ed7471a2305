"""Reviews' internal REST endpoints (mounted at /internal/reviews/) and the RestReviewsApi client."""
from __future__ import annotations

from common.transports.rest import Operation, RestClient, internal_urlpatterns

from ..api import ProductReviews, Review, ReviewsApi
from .local import LocalReviewsApi

OPERATIONS = (
    Operation("product_reviews", "GET", "products/<str:sku>/reviews/"),
    Operation("post_review", "POST", "reviews/", status=201),
)

urlpatterns = internal_urlpatterns("reviews", ReviewsApi, LocalReviewsApi(), OPERATIONS)


class RestReviewsApi:
    """ReviewsApi over HTTP; configured by settings.BOUNDARIES['reviews'] (target, timeout, token)."""

    def __init__(self, **config):
        self._http = RestClient("reviews", ReviewsApi, OPERATIONS, **config)

    def product_reviews(self, *, sku: str, limit: int) -> ProductReviews:
        return self._http.call("product_reviews", sku=sku, limit=limit)

    def post_review(self, *, sku: str, customer_id: int, rating: int, text: str) -> Review:
        return self._http.call("post_review", sku=sku, customer_id=customer_id, rating=rating, text=text)
