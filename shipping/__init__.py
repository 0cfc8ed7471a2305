"""Shipping context: shipments scheduled for paid orders."""
