"""Orders context: orders, their lines and totals, and the checkout that drives them."""
