"""GrpcReviewsApi: the ReviewsApi over gRPC to reviews' ReviewsService."""
from __future__ import annotations

from common.transports.grpc import GrpcClient, request_values_checked

from ...api import ProductReviews, Review
from . import reviews_pb2 as pb
from . import reviews_pb2_grpc
from .messages import product_reviews_dto, review_dto


class GrpcReviewsApi:
    """ReviewsApi over gRPC; configured by settings.BOUNDARIES['reviews'] (target, timeout, token, tls)."""

    def __init__(self, **config):
        self._rpc = GrpcClient("reviews", reviews_pb2_grpc.ReviewsServiceStub, **config)

    def product_reviews(self, *, sku: str, limit: int) -> ProductReviews:
        with request_values_checked("ProductReviews"):
            request = pb.ProductReviewsRequest(sku=sku, limit=limit)
        return product_reviews_dto(self._rpc.call("ProductReviews", request))

    def post_review(self, *, sku: str, customer_id: int, rating: int, text: str) -> Review:
        with request_values_checked("PostReview"):
            request = pb.PostReviewRequest(sku=sku, customer_id=customer_id, rating=rating, text=text)
        return review_dto(self._rpc.call("PostReview", request))
