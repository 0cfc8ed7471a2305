"""Shipping's subscribers: none today (shipments are scheduled and called off through ShippingApi)."""
