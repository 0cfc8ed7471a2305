"""serve_context: run one context as its own process."""
