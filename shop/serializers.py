"""Storefront request validation and response shapes."""
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.errors import QUANTITY_MAX
from reviews.api import RATING_MAX, RATING_MIN, TEXT_MAX

from .models import Product


class MoneySerializer(serializers.Serializer):
    """An amount as a decimal string, never a float, and its currency."""

    amount = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)
    currency = serializers.CharField()


class ProductSerializer(serializers.ModelSerializer):
    """A catalog product with its price and how many can be ordered now (null when unknown)."""

    price = MoneySerializer(read_only=True)
    available = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = ["sku", "name", "description", "price", "available"]

    def get_available(self, product) -> int | None:
        return self.context.get("availability", {}).get(product.sku)


class ReviewSerializer(serializers.Serializer):
    """One customer's review: a rating from 1 to 5 and their words (who wrote it is not shown)."""

    review_id = serializers.CharField()
    rating = serializers.IntegerField(min_value=RATING_MIN, max_value=RATING_MAX)
    text = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


class ReviewSummarySerializer(serializers.Serializer):
    """A product's reviews: false `available` means reviews could not answer (the rest of the page did)."""

    available = serializers.BooleanField()
    count = serializers.IntegerField()
    average_rating = serializers.DecimalField(max_digits=3, decimal_places=2, coerce_to_string=True, allow_null=True,
                                              help_text="mean rating as a decimal string; null without reviews")
    latest = ReviewSerializer(many=True, source="reviews", help_text="the newest reviews")


class ProductDetailSerializer(ProductSerializer):
    """A catalog product as its own page shows it: with its reviews."""

    reviews = serializers.SerializerMethodField()

    class Meta(ProductSerializer.Meta):
        fields = [*ProductSerializer.Meta.fields, "reviews"]

    @extend_schema_field(ReviewSummarySerializer)
    def get_reviews(self, product) -> dict:
        return ReviewSummarySerializer(self.context["reviews"]).data


class RecommendedProductSerializer(serializers.Serializer):
    """A product recommended on the home list, with the rating that earned it."""

    sku = serializers.CharField()
    name = serializers.CharField()
    ratings = serializers.IntegerField(help_text="how many customers rated it")
    average_rating = serializers.DecimalField(max_digits=3, decimal_places=2, coerce_to_string=True)


class ProductPageSerializer(serializers.Serializer):
    """A page of the catalog, and the products recommended beside it."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ProductSerializer(many=True)
    recommended = RecommendedProductSerializer(many=True, help_text="best rated products; empty until any is rated")


class AvailabilitySerializer(serializers.Serializer):
    """Units of a sku that can be ordered now."""

    sku = serializers.CharField()
    available = serializers.IntegerField(allow_null=True, help_text="null while inventory is unreachable")


class StrictIntegerField(serializers.IntegerField):
    """An integer sent as a JSON integer: "2", 2.0 and true are refused, not coerced."""

    def to_internal_value(self, data):
        if type(data) is not int:
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """A string sent as a JSON string: numbers, booleans and objects are refused, not coerced."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class OrderLineInputSerializer(serializers.Serializer):
    """One line of a new order: which sku and how many. Any price sent is ignored.

    Shape only: the rules of an order's lines (how many, how much, each sku once) are orders' own
    (orders/services.py); the bound here only keeps the number within what every transport carries."""

    sku = StrictCharField(max_length=64)
    quantity = StrictIntegerField(min_value=-QUANTITY_MAX, max_value=QUANTITY_MAX)


class OrderCreateSerializer(serializers.Serializer):
    """A new order: lines of active catalog skus, a payment token and where to ship."""

    lines = OrderLineInputSerializer(many=True)
    payment_token = StrictCharField(max_length=100, help_text="the card token from the payment form, e.g. tok_visa")
    shipping_address = StrictCharField(max_length=500, help_text="where to ship the order (not blank)")


class OrderLineSerializer(serializers.Serializer):
    """A line of an order, at the catalog price it was ordered at."""

    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = MoneySerializer()
    line_total = MoneySerializer()


class TimelineEntrySerializer(serializers.Serializer):
    """A step of the order's checkout, with when and how it went."""

    at = serializers.DateTimeField()
    kind = serializers.CharField()
    name = serializers.CharField()
    outcome = serializers.CharField()
    detail = serializers.CharField()


class OrderSerializer(serializers.Serializer):
    """An order as its customer sees it."""

    order_id = serializers.CharField()
    status = serializers.CharField()
    lines = OrderLineSerializer(many=True)
    total = MoneySerializer()
    cancel_reason = serializers.CharField()
    cancel_code = serializers.CharField()
    shipping_address = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    timeline = TimelineEntrySerializer(many=True)


class OrderPageSerializer(serializers.Serializer):
    """A page of orders, newest first, with how many there are in all."""

    count = serializers.IntegerField()
    results = OrderSerializer(many=True)


class OrderCancelSerializer(serializers.Serializer):
    """Why the customer cancels."""

    reason = StrictCharField(max_length=200, default="cancelled by customer")


class ReviewCreateSerializer(serializers.Serializer):
    """A customer's review of a product: a rating from 1 to 5 and, optionally, a few words."""

    rating = StrictIntegerField(min_value=RATING_MIN, max_value=RATING_MAX)
    text = StrictCharField(max_length=TEXT_MAX, allow_blank=True, default="")
