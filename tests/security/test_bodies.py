"""Hostile bodies at every JSON edge: deep nesting and large bodies answer 400/413 in the error shape, never a 500."""
import pytest
import requests
from rest_framework.test import APIClient

from orders.models import Order
from tests.conftest import order_body

pytestmark = pytest.mark.django_db

SHAPE = {"code", "detail", "details", "correlation_id"}


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json") if hasattr(response, "__getitem__") else True
    body = response.json()
    assert set(body) == SHAPE, body
    assert code is None or body["code"] == code, body
    return body


@pytest.mark.parametrize("levels", [11, 5000, 30_000], ids=["over-the-limit", "deep", "past-the-recursion-limit"])
def test_deep_json_on_orders_is_a_400(api, catalog, levels):
    body = '{"lines": ' + deep(levels) + "}"
    assert_error(api.post("/api/orders/", body, content_type="application/json"), 400, "parse_error")
    assert not Order.objects.exists()


@pytest.mark.parametrize("levels", [11, 30_000])
def test_deep_json_on_token_auth_without_logging_in_is_a_400(db, levels):
    response = APIClient().post("/api/auth/token/", '{"username": ' + deep(levels) + "}",
                                content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_a_body_over_the_size_limit_is_a_413(api, catalog, settings):
    body = order_body(("MUG", 1), shipping_address="x" * (settings.JSON_LIMITS["max_bytes"] + 1))
    assert_error(api.post("/api/orders/", body, format="json"), 413, "payload_too_large")
    assert not Order.objects.exists()


def test_json_nested_within_the_limit_is_read(api, catalog):
    body = order_body(("MUG", 1))
    body["extra"] = [[[[[[[1]]]]]]]  # depth 8 with the outer object: allowed, and ignored
    assert api.post("/api/orders/", body, format="json").status_code == 201


@pytest.mark.processes
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("body,status,code", [
    (b'{"order_id": ' + deep(100_000).encode() + b"}", 400, "validation_failed"),
    (b'{"order_id": ' + deep(20).encode() + b"}", 400, "validation_failed"),
    (b'{"order_id": "' + b"x" * (300 * 1024) + b'"}', 413, "payload_too_large"),
], ids=["past-the-recursion-limit", "over-the-limit", "too-large"])
def test_internal_endpoints_bound_bodies_too(context_servers, settings, body, status, code):
    token = settings.INTERNAL_SERVICE_TOKENS["inventory"]
    response = requests.post(context_servers["inventory"]["rest"] + "/internal/inventory/reservations/", data=body,
                             headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                             timeout=10)
    assert response.status_code == status, response.text[:300]
    assert set(response.json()) == SHAPE and response.json()["code"] == code
