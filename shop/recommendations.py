"""Recommended products for the home list: the best rated active products, from the catalog's own ratings."""
from __future__ import annotations

from decimal import Decimal

from django.db.models import F, FloatField
from django.db.models.functions import Cast

from .models import Product, ProductRating

RECOMMENDED = 3  # products recommended on the home list


def recommended_products(*, limit: int = RECOMMENDED) -> list[dict]:
    """Up to `limit` rated active products, best average rating first (more ratings break a tie)."""
    active = Product.objects.filter(active=True)
    # The float average only orders the rows; the rating shown is computed exactly below.
    chosen = list(ProductRating.objects.filter(count__gt=0, sku__in=active.values("sku"))
                  .annotate(average=Cast(F("rating_sum"), FloatField()) / F("count"))
                  .order_by("-average", "-count", "sku")[:limit])
    names = dict(active.filter(sku__in=[r.sku for r in chosen]).values_list("sku", "name"))
    return [{"sku": r.sku, "name": names[r.sku], "ratings": r.count,
             "average_rating": (Decimal(r.rating_sum) / Decimal(r.count)).quantize(Decimal("0.01"))}
            for r in chosen]
