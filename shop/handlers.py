"""The storefront's subscribers: ratings for the home list's recommendations, kept from reviews' events."""
from django.db.models import F

from outbox.api import Envelope, subscriber

from .models import ProductRating


@subscriber("reviews.ReviewPosted", batch=True)
def rate_when_review_posted(envelope: Envelope) -> None:
    """Count the new rating into the product's totals (the inbox makes a repeat a no-op)."""
    sku, rating = envelope.payload["sku"], int(envelope.payload["rating"])
    rating_row, _ = ProductRating.objects.get_or_create(sku=sku)
    ProductRating.objects.filter(pk=rating_row.pk).update(count=F("count") + 1, rating_sum=F("rating_sum") + rating)
