"""Reviews on the storefront: posting one, the product page showing them, and the page without them when reviews is down."""
import io

import pytest
from django.core.cache import caches
from rest_framework.test import APIClient

from common.resilience.breaker import FORCED_OPEN
from common.resilience.storage import set_forced_state
from outbox.models import OutboxEvent
from reviews.models import Review
from tests.conftest import client_for, deliver_outbox

pytestmark = pytest.mark.django_db


def test_a_posted_review_shows_on_the_product_page_with_an_exact_average(api, catalog, other_customer):
    response = api.post("/api/products/MUG/reviews/", {"rating": 5, "text": "Keeps coffee hot"}, format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["rating"], response.json()["text"]) == (5, "Keeps coffee hot")
    assert client_for(other_customer).post("/api/products/MUG/reviews/", {"rating": 4}, format="json").status_code == 201

    reviews = APIClient().get("/api/products/MUG/").json()["reviews"]
    assert (reviews["available"], reviews["count"], reviews["average_rating"]) == (True, 2, "4.50")
    assert [r["rating"] for r in reviews["latest"]] == [4, 5] and "customer_id" not in reviews["latest"][0]
    assert APIClient().get("/api/products/TEE/").json()["reviews"] == {
        "available": True, "count": 0, "average_rating": None, "latest": []}
    assert OutboxEvent.objects.filter(name="reviews.ReviewPosted", aggregate_id="MUG").count() == 2


def test_bad_reviews_get_the_one_error_shape_and_write_nothing(api, catalog):
    assert APIClient().post("/api/products/MUG/reviews/", {"rating": 5}, format="json").status_code == 401
    for body, field in (({"rating": 6}, "rating"), ({"rating": "5"}, "rating"), ({"rating": 0}, "rating"),
                        ({}, "rating"), ({"rating": 3, "text": "x" * 2001}, "text"), ({"rating": 3, "text": 7}, "text")):
        response = api.post("/api/products/MUG/reviews/", body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert set(response.json()) == {"code", "detail", "details", "correlation_id"}
        assert field in response.json()["details"]["fields"], response.json()
    assert api.post("/api/products/NOPE/reviews/", {"rating": 5}, format="json").status_code == 404
    assert not Review.objects.exists()

    assert api.post("/api/products/MUG/reviews/", {"rating": 5}, format="json").status_code == 201
    again = api.post("/api/products/MUG/reviews/", {"rating": 1}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "review_already_posted")
    assert Review.objects.get().rating == 5


def test_posting_reviews_is_throttled_per_customer(api, catalog, settings):
    settings.API_THROTTLE = {**settings.API_THROTTLE, "enabled": True,
                             "rates": {**settings.API_THROTTLE["rates"], "review_user": "2/min"}}
    caches["throttle"].clear()
    statuses = [api.post(f"/api/products/{sku}/reviews/", {"rating": 3}, format="json").status_code
                for sku in ("MUG", "TEE", "LAST")]
    assert statuses == [201, 201, 429]
    caches["throttle"].clear()


def test_the_home_list_recommends_the_best_rated_products_from_reviews_events(api, catalog, customer, other_customer,
                                                                              staff):
    for user, sku, rating in ((customer, "TEE", 5), (other_customer, "TEE", 4), (customer, "MUG", 5),
                              (customer, "LAST", 2), (staff, "LAST", 3)):
        assert client_for(user).post(f"/api/products/{sku}/reviews/", {"rating": rating}, format="json").status_code == 201
    assert APIClient().get("/api/products/").json()["recommended"] == []  # not yet heard of
    deliver_outbox()
    deliver_outbox()  # nothing is counted twice
    recommended = APIClient().get("/api/products/").json()["recommended"]
    assert recommended == [
        {"sku": "MUG", "name": "Mug", "ratings": 1, "average_rating": "5.00"},
        {"sku": "TEE", "name": "Tee", "ratings": 2, "average_rating": "4.50"},
        {"sku": "LAST", "name": "Last one", "ratings": 2, "average_rating": "2.50"},
    ]


def test_with_the_reviews_breaker_open_the_page_answers_without_reviews_and_still_recommends(api, catalog):
    assert api.post("/api/products/MUG/reviews/", {"rating": 5}, format="json").status_code == 201
    deliver_outbox()
    set_forced_state("reviews", FORCED_OPEN)

    page = APIClient().get("/api/products/MUG/")
    assert page.status_code == 200
    assert (page.json()["name"], page.json()["available"]) == ("Mug", 10)
    assert page.json()["reviews"] == {"available": False, "count": 0, "average_rating": None, "latest": []}
    assert [p["sku"] for p in APIClient().get("/api/products/").json()["recommended"]] == ["MUG"]
    refused = api.post("/api/products/TEE/reviews/", {"rating": 4}, format="json")
    assert refused.status_code == 503 and set(refused.json()) == {"code", "detail", "details", "correlation_id"}


def test_the_demo_data_has_reviews_and_the_home_list_recommends_from_them(db):
    from django.core.management import call_command

    call_command("load_demo", stdout=io.StringIO())
    call_command("load_demo", stdout=io.StringIO())  # safe to run again
    deliver_outbox()
    listing = APIClient().get("/api/products/").json()
    assert [p["sku"] for p in listing["recommended"]] == ["BOOK-003", "SOCK-004", "MUG-001"]
    assert APIClient().get("/api/products/BOOK-003/").json()["reviews"]["count"] == 2


def test_a_sku_no_product_can_have_is_refused_before_any_query(db):
    from common.errors import ValidationFailed
    from reviews.transports.local import LocalReviewsApi

    for call in (lambda: LocalReviewsApi().product_reviews(sku="T\x00E", limit=5),
                 lambda: LocalReviewsApi().post_review(sku="x" * 65, customer_id=1, rating=3, text=""),
                 lambda: LocalReviewsApi().post_review(sku="TEE", customer_id=1, rating=3, text="a\x00b")):
        with pytest.raises(ValidationFailed):
            call()
