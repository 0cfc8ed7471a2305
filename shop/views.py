"""The storefront API: catalog, stock availability and the customer's orders."""
from __future__ import annotations

import functools
import re

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import BoundaryTimeout, DomainError, ValidationFailed, error_json
from common.http import correlation_id_of
from common.parsers import BoundedJSONParser
from inventory.api import get_inventory_api
from orders.api import CANCELLED, CONFIRMED, CUSTOMER_REQUEST, Order, OrderNotFound, PricedLine, get_orders_api
from reviews.api import get_reviews_api

from . import idempotency
from .models import Product
from .recommendations import recommended_products
from .schema import OrderSchema, ProductSchema, error_responses
from .selectors import products_by_sku
from .serializers import (
    AvailabilitySerializer,
    OrderCancelSerializer,
    OrderCreateSerializer,
    OrderPageSerializer,
    OrderSerializer,
    ProductDetailSerializer,
    ProductPageSerializer,
    ProductSerializer,
    RecommendedProductSerializer,
    ReviewCreateSerializer,
    ReviewSerializer,
)
from .throttling import throttles

MAX_OFFSET = 1_000_000  # deeper than any customer pages; keeps OFFSET far from the database's integer limits
MAX_STOCK_SKUS = 100
REVIEWS_ON_PAGE = 5  # the newest reviews a product page shows


def _availability(skus: list[str]) -> dict[str, int]:
    return {a.sku: a.available for a in get_inventory_api().get_availability(skus=skus)}


class StrictPageNumberPagination(PageNumberPagination):
    """DRF's page numbers, but `?page=` that is not a whole number is a 400 rather than page 1 or a guess."""

    max_page = 100_000

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and not (_WHOLE_NUMBER.match(raw) and 1 <= int(raw) <= self.max_page):
            raise ValidationError({self.page_query_param: [f"A whole number from 1 to {self.max_page} is required."]})
        return super().get_page_number(request, paginator)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page)
        return parameters


class ProductViewSet(viewsets.ReadOnlyModelViewSet):
    """Active catalog products, looked up by sku, with current availability; reviews on each product's page."""

    pagination_class = StrictPageNumberPagination
    queryset = Product.objects.filter(active=True)
    serializer_class = ProductSerializer
    lookup_field = "sku"
    lookup_value_regex = "[^/]+"
    schema = ProductSchema()

    def get_throttles(self):
        return [throttle() for throttle in throttles("review_user")] if self.action == "reviews" else super().get_throttles()

    @extend_schema(
        operation_id="products_list",
        parameters=[OpenApiParameter("page", {"type": "integer", "minimum": 1,
                                              "maximum": StrictPageNumberPagination.max_page}, description="page number")],
        responses={200: ProductPageSerializer, **error_responses(400, 401, 404)},
    )
    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = {**self.get_serializer_context(), "availability": _availability([p.sku for p in page])}
        response = self.get_paginated_response(ProductSerializer(page, many=True, context=context).data)
        # Read from the catalog's own ratings (kept from reviews' events): no call, so nothing to wait for.
        response.data["recommended"] = RecommendedProductSerializer(recommended_products(), many=True).data
        return response

    @extend_schema(responses={200: ProductDetailSerializer, **error_responses(401, 404)})
    def retrieve(self, request, *args, **kwargs):
        product = self.get_object()
        context = {**self.get_serializer_context(), "availability": _availability([product.sku]),
                   # While reviews cannot answer, its fallback marks them unavailable: the page still shows.
                   "reviews": get_reviews_api().product_reviews(sku=product.sku, limit=REVIEWS_ON_PAGE)}
        return Response(ProductDetailSerializer(product, context=context).data)

    @extend_schema(request=ReviewCreateSerializer,
                   responses={201: ReviewSerializer, **error_responses(400, 401, 404, 409, 413, 429, 503)})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated], parser_classes=[BoundedJSONParser])
    def reviews(self, request, sku=None):
        """Review the product: a rating from 1 to 5 and a few words; one review per customer and product."""
        product = self.get_object()
        serializer = ReviewCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = get_reviews_api().post_review(sku=product.sku, customer_id=request.user.pk,
                                               rating=serializer.validated_data["rating"],
                                               text=serializer.validated_data["text"])
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


class StockView(APIView):
    """Units available now per active sku; `?sku=a,b` narrows the list."""

    @extend_schema(
        parameters=[OpenApiParameter("sku", str, description=f"comma-separated skus, at most {MAX_STOCK_SKUS}")],
        responses={200: AvailabilitySerializer(many=True), **error_responses(400, 401)},
    )
    def get(self, request):
        products = Product.objects.filter(active=True)
        if request.query_params.get("sku"):
            skus = request.query_params["sku"].split(",")
            if len(skus) > MAX_STOCK_SKUS:
                raise ValidationError({"sku": [f"Ask for at most {MAX_STOCK_SKUS} skus at once."]})
            products = products.filter(sku__in=skus)
        skus = list(products.values_list("sku", flat=True))
        availability = _availability(skus)
        # None means unknown (inventory unreachable), not zero.
        return Response([{"sku": sku, "available": availability.get(sku)} for sku in skus])


def order_json(order: Order) -> dict:
    """An order's public JSON."""
    return _order_serializer().to_representation(order)


@functools.cache
def _order_serializer() -> OrderSerializer:
    # One instance for every answer: to_representation() keeps no state, while each new serializer deep-copies its
    # declared fields, nested lines, money and timeline included: 0.5 ms of CPU per answer, 0.1 ms with this one.
    return OrderSerializer()


def placed_order_status(order: Order) -> int:
    """201 confirmed; 202 accepted, outcome still to come; else the status of the error that cancelled it."""
    if order.status == CONFIRMED:
        return status.HTTP_201_CREATED
    if order.status != CANCELLED:
        return status.HTTP_202_ACCEPTED  # payment pending, or a choreographed checkout still under way
    if order.cancel_code == CUSTOMER_REQUEST:
        return status.HTTP_200_OK  # a replay after the customer cancelled it: the order as it is now
    error_class = DomainError.for_code(order.cancel_code)
    return error_class.http_status if error_class else status.HTTP_503_SERVICE_UNAVAILABLE


def placed_response(request, order: Order) -> Response:
    """The answer about a placed order: the order (201/202), or the error shape with it in the details."""
    code = placed_order_status(order)
    if code in (status.HTTP_200_OK, status.HTTP_201_CREATED, status.HTTP_202_ACCEPTED):
        return Response(order_json(order), status=code)
    return Response(error_json(code=order.cancel_code, detail=order.cancel_reason,
                               details={"order": order_json(order)}, correlation_id=correlation_id_of(request)),
                    status=code)


class OrderViewSet(viewsets.ViewSet):
    """The signed-in customer's orders (staff see everyone's)."""

    permission_classes = [IsAuthenticated]
    parser_classes = [BoundedJSONParser]  # strict JSON types: a form cannot say 2 rather than "2"
    schema = OrderSchema()
    lookup_value_regex = "[^/]+"
    throttles_by_action = {"create": ("order_user", "order_ip"), "cancel": ("cancel_user",)}

    def get_throttles(self):
        return [throttle() for throttle in throttles(*self.throttles_by_action.get(self.action, ()))]

    @extend_schema(
        operation_id="orders_list",
        parameters=[
            OpenApiParameter("limit", {"type": "integer", "minimum": 0, "maximum": 100},
                             description="orders per page (default 20)"),
            OpenApiParameter("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
                             description="orders to skip (default 0)"),
        ],
        responses={200: OrderPageSerializer, **error_responses(400, 401)},
    )
    def list(self, request):
        limit = _int_param(request, "limit", 20, maximum=100)
        offset = _int_param(request, "offset", 0, maximum=MAX_OFFSET)
        customer_id = None if request.user.is_staff else request.user.pk
        page = get_orders_api().list_orders(customer_id=customer_id, limit=limit, offset=offset)
        return Response({"count": page.count, "results": [order_json(o) for o in page.orders]})

    @extend_schema(
        request=OrderCreateSerializer,
        responses={201: OrderSerializer, 202: OrderSerializer,
                   **error_responses(400, 401, 402, 409, 413, 422, 429, 503)},
        parameters=[OpenApiParameter(
            "Idempotency-Key", {"type": "string", "minLength": 1, "maxLength": idempotency.MAX_KEY_LENGTH,
                                "pattern": f"^{idempotency.KEY_PATTERN.pattern}$"}, OpenApiParameter.HEADER,
            description="printable ASCII without spaces (a UUID, say); retries with the same key are safe",
        )],
    )
    def create(self, request):
        """Place an order. Send an Idempotency-Key header to make retries safe."""
        key = request.headers.get("Idempotency-Key")
        serializer = OrderCreateSerializer(data=request.data)
        if key is None:
            serializer.is_valid(raise_exception=True)
            return placed_response(request, self._place(request, serializer.validated_data))
        if not idempotency.KEY_PATTERN.fullmatch(key):
            raise ValidationError({"Idempotency-Key": [
                f"Must be 1 to {idempotency.MAX_KEY_LENGTH} printable ASCII characters without spaces."]})
        fingerprint = idempotency.request_fingerprint(method="POST", path=request.path, data=request.data)
        record, replay = idempotency.idempotency_begin(user_id=request.user.pk, key=key, fingerprint=fingerprint)
        if replay is not None:
            response = (placed_response(request, get_orders_api().get_order(order_id=replay.order_id))
                        if replay.order_id else Response(replay.body, status=replay.status))
            response["Idempotent-Replayed"] = "true"
            return response
        if not serializer.is_valid():
            idempotency.idempotency_abandon(record=record)  # refused input places nothing: the key stays free
            raise ValidationError(serializer.errors)
        try:
            order = self._place(request, serializer.validated_data)
            response = placed_response(request, order)
        except ValidationError:
            idempotency.idempotency_abandon(record=record)  # refused by a rule: nothing placed, the key stays free
            raise
        except BaseException as error:
            idempotency.idempotency_settle_after_failure(record=record, far_side_may_act=isinstance(error, BoundaryTimeout))
            raise
        idempotency.idempotency_complete(record=record, status=response.status_code, body=response.data,
                                         order_id=order.order_id)
        return response

    def _place(self, request, data: dict) -> Order:
        """Price the lines from the catalog and place the order; orders checks the rules of its lines."""
        products = products_by_sku(line["sku"] for line in data["lines"])
        unknown = [{"sku": [f"Unknown or inactive product {line['sku']!r}."]} if line["sku"] not in products else {}
                   for line in data["lines"]]
        if any(unknown):
            raise ValidationError({"lines": unknown})
        lines = [PricedLine(sku=line["sku"], name=products[line["sku"]].name, quantity=line["quantity"],
                            unit_price=products[line["sku"]].price) for line in data["lines"]]
        try:
            return get_orders_api().place_order(
                customer_id=request.user.pk, email=request.user.email or f"{request.user.username}@example.com",
                lines=lines, payment_token=data["payment_token"], shipping_address=data["shipping_address"],
            )
        except ValidationFailed as refused:  # a rule of orders: a field-level 400 like any other refused input
            raise ValidationError({refused.details.get("field", "lines"): [refused.message]}) from refused

    @extend_schema(responses={200: OrderSerializer, **error_responses(401, 404)})
    def retrieve(self, request, pk=None):
        return Response(order_json(self._own_order(request, pk)))

    @extend_schema(request=OrderCancelSerializer,
                   responses={200: OrderSerializer, **error_responses(400, 401, 404, 409, 429)})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel the order: its shipment is called off, its charge refunded and its stock returned."""
        self._own_order(request, pk)
        serializer = OrderCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = get_orders_api().cancel_order(order_id=pk, reason=serializer.validated_data["reason"])
        return Response(order_json(order))

    def _own_order(self, request, pk) -> Order:
        # Another customer's order answers exactly like a missing one (same status, same body), so ids
        # cannot be probed; the id sent is not echoed either.
        try:
            order = get_orders_api().get_order(order_id=pk)
        except OrderNotFound:
            order = None
        if order is None or (not request.user.is_staff and order.customer_id != request.user.pk):
            raise OrderNotFound("no such order")
        return order


class TokenView(ObtainAuthToken):
    """Exchange a username and password for an API token; throttled per client address and per username."""

    parser_classes = (BoundedJSONParser, FormParser)
    authentication_classes: list = []  # signing in needs no credentials (and so no CSRF token)
    throttle_classes = throttles("auth_ip", "auth_username")

    @extend_schema(responses={200: {"type": "object", "properties": {"token": {"type": "string"}}},
                              **error_responses(400, 413, 429)})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


def _int_param(request, name: str, default: int, maximum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not _WHOLE_NUMBER.match(raw):
        raise ValidationError({name: ["A whole number is required."]})
    value = int(raw)
    if not 0 <= value <= maximum:
        raise ValidationError({name: [f"Must be between 0 and {maximum}."]})
    return value


_WHOLE_NUMBER = re.compile(r"^-?[0-9]{1,12}$")  # ASCII digits only, and few enough never to overflow anything
