"""The chaos shop's data: products with plenty of stock and customers with known API tokens."""
from decimal import Decimal

SKUS = {"CHAOS-A": "10.00", "CHAOS-B": "25.50", "CHAOS-C": "7.25"}
STOCK = 100_000
CUSTOMERS = 8


def token(n: int) -> str:
    """The API token of customer n (fixed, so every test database made from the template knows it)."""
    return f"chaos{n:035d}"


def seed() -> None:
    """Fill a freshly migrated database (run in a child process: manage.py shell -c)."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from inventory.api import get_inventory_api
    from shop.models import Product

    for sku, price in SKUS.items():
        Product.objects.create(sku=sku, name=sku.title(), price_amount=Decimal(price))
        get_inventory_api().restock(sku=sku, quantity=STOCK, reason="chaos seed")
    for n in range(CUSTOMERS):
        user = get_user_model().objects.create_user(f"chaos{n}", f"chaos{n}@example.com", "chaos-pass")
        Token.objects.create(user=user, key=token(n))
