"""Reviews' public surface: DTOs, errors, the ReviewPosted event, the ReviewsApi protocol and its factory."""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from common.boundaries import boundary_client
from common.errors import Conflict
from outbox.api import Event

RATING_MIN, RATING_MAX = 1, 5
TEXT_MAX = 2000  # characters of a review's words
PAGE_MAX = 50  # reviews returned in one answer


@dataclass(frozen=True)
class Review:
    """One customer's review of a product."""

    review_id: str
    sku: str
    customer_id: int
    rating: int
    text: str
    created_at: datetime.datetime


@dataclass(frozen=True)
class ProductReviews:
    """A product's rating summary and its newest reviews; `available` is False when reviews could not answer."""

    sku: str
    available: bool
    count: int
    rating_sum: int
    reviews: tuple[Review, ...]

    @property
    def average_rating(self) -> Decimal | None:
        """The mean rating to two decimals (exact, never a float), or None without reviews."""
        if not self.count:
            return None
        return (Decimal(self.rating_sum) / Decimal(self.count)).quantize(Decimal("0.01"))


class ReviewAlreadyPosted(Conflict):
    """The customer has already reviewed this product."""

    code = "review_already_posted"


@dataclass(frozen=True, kw_only=True)
class ReviewPosted(Event):
    """A customer rated a product."""

    name = "reviews.ReviewPosted"
    aggregate_type = "product"
    aggregate_field = "sku"
    sku: str
    review_id: str
    rating: int


class ReviewsApi(Protocol):
    """What other contexts may ask of reviews."""

    def product_reviews(self, *, sku: str, limit: int) -> ProductReviews:
        """The product's rating summary and its `limit` newest reviews (at most PAGE_MAX). Raises ValidationFailed."""

    def post_review(self, *, sku: str, customer_id: int, rating: int, text: str) -> Review:
        """Record the customer's review of the product. Raises ValidationFailed, ReviewAlreadyPosted."""


def reviews_unavailable(*, error: Exception, sku: str, limit: int) -> ProductReviews:
    """Fallback while reviews cannot answer: the product page still shows, its reviews marked unavailable."""
    return ProductReviews(sku=sku, available=False, count=0, rating_sum=0, reviews=())


def get_reviews_api() -> ReviewsApi:
    """The ReviewsApi over the transport that settings.BOUNDARIES['reviews'] names."""
    return boundary_client("reviews", {
        "local": "reviews.transports.local.LocalReviewsApi",
        "rest": "reviews.transports.rest.RestReviewsApi",
        "grpc": "reviews.transports.grpc.client.GrpcReviewsApi",
    })
