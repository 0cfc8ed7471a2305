"""Reviews: customers' ratings and words about catalog products."""
