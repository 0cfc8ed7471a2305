"""The public storefront API: catalog, stock, orders, bad input and who may see what."""
import pytest
from rest_framework.test import APIClient

from orders.models import Order
from outbox.models import OutboxEvent
from payments.models import Payment
from tests.conftest import client_for, stock_of

pytestmark = pytest.mark.django_db


def test_products_list_and_detail_show_price_as_decimal_string_and_availability(catalog):
    client = APIClient()
    listing = client.get("/api/products/").json()
    assert listing["count"] == 3
    mug = next(p for p in listing["results"] if p["sku"] == "MUG")
    assert mug["price"] == {"amount": "12.50", "currency": "EUR"}
    assert mug["available"] == 10
    detail = client.get("/api/products/LAST/").json()
    assert (detail["name"], detail["available"]) == ("Last one", 1)
    assert client.get("/api/products/NOPE/").status_code == 404


def test_inactive_products_are_hidden(catalog):
    from shop.models import Product

    Product.objects.filter(sku="TEE").update(active=False)
    skus = [p["sku"] for p in APIClient().get("/api/products/").json()["results"]]
    assert skus == ["LAST", "MUG"]


def test_stock_availability(catalog):
    body = APIClient().get("/api/stock/", {"sku": "MUG,LAST"}).json()
    assert body == [{"sku": "LAST", "available": 1}, {"sku": "MUG", "available": 10}]


def test_place_order_with_token_auth(api, catalog, customer):
    response = api.post("/api/orders/", {"lines": [{"sku": "MUG", "quantity": 2}]}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "confirmed"
    assert body["total"] == {"amount": "25.00", "currency": "EUR"}
    assert Order.objects.get(pk=body["order_id"]).customer_id == customer.pk


def test_price_in_the_request_is_ignored(api, catalog):
    response = api.post(
        "/api/orders/", {"lines": [{"sku": "MUG", "quantity": 1, "price": "0.01", "unit_price": 0}],
                         "total": "0.01"}, format="json",
    )
    assert response.status_code == 201
    assert response.json()["total"]["amount"] == "12.50"


def test_out_of_stock_answers_409_with_the_cancelled_order(api, catalog):
    response = api.post("/api/orders/", {"lines": [{"sku": "LAST", "quantity": 2}]}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "out_of_stock"
    assert body["order"]["status"] == "cancelled"
    assert stock_of("LAST") == (1, 0, 0)


def test_declined_card_answers_402(api, catalog):
    response = api.post(
        "/api/orders/", {"lines": [{"sku": "MUG", "quantity": 1}], "payment_token": "tok_insufficient_funds"},
        format="json",
    )
    assert response.status_code == 402
    assert response.json()["detail"] == "payment declined: insufficient_funds"
    assert stock_of("MUG") == (10, 0, 0)


BAD_BODIES = {
    "unknown-sku": ({"lines": [{"sku": "NOPE", "quantity": 1}]}, ["lines", 0, "sku"]),
    "zero-quantity": ({"lines": [{"sku": "MUG", "quantity": 0}]}, ["lines", "0", "quantity"]),
    "negative-quantity": ({"lines": [{"sku": "MUG", "quantity": -3}]}, ["lines", "0", "quantity"]),
    "absurd-quantity": ({"lines": [{"sku": "MUG", "quantity": 10**12}]}, ["lines", "0", "quantity"]),
    "quantity-not-a-number": ({"lines": [{"sku": "MUG", "quantity": "lots"}]}, ["lines", "0", "quantity"]),
    "sku-wrong-type": ({"lines": [{"sku": {"a": 1}, "quantity": 1}]}, ["lines", "0", "sku"]),
    "lines-not-a-list": ({"lines": "MUG"}, ["lines"]),
    "no-lines": ({"lines": []}, ["lines"]),
    "missing-lines": ({}, ["lines"]),
    "too-many-lines": ({"lines": [{"sku": "MUG", "quantity": 1}] * 51}, ["lines"]),
    "duplicate-sku": ({"lines": [{"sku": "MUG", "quantity": 1}, {"sku": "MUG", "quantity": 1}]}, ["lines", 1, "sku"]),
    "payment-token-too-long": ({"lines": [{"sku": "MUG", "quantity": 1}], "payment_token": "x" * 101},
                               ["payment_token"]),
}


@pytest.mark.parametrize("body,error_path", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bad_input_gets_a_field_level_400_and_writes_nothing(api, catalog, body, error_path):
    response = api.post("/api/orders/", body, format="json")
    assert response.status_code == 400, response.json()
    errors = response.json()
    for step in error_path:
        errors = errors[step]
    assert errors, response.json()
    assert not Order.objects.exists()
    assert not Payment.objects.exists()
    assert not OutboxEvent.objects.exists()
    assert stock_of("MUG") == (10, 0, 0)


def test_malformed_json_is_a_400(api, catalog):
    response = api.post("/api/orders/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]
    assert not Order.objects.exists()


def test_anonymous_cannot_order_or_list(catalog):
    client = APIClient()
    assert client.post("/api/orders/", {"lines": [{"sku": "MUG", "quantity": 1}]}, format="json").status_code == 401
    assert client.get("/api/orders/").status_code == 401
    assert not Order.objects.exists()


def test_session_login_works(catalog, customer):
    client = APIClient(enforce_csrf_checks=False)
    assert client.login(username="carol", password="carol-pass")
    assert client.get("/api/orders/").status_code == 200


def test_customers_see_only_their_own_orders_and_staff_see_all(catalog, customer, other_customer, staff):
    mine = client_for(customer).post("/api/orders/", {"lines": [{"sku": "MUG", "quantity": 1}]}, format="json")
    theirs = client_for(other_customer).post("/api/orders/", {"lines": [{"sku": "TEE", "quantity": 1}]},
                                             format="json")
    mine_id, theirs_id = mine.json()["order_id"], theirs.json()["order_id"]

    carol = client_for(customer)
    assert [o["order_id"] for o in carol.get("/api/orders/").json()["results"]] == [mine_id]
    assert carol.get(f"/api/orders/{mine_id}/").status_code == 200
    assert carol.get(f"/api/orders/{theirs_id}/").status_code == 404
    assert carol.post(f"/api/orders/{theirs_id}/cancel/", {}, format="json").status_code == 404
    assert Order.objects.get(pk=theirs_id).status == "confirmed"
    assert carol.get("/api/orders/not-a-uuid/").status_code == 404

    listing = client_for(staff).get("/api/orders/").json()
    assert listing["count"] == 2
    assert client_for(staff).get(f"/api/orders/{theirs_id}/").status_code == 200


def test_cancel_order_through_the_api(api, catalog):
    order_id = api.post("/api/orders/", {"lines": [{"sku": "TEE", "quantity": 2}]}, format="json").json()["order_id"]
    response = api.post(f"/api/orders/{order_id}/cancel/", {"reason": "wrong size"}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cancel_reason"]) == ("cancelled", "wrong size")
    assert stock_of("TEE") == (5, 0, 0)


def test_list_pagination_parameters_are_validated(api, catalog):
    assert api.get("/api/orders/", {"limit": "x"}).status_code == 400
    assert api.get("/api/orders/", {"limit": 1000}).status_code == 400
    assert api.get("/api/orders/", {"offset": -1}).status_code == 400


def test_schema_and_swagger_ui_are_served(db):
    client = APIClient()
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/orders/" in schema.content
    assert client.get("/api/docs/").status_code == 200


def test_order_detail_shows_the_checkout_timeline(api, catalog):
    order_id = api.post("/api/orders/", {"lines": [{"sku": "MUG", "quantity": 1}]}, format="json").json()["order_id"]
    timeline = api.get(f"/api/orders/{order_id}/").json()["timeline"]
    assert [(t["name"], t["outcome"]) for t in timeline] == [
        ("reserve_stock", "succeeded"), ("charge_payment", "succeeded"),
        ("schedule_shipment", "succeeded"), ("send_confirmation", "succeeded"),
    ]
    assert all(t["at"] for t in timeline)
