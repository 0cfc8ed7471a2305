"""What every scenario needs: customers with tokens, stocked products, and waiting for orders to settle."""
from __future__ import annotations

import time
from decimal import Decimal

from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from inventory.api import get_inventory_api
from shop.models import Product

SKUS = ["SCN-MUG", "SCN-TEE", "SCN-CAP"]
SETTLED = ("confirmed", "cancelled")


def prepare(*, customers: int = 8, stock: int = 100_000) -> list[str]:
    """Scenario customers (their API tokens) and three well-stocked products."""
    users = get_user_model()
    tokens = []
    for n in range(customers):
        user, _ = users.objects.get_or_create(username=f"scenario-{n}", defaults={"email": f"s{n}@example.com"})
        tokens.append(Token.objects.get_or_create(user=user)[0].key)
    inventory = get_inventory_api()
    known = {a.sku: a.available for a in inventory.get_availability(skus=SKUS)}
    for sku in SKUS:
        Product.objects.get_or_create(sku=sku, defaults={"name": f"Scenario {sku}", "price_amount": Decimal("9.90")})
        if known.get(sku, 0) < stock:
            inventory.restock(sku=sku, quantity=stock - known.get(sku, 0), reason="scenario")
    return tokens


def order_statuses(order_ids: list[str]) -> dict[str, str]:
    """Status of each order, read from the orders table (the scenario is a tool with the shop's database)."""
    from orders.api import get_orders_api

    orders = get_orders_api()
    return {order_id: orders.get_order(order_id=order_id).status for order_id in order_ids}


def wait_settled(order_ids: list[str], *, timeout: float) -> tuple[dict[str, str], float]:
    """Poll until every order is confirmed or cancelled (or the timeout passes); (statuses, seconds taken)."""
    started = time.monotonic()
    while True:
        statuses = order_statuses(order_ids)
        if all(status in SETTLED for status in statuses.values()) or time.monotonic() - started > timeout:
            return statuses, time.monotonic() - started
        act_as_beat()
        time.sleep(0.5)


def act_as_beat() -> None:
    """Send the checkout's sweeper to the shop's worker, as beat would (retries of waiting checkouts are due)."""
    from celery import current_app

    from .processes import default_queue

    current_app.send_task("orders.resume_stuck_sagas", queue=default_queue())
