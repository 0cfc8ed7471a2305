"""The ReviewsApi contract, identical over local, REST and gRPC."""
import pytest

from common.errors import ValidationFailed
from reviews.api import ReviewAlreadyPosted, get_reviews_api
from reviews.transports.local import LocalReviewsApi

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def patient_reviews(settings):
    """The product page's short timeouts are for a live shop; on a busy test machine a slow answer is no breach."""
    reviews = settings.RESILIENCE["boundaries"]["reviews"]
    settings.RESILIENCE = {**settings.RESILIENCE, "boundaries": {**settings.RESILIENCE["boundaries"], "reviews": {
        **reviews, "timeout": 10.0, "per_try_timeout": 10.0, "breaker": {"enabled": False}}}}


def test_a_posted_review_reads_back_the_same_on_every_transport(transport):
    reviews = get_reviews_api()
    first = reviews.post_review(sku="MUG", customer_id=7, rating=5, text="Keeps coffee hot ☕")
    second = reviews.post_review(sku="MUG", customer_id=8, rating=2, text="")

    assert (first.sku, first.customer_id, first.rating, first.text) == ("MUG", 7, 5, "Keeps coffee hot ☕")
    found = reviews.product_reviews(sku="MUG", limit=10)
    assert found == LocalReviewsApi().product_reviews(sku="MUG", limit=10)
    assert (found.available, found.count, found.rating_sum, str(found.average_rating)) == (True, 2, 7, "3.50")
    assert found.reviews == (second, first)  # newest first, timestamps intact across the wire
    assert reviews.product_reviews(sku="MUG", limit=0).reviews == ()
    assert reviews.product_reviews(sku="NONE", limit=5) == LocalReviewsApi().product_reviews(sku="NONE", limit=5)


def test_refusals_cross_every_transport_as_the_same_error(transport):
    reviews = get_reviews_api()
    reviews.post_review(sku="TEE", customer_id=7, rating=4, text="")
    with pytest.raises(ReviewAlreadyPosted) as raised:
        reviews.post_review(sku="TEE", customer_id=7, rating=1, text="changed my mind")
    assert raised.value.details == {"sku": "TEE"}
    for call, field in ((lambda: reviews.post_review(sku="TEE", customer_id=9, rating=6, text=""), "rating"),
                        (lambda: reviews.post_review(sku="", customer_id=9, rating=3, text=""), "sku"),
                        (lambda: reviews.post_review(sku="TEE", customer_id=9, rating=3, text="x" * 2001), "text"),
                        (lambda: reviews.product_reviews(sku="TEE", limit=51), "limit")):
        with pytest.raises(ValidationFailed) as raised:
            call()
        assert raised.value.details["field"] == field
