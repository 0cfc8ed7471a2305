"""Conversions between reviews' DTOs and its protobuf messages, used by the servicer and the client alike."""
from __future__ import annotations

import datetime

from ...api import ProductReviews, Review
from . import reviews_pb2 as pb


def review_message(review: Review) -> pb.Review:
    return pb.Review(review_id=review.review_id, sku=review.sku, customer_id=review.customer_id, rating=review.rating,
                     text=review.text, created_at=review.created_at.isoformat())


def review_dto(message: pb.Review) -> Review:
    return Review(review_id=message.review_id, sku=message.sku, customer_id=message.customer_id, rating=message.rating,
                  text=message.text, created_at=datetime.datetime.fromisoformat(message.created_at))


def product_reviews_message(found: ProductReviews) -> pb.ProductReviewsReply:
    return pb.ProductReviewsReply(sku=found.sku, available=found.available, count=found.count,
                                  rating_sum=found.rating_sum, reviews=[review_message(r) for r in found.reviews])


def product_reviews_dto(message: pb.ProductReviewsReply) -> ProductReviews:
    return ProductReviews(sku=message.sku, available=message.available, count=message.count,
                          rating_sum=message.rating_sum, reviews=tuple(review_dto(r) for r in message.reviews))
