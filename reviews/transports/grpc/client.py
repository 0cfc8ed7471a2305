"""GrpcReviewsApi: the ReviewsApi over gRPC to reviews' ReviewsService."""
from __future__ import annotations

from common.transports.grpc import GrpcClient

from ...api import ProductReviews, Review
from . import reviews_pb2 as pb
from . import reviews_pb2_grpc
from .messages import product_reviews_dto, review_dto


class GrpcReviewsApi:
    """ReviewsApi over gRPC; configured by settings.BOUNDARIES['reviews'] (target, timeout, token, tls)."""

    def __init__(self, **config):
        self._rpc = GrpcClient("reviews", reviews_pb2_grpc.ReviewsServiceStub, **config)

    def product_reviews(self, *, sku: str, limit: int) -> ProductReviews:
        return product_reviews_dto(self._rpc.call("ProductReviews", pb.ProductReviewsRequest(sku=sku, limit=limit)))

    def post_review(self, *, sku: str, customer_id: int, rating: int, text: str) -> Review:
        request = pb.PostReviewRequest(sku=sku, customer_id=customer_id, rating=rating, text=text)
        return review_dto(self._rpc.call("PostReview", request))
