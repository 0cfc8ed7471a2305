"""POST /api/orders/ with an Idempotency-Key follows Stripe's rules."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from orders.models import Order
from shop.models import IdempotencyRecord
from tests.conftest import CHECKOUT, client_for, order_body, on_postgres, stock_of

BODY = order_body(("MUG", 1))


@pytest.mark.django_db
def test_same_key_and_body_replays_the_first_response(catalog, customer):
    client = client_for(customer)
    first = client.post("/api/orders/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = client.post("/api/orders/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    assert stock_of("MUG") == (9, 1, 0)


@pytest.mark.django_db
def test_a_failed_outcome_is_replayed_too(catalog, customer):
    client = client_for(customer)
    body = order_body(("LAST", 5))
    first = client.post("/api/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-oos")
    second = client.post("/api/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-oos")
    assert first.status_code == second.status_code == 409
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_same_key_with_another_body_is_a_422(catalog, customer):
    client = client_for(customer)
    client.post("/api/orders/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    other = client.post("/api/orders/", order_body(("MUG", 2)), format="json",
                        HTTP_IDEMPOTENCY_KEY="k-2")
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_keys_are_scoped_per_customer(catalog, customer, other_customer):
    client_for(customer).post("/api/orders/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    response = client_for(other_customer).post("/api/orders/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response.headers
    assert Order.objects.count() == 2


@pytest.mark.django_db
def test_bad_input_does_not_burn_the_key(catalog, customer):
    client = client_for(customer)
    bad = client.post("/api/orders/", {"lines": [], **CHECKOUT}, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert bad.status_code == 400
    assert not IdempotencyRecord.objects.exists()
    good = client.post("/api/orders/", {"lines": []} | BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    # Same key, different body from the failed attempt: allowed, since nothing was stored.
    assert good.status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "   ", "x" * 256])
def test_malformed_keys_are_a_400(catalog, customer, key):
    response = client_for(customer).post("/api/orders/", BODY, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["details"]["fields"]
    assert not Order.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_create_one_order(catalog, customer):
    if not on_postgres():
        pytest.skip("needs PostgreSQL for real concurrent transactions")
    barrier = threading.Barrier(8)

    def post(_):
        try:
            barrier.wait(timeout=10)
            return client_for(customer).post("/api/orders/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="race")
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(post, range(8)))
    codes = sorted(r.status_code for r in responses)
    assert Order.objects.count() == 1
    assert set(codes) <= {201, 409}
    assert 201 in codes
    conflicts = [r.json()["code"] for r in responses if r.status_code == 409]
    assert set(conflicts) <= {"idempotency_key_in_progress"}
    assert stock_of("MUG") == (9, 1, 0)


@pytest.mark.django_db
def test_an_error_after_the_order_committed_binds_the_key_to_that_order(catalog, customer, monkeypatch):
    import shop.views

    real_order_json, calls = shop.views.order_json, []

    def broken_once(order):
        calls.append(order.order_id)
        if len(calls) == 1:
            raise RuntimeError("the answer could not be built")  # after the order's commit, before the response
        return real_order_json(order)

    monkeypatch.setattr(shop.views, "order_json", broken_once)
    client = client_for(customer)
    first = client.post("/api/orders/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-after-commit")
    assert first.status_code == 500 and first.json()["code"] == "server_error"
    retry = client.post("/api/orders/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-after-commit")
    assert retry.status_code == 201, retry.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1  # the retry did not place a second order
    assert retry.json()["order_id"] == str(Order.objects.get().pk)
    assert stock_of("MUG") == (9, 1, 0)


@pytest.mark.django_db
def test_a_replay_shows_the_orders_current_state(catalog, customer):
    client = client_for(customer)
    placed = client.post("/api/orders/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-state").json()
    client.post(f"/api/orders/{placed['order_id']}/cancel/", {}, format="json")
    replay = client.post("/api/orders/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-state")
    assert replay.json()["status"] == "cancelled" and replay.json()["order_id"] == placed["order_id"]


@pytest.mark.django_db
def test_a_claim_whose_request_died_before_placing_is_released_when_its_lease_ends(catalog, customer, settings):
    from django.utils import timezone

    fingerprint = _fingerprint_of(BODY)
    record = IdempotencyRecord.objects.create(user=customer, key="k-dead", fingerprint=fingerprint,
                                              lease_until=timezone.now() + timezone.timedelta(seconds=30))
    client = client_for(customer)
    assert client.post("/api/orders/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-dead").status_code == 409
    IdempotencyRecord.objects.filter(pk=record.pk).update(lease_until=timezone.now())
    retry = client.post("/api/orders/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-dead")
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry.headers
    assert Order.objects.count() == 1


def _fingerprint_of(body) -> str:
    from shop.idempotency import request_fingerprint

    return request_fingerprint(method="POST", path="/api/orders/", data=body)
