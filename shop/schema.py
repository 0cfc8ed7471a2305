"""What the OpenAPI schema says about error answers: the one error shape, per status."""
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """Every 4xx and 5xx: a stable code, a sentence, details (field errors under details.fields), a correlation id."""

    code = serializers.CharField()
    detail = serializers.CharField()
    details = serializers.DictField()
    correlation_id = serializers.CharField()


WHY = {
    400: "bad input: details.fields names each field and what is wrong",
    401: "no or a wrong token",
    402: "the card was declined; the cancelled order is in details",
    404: "no such order (or not yours: the same answer), or no such product",
    409: "out of stock, not cancellable, already reviewed, or a request with this Idempotency-Key is still running",
    413: "the body is larger than the API accepts",
    422: "this Idempotency-Key was used with a different request",
    429: "too many requests; Retry-After says when to try again",
    503: "a part of the shop is unavailable; retry after Retry-After",
}


def error_responses(*statuses: int) -> dict:
    """{status: the error shape with why} for extend_schema's responses."""
    return {status: OpenApiResponse(ErrorSerializer, description=WHY[status]) for status in statuses}


class OrderSchema(AutoSchema):
    """The orders list answers one object, {"count", "results"}, not a bare array: say so."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class ProductSchema(AutoSchema):
    """The products list answers one object, {"count", "next", "previous", "results", "recommended"}: say so."""

    def _is_list_view(self, serializer=None) -> bool:
        return False
