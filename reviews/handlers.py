"""Reviews' subscribers: none (reviews are posted and read through ReviewsApi)."""
