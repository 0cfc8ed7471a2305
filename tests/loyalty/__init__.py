"""A context added later (loyalty points) plus probe subscribers for the delivery tests; test profile only."""
