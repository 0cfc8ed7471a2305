"""Reads of inventory state."""
from collections.abc import Sequence

from .models import StockItem


def stock_availability(*, skus: Sequence[str]) -> list[StockItem]:
    """Stock rows for the known skus among `skus`, in sku order."""
    return list(StockItem.objects.filter(sku__in=list(skus)).order_by("sku"))
