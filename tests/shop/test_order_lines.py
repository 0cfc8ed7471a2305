"""The rules of an order's lines are orders' alone: the storefront checks shape and points at the refused line."""
import pytest

from orders.models import Order
from tests.conftest import order_body

pytestmark = pytest.mark.django_db


@pytest.mark.in_process_only  # the setting is changed here, where orders runs only in-process
def test_the_storefront_answers_with_the_rule_orders_holds(api, catalog, settings):
    settings.ORDER_MAX_QUANTITY = 2  # one setting, one rule: the storefront has no copy of it
    response = api.post("/api/orders/", order_body(("TEE", 1), ("MUG", 3)), format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["details"]["fields"] == {"lines.1.quantity": ["quantity must be between 1 and 2"]}
    settings.ORDER_MAX_QUANTITY = 3
    assert api.post("/api/orders/", order_body(("TEE", 1), ("MUG", 3)), format="json").status_code == 201


def test_a_line_refused_by_orders_leaves_the_idempotency_key_free(api, catalog):
    headers = {"HTTP_IDEMPOTENCY_KEY": "lines-refused-then-fixed"}
    refused = api.post("/api/orders/", order_body(("MUG", 1), ("MUG", 2)), format="json", **headers)
    assert (refused.status_code, list(refused.json()["details"]["fields"])) == (400, ["lines.1.sku"])
    placed = api.post("/api/orders/", order_body(("MUG", 3)), format="json", **headers)
    assert placed.status_code == 201, placed.json()
    assert Order.objects.count() == 1
