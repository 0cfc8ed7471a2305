"""Orders's gRPC transport: orders.proto, its generated code, the servicer and the GrpcOrdersApi client."""
