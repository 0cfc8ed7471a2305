"""Reviews' gRPC transport: reviews.proto, its generated code, the servicer and the GrpcReviewsApi client."""
