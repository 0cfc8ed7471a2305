"""The plumbing every context's REST and gRPC transports share: clients, server guards, auth, error mapping."""
