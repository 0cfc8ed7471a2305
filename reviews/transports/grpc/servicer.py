"""ReviewsService served by the local implementation, so gRPC cannot drift from in-process behaviour."""
from __future__ import annotations

from ..local import LocalReviewsApi
from . import reviews_pb2 as pb
from . import reviews_pb2_grpc
from .messages import product_reviews_message, review_message


class ReviewsServicer(reviews_pb2_grpc.ReviewsServiceServicer):
    """Each RPC is one call of LocalReviewsApi; errors are mapped by common.transports.grpc.ServiceGuard."""

    api = LocalReviewsApi()

    def ProductReviews(self, request, context):
        return product_reviews_message(self.api.product_reviews(sku=request.sku, limit=request.limit))

    def PostReview(self, request, context):
        return review_message(self.api.post_review(sku=request.sku, customer_id=request.customer_id,
                                                   rating=request.rating, text=request.text))


def register(server) -> list[str]:
    """Add reviews' servicer to `server`; returns the full service names served."""
    reviews_pb2_grpc.add_ReviewsServiceServicer_to_server(ReviewsServicer(), server)
    return [pb.DESCRIPTOR.services_by_name["ReviewsService"].full_name]
