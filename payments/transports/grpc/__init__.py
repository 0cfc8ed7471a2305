"""Payments's gRPC transport: payments.proto, its generated code, the servicer and the GrpcPaymentsApi client."""
