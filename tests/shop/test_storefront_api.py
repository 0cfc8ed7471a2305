"""The public storefront API: catalog, stock, orders, bad input and who may see what."""
import pytest
from rest_framework.test import APIClient

from orders.models import Order
from outbox.models import OutboxEvent
from payments.models import Payment
from tests.conftest import CHECKOUT, client_for, order_body, stock_of

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
    response = api.post("/api/orders/", order_body(("MUG", 2)), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "confirmed"
    assert body["total"] == {"amount": "25.00", "currency": "EUR"}
    assert Order.objects.get(pk=body["order_id"]).customer_id == customer.pk


def test_price_in_the_request_is_ignored(api, catalog):
    response = api.post(
        "/api/orders/", {"lines": [{"sku": "MUG", "quantity": 1, "price": "0.01", "unit_price": 0}],
                         "total": "0.01", **CHECKOUT}, format="json",
    )
    assert response.status_code == 201
    assert response.json()["total"]["amount"] == "12.50"


def test_out_of_stock_answers_409_with_the_cancelled_order(api, catalog):
    response = api.post("/api/orders/", order_body(("LAST", 2)), format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "out_of_stock"
    assert body["details"]["order"]["status"] == "cancelled"
    assert stock_of("LAST") == (1, 0, 0)


def test_declined_card_answers_402(api, catalog):
    response = api.post(
        "/api/orders/", order_body(("MUG", 1), payment_token="tok_insufficient_funds"), format="json",
    )
    assert response.status_code == 402
    assert response.json()["detail"] == "payment declined: insufficient_funds"
    assert stock_of("MUG") == (10, 0, 0)


BAD_BODIES = {
    "unknown-sku": ({"lines": [{"sku": "NOPE", "quantity": 1}]}, "lines.0.sku"),
    "zero-quantity": ({"lines": [{"sku": "MUG", "quantity": 0}]}, "lines.0.quantity"),
    "negative-quantity": ({"lines": [{"sku": "MUG", "quantity": -3}]}, "lines.0.quantity"),
    "absurd-quantity": ({"lines": [{"sku": "MUG", "quantity": 10**12}]}, "lines.0.quantity"),
    "quantity-not-a-number": ({"lines": [{"sku": "MUG", "quantity": "lots"}]}, "lines.0.quantity"),
    "quantity-as-a-string": ({"lines": [{"sku": "MUG", "quantity": "2"}]}, "lines.0.quantity"),
    "quantity-as-a-float": ({"lines": [{"sku": "MUG", "quantity": 1.0}]}, "lines.0.quantity"),
    "quantity-as-a-bool": ({"lines": [{"sku": "MUG", "quantity": True}]}, "lines.0.quantity"),
    "sku-wrong-type": ({"lines": [{"sku": {"a": 1}, "quantity": 1}]}, "lines.0.sku"),
    "sku-a-number": ({"lines": [{"sku": 12, "quantity": 1}]}, "lines.0.sku"),
    "lines-not-a-list": ({"lines": "MUG"}, "lines"),
    "no-lines": ({"lines": []}, "lines"),
    "missing-lines": ({"lines": None}, "lines"),
    "too-many-lines": ({"lines": [{"sku": "MUG", "quantity": 1}] * 51}, "lines"),
    "duplicate-sku": ({"lines": [{"sku": "MUG", "quantity": 1}, {"sku": "MUG", "quantity": 1}]}, "lines.1.sku"),
    "payment-token-too-long": ({"payment_token": "x" * 101}, "payment_token"),
    "payment-token-missing": ({"payment_token": None}, "payment_token"),
    "payment-token-blank": ({"payment_token": ""}, "payment_token"),
    "address-missing": ({"shipping_address": None}, "shipping_address"),
    "address-blank": ({"shipping_address": "   "}, "shipping_address"),
    "address-too-long": ({"shipping_address": "x" * 501}, "shipping_address"),
    "address-not-a-string": ({"shipping_address": ["1 Street"]}, "shipping_address"),
}


@pytest.mark.parametrize("change,field", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bad_input_gets_a_field_level_400_and_writes_nothing(api, catalog, change, field):
    body = {k: v for k, v in {**order_body(("MUG", 1)), **change}.items() if v is not None}
    response = api.post("/api/orders/", body, format="json")
    assert response.status_code == 400, response.json()
    error = response.json()
    assert (error["code"], set(error)) == ("invalid", {"code", "detail", "details", "correlation_id"}), error
    assert error["details"]["fields"][field], error
    assert not Order.objects.exists()
    assert not Payment.objects.exists()
    assert not OutboxEvent.objects.exists()
    assert stock_of("MUG") == (10, 0, 0)


def test_the_order_shows_its_shipping_address(api, catalog):
    placed = api.post("/api/orders/", order_body(("MUG", 1), shipping_address="  7 Quay Road, Harbourton "),
                      format="json").json()
    assert placed["shipping_address"] == "7 Quay Road, Harbourton"
    assert api.get(f"/api/orders/{placed['order_id']}/").json()["shipping_address"] == "7 Quay Road, Harbourton"
    assert api.get("/api/orders/").json()["results"][0]["shipping_address"] == "7 Quay Road, Harbourton"


def test_malformed_json_is_a_400(api, catalog):
    response = api.post("/api/orders/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert "JSON parse error" in response.json()["detail"]
    assert not Order.objects.exists()


def test_anonymous_cannot_order_or_list(catalog):
    client = APIClient()
    assert client.post("/api/orders/", order_body(("MUG", 1)), format="json").status_code == 401
    assert client.get("/api/orders/").status_code == 401
    assert not Order.objects.exists()


def test_session_login_works(catalog, customer):
    client = APIClient(enforce_csrf_checks=False)
    assert client.login(username="carol", password="carol-pass")
    assert client.get("/api/orders/").status_code == 200


def test_customers_see_only_their_own_orders_and_staff_see_all(catalog, customer, other_customer, staff):
    mine = client_for(customer).post("/api/orders/", order_body(("MUG", 1)), format="json")
    theirs = client_for(other_customer).post("/api/orders/", order_body(("TEE", 1)),
                                             format="json")
    mine_id, theirs_id = mine.json()["order_id"], theirs.json()["order_id"]

    carol = client_for(customer)
    assert [o["order_id"] for o in carol.get("/api/orders/").json()["results"]] == [mine_id]
    assert carol.get(f"/api/orders/{mine_id}/").status_code == 200
    # Another customer's order and a missing one answer alike, on detail and on cancel.
    missing = "00000000-0000-4000-8000-000000000000"
    for path in (f"/api/orders/{{}}/", f"/api/orders/{{}}/cancel/"):
        call = carol.get if path.endswith("/{}/") else (lambda url: carol.post(url, {}, format="json"))
        answers = [call(path.format(order_id)) for order_id in (theirs_id, missing, "not-a-uuid")]
        assert {a.status_code for a in answers} == {404}
        bodies = [{k: v for k, v in a.json().items() if k != "correlation_id"} for a in answers]
        assert bodies[0] == bodies[1] == bodies[2] == {"code": "order_not_found", "detail": "no such order",
                                                       "details": {}}
    assert Order.objects.get(pk=theirs_id).status == "confirmed"

    listing = client_for(staff).get("/api/orders/").json()
    assert listing["count"] == 2
    assert client_for(staff).get(f"/api/orders/{theirs_id}/").status_code == 200


def test_cancel_order_through_the_api(api, catalog):
    order_id = api.post("/api/orders/", order_body(("TEE", 2)), format="json").json()["order_id"]
    response = api.post(f"/api/orders/{order_id}/cancel/", {"reason": "wrong size"}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cancel_reason"]) == ("cancelled", "wrong size")
    assert stock_of("TEE") == (5, 0, 0)


def test_list_pagination_parameters_are_validated(api, catalog):
    assert api.get("/api/orders/", {"limit": "x"}).status_code == 400
    assert api.get("/api/orders/", {"limit": 1000}).status_code == 400
    assert api.get("/api/orders/", {"offset": -1}).status_code == 400
    assert api.get("/api/orders/", {"offset": 9223372036854775808}).status_code == 400
    assert api.get("/api/orders/", {"offset": "1e29"}).status_code == 400
    assert api.get("/api/orders/", {"limit": "٣"}).status_code == 400  # digits, but not ASCII ones
    assert api.get("/api/orders/", {"offset": 1_000_000}).status_code == 200


def test_schema_and_swagger_ui_are_served(db):
    client = APIClient()
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/orders/" in schema.content
    assert client.get("/api/docs/").status_code == 200


def test_order_detail_shows_the_checkout_timeline(api, catalog):
    order_id = api.post("/api/orders/", order_body(("MUG", 1)), format="json").json()["order_id"]
    timeline = api.get(f"/api/orders/{order_id}/").json()["timeline"]
    assert [(t["name"], t["outcome"]) for t in timeline] == [
        ("reserve_stock", "succeeded"), ("charge_payment", "succeeded"),
        ("schedule_shipment", "succeeded"), ("send_confirmation", "succeeded"),
    ]
    assert all(t["at"] for t in timeline)
