"""Reads of the catalog."""
from __future__ import annotations

from collections.abc import Iterable

from .models import Product


def products_by_sku(skus: Iterable[str]) -> dict[str, Product]:
    """The active products among `skus`, by sku (an unknown or inactive sku is simply absent)."""
    return {product.sku: product for product in Product.objects.filter(sku__in=set(skus), active=True)}
