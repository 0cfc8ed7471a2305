"""Inventory context: stock per sku and reservations for orders."""
