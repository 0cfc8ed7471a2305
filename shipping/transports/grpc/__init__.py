"""Shipping's gRPC transport: shipping.proto, its generated code, the servicer and the GrpcShippingApi client."""
