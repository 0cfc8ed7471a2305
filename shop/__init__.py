"""Shop context: the product catalog and the customer-facing storefront API."""
