"""Who may do what at the public edge: anonymous, another customer, staff pages, CSRF on session writes."""
import pytest
from django.test import Client
from rest_framework.test import APIClient

from orders.models import Order
from tests.conftest import client_for, order_body, stock_of

pytestmark = pytest.mark.django_db
MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def theirs(catalog, other_customer) -> str:
    return client_for(other_customer).post("/api/orders/", order_body(("TEE", 2)), format="json").json()["order_id"]


def without_correlation(response) -> tuple:
    body = response.json()
    body.pop("correlation_id", None)
    return response.status_code, body


@pytest.mark.parametrize("verb", ["get", "put", "patch", "delete", "post"])
def test_another_customers_order_answers_like_a_missing_one_on_every_verb(catalog, customer, theirs, verb):
    carol = client_for(customer)
    for path in ("/api/orders/{}/", "/api/orders/{}/cancel/"):
        answers = [without_correlation(getattr(carol, verb)(path.format(order_id), {}, format="json"))
                   for order_id in (theirs, MISSING)]
        assert answers[0] == answers[1], (verb, path, answers)
        assert answers[0][0] in (404, 405)
    assert Order.objects.get(pk=theirs).status == "confirmed"
    assert stock_of("TEE") == (3, 2, 0)  # still reserved for their confirmed order


def test_anonymous_callers_get_401_on_everything_but_the_catalog(catalog, theirs):
    client = APIClient()
    for method, path in [("get", "/api/orders/"), ("post", "/api/orders/"), ("get", f"/api/orders/{theirs}/"),
                         ("post", f"/api/orders/{theirs}/cancel/")]:
        response = getattr(client, method)(path, order_body(("MUG", 1)) if method == "post" else None, format="json")
        assert response.status_code == 401 and response.json()["code"] == "not_authenticated", path
        assert response["WWW-Authenticate"].startswith("Token")
    for path in ("/api/products/", "/api/products/MUG/", "/api/stock/", "/api/schema/"):
        assert client.get(path).status_code == 200, path
    assert client.post("/api/products/", {}, format="json").status_code == 401


def test_a_wrong_token_is_a_401_not_a_guess(catalog):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    response = client.get("/api/orders/")
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"


def test_the_catalog_is_read_only_even_for_staff(catalog, staff):
    for method in ("post", "put", "patch", "delete"):
        path = "/api/products/" if method == "post" else "/api/products/MUG/"
        assert getattr(client_for(staff), method)(path, {}, format="json").status_code == 405


def test_staff_pages_refuse_customers(catalog, customer, staff):
    browser = Client()
    browser.force_login(customer)
    for path in ("/admin/", "/admin/orders/order/", "/admin/inventory/stockitem/", "/admin/outbox/delivery/"):
        response = browser.get(path)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], path
    staff_browser = Client()
    staff_browser.force_login(staff)
    assert staff_browser.get("/admin/").status_code in (200, 403)  # staff reach the admin; permissions decide what


def test_session_writes_need_the_csrf_token(catalog, customer, theirs):
    browser = APIClient(enforce_csrf_checks=True)
    assert browser.login(username="carol", password="carol-pass")
    refused = browser.post("/api/orders/", order_body(("MUG", 1)), format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    assert "CSRF" in refused.json()["detail"]
    assert not Order.objects.filter(customer_id=customer.pk).exists()
    browser.get("/api-auth/login/")  # sets the csrftoken cookie, as a browser's first page would
    token = browser.cookies["csrftoken"].value
    accepted = browser.post("/api/orders/", order_body(("MUG", 1)), format="json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201


def test_token_callers_need_no_csrf_token(api, catalog):
    api.enforce_csrf_checks = True
    assert api.post("/api/orders/", order_body(("MUG", 1)), format="json").status_code == 201
