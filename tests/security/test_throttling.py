"""Rate limits: token auth per IP and per username, orders and cancels per customer; 429 with Retry-After."""
import contextlib
import uuid

import pytest
import redis
from django.core.cache import caches
from rest_framework.test import APIClient

from orders.models import Order
from tests.conftest import client_for, order_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def throttled(settings):
    """Rate limits on, at the production defaults, counted from zero."""
    settings.API_THROTTLE = {**settings.API_THROTTLE, "enabled": True}
    caches["throttle"].clear()
    yield settings.API_THROTTLE["rates"]
    with contextlib.suppress(Exception):  # a test may have pointed the cache at a server that is not there
        caches["throttle"].clear()


def limit_of(rate: str) -> int:
    return int(rate.split("/")[0])


def test_guessing_a_password_is_throttled_even_when_the_guess_is_right(throttled, customer):
    client = APIClient()
    answers = [client.post("/api/auth/token/", {"username": "carol", "password": f"guess-{n}"}, format="json")
               for n in range(50)]
    right = client.post("/api/auth/token/", {"username": "carol", "password": "carol-pass"}, format="json")
    statuses = [a.status_code for a in answers]
    allowed = limit_of(throttled["auth_username"])
    assert statuses[:allowed] == [400] * allowed and set(statuses[allowed:]) == {429}, statuses
    assert right.status_code == 429
    assert int(right["Retry-After"]) > 0
    assert right.json()["code"] == "throttled" and right.json()["details"]["retry_after"] > 0


def test_one_address_trying_many_accounts_is_throttled(throttled, db):
    client = APIClient()
    statuses = [client.post("/api/auth/token/", {"username": f"user-{n}", "password": "x"}, format="json").status_code
                for n in range(limit_of(throttled["auth_ip"]) + 5)]
    assert statuses.count(429) == 5, statuses


def test_a_burst_of_orders_is_throttled_per_customer(throttled, catalog, customer, other_customer):
    burst = [client_for(customer).post("/api/orders/", order_body(("MUG", 1)), format="json").status_code
             for _ in range(limit_of(throttled["order_user"]) + 3)]
    allowed = limit_of(throttled["order_user"])
    assert 429 not in burst[:allowed] and burst[allowed:] == [429] * 3, burst  # 409 once the mugs run out
    assert Order.objects.count() == limit_of(throttled["order_user"])
    # Another customer is not held back by the first one's burst.
    assert client_for(other_customer).post("/api/orders/", order_body(("TEE", 1)), format="json").status_code == 201


def test_cancels_are_throttled_per_customer(throttled, settings, catalog, customer):
    settings.API_THROTTLE = {**settings.API_THROTTLE, "rates": {**throttled, "cancel_user": "2/min"}}
    client = client_for(customer)
    missing = "00000000-0000-4000-8000-000000000000"
    statuses = [client.post(f"/api/orders/{missing}/cancel/", {}, format="json").status_code for _ in range(3)]
    assert statuses == [404, 404, 429]


def test_rates_come_from_settings_when_called(throttled, settings, catalog, customer):
    settings.API_THROTTLE = {**settings.API_THROTTLE, "rates": {**throttled, "order_user": "1/min"}}
    client = client_for(customer)
    assert [client.post("/api/orders/", order_body(("MUG", 1)), format="json").status_code for _ in range(2)] == [201, 429]


def test_counts_live_in_redis_so_every_web_process_shares_them(throttled, settings, customer):
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("needs the Redis server the suite runs with")
    prefix = f"throttle-test-{uuid.uuid4()}"
    settings.CACHES = {**settings.CACHES, "throttle": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": settings.CELERY_BROKER_URL,
        "KEY_PREFIX": prefix}}
    client = APIClient()
    for n in range(3):
        client.post("/api/auth/token/", {"username": "carol", "password": f"guess-{n}"}, format="json")
    server = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        keys = server.keys(f"{prefix}:*")
        assert len(keys) == 2  # one count per client address, one per username tried
    finally:
        caches["throttle"].clear()


def test_a_cache_that_does_not_answer_lets_requests_through(throttled, settings, customer):
    settings.CACHES = {**settings.CACHES, "throttle": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.1, "socket_timeout": 0.1}}}
    response = APIClient().post("/api/auth/token/", {"username": "carol", "password": "carol-pass"}, format="json")
    assert response.status_code == 200
