"""Inventory's gRPC transport: inventory.proto, its generated code, the servicer and the GrpcInventoryApi client."""
