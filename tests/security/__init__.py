"""Standing probes of the edges: hostile input, authz, tokens, limits, the schema (issue 13)."""
