"""Reviews' transports: in-process, REST and gRPC implementations of ReviewsApi."""
