"""The storefront API: catalog, stock availability and the customer's orders."""
from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import DomainError
from inventory.api import get_inventory_api
from orders.api import CANCELLED, CONFIRMED, Order, PricedLine, get_orders_api

from . import idempotency
from .models import Product
from .serializers import (
    AvailabilitySerializer,
    OrderCancelSerializer,
    OrderCreateSerializer,
    OrderSerializer,
    ProductSerializer,
)


def _availability(skus: list[str]) -> dict[str, int]:
    return {a.sku: a.available for a in get_inventory_api().get_availability(skus=skus)}


class ProductViewSet(viewsets.ReadOnlyModelViewSet):
    """Active catalog products, looked up by sku, with current availability."""

    queryset = Product.objects.filter(active=True)
    serializer_class = ProductSerializer
    lookup_field = "sku"
    lookup_value_regex = "[^/]+"

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = {**self.get_serializer_context(), "availability": _availability([p.sku for p in page])}
        return self.get_paginated_response(ProductSerializer(page, many=True, context=context).data)

    def retrieve(self, request, *args, **kwargs):
        product = self.get_object()
        context = {**self.get_serializer_context(), "availability": _availability([product.sku])}
        return Response(ProductSerializer(product, context=context).data)


class StockView(APIView):
    """Units available now per active sku; `?sku=a,b` narrows the list."""

    @extend_schema(
        parameters=[OpenApiParameter("sku", str, description="comma-separated skus")],
        responses=AvailabilitySerializer(many=True),
    )
    def get(self, request):
        products = Product.objects.filter(active=True)
        if request.query_params.get("sku"):
            products = products.filter(sku__in=request.query_params["sku"].split(","))
        skus = list(products.values_list("sku", flat=True))
        availability = _availability(skus)
        # None means unknown (inventory unreachable), not zero.
        return Response([{"sku": sku, "available": availability.get(sku)} for sku in skus])


def order_json(order: Order) -> dict:
    """An order's public JSON."""
    return OrderSerializer(order).data


def placed_order_status(order: Order) -> int:
    """201 confirmed; 202 accepted, outcome still to come; else the status of the error that cancelled it."""
    if order.status == CONFIRMED:
        return status.HTTP_201_CREATED
    if order.status != CANCELLED:
        return status.HTTP_202_ACCEPTED  # payment pending, or a choreographed checkout still under way
    error_class = DomainError._registry.get(order.cancel_code)
    return error_class.http_status if error_class else status.HTTP_503_SERVICE_UNAVAILABLE


class OrderViewSet(viewsets.ViewSet):
    """The signed-in customer's orders (staff see everyone's)."""

    permission_classes = [IsAuthenticated]
    lookup_value_regex = "[^/]+"

    @extend_schema(
        parameters=[OpenApiParameter("limit", int), OpenApiParameter("offset", int)],
        responses=OrderSerializer(many=True),
    )
    def list(self, request):
        limit = _int_param(request, "limit", 20, maximum=100)
        offset = _int_param(request, "offset", 0)
        customer_id = None if request.user.is_staff else request.user.pk
        page = get_orders_api().list_orders(customer_id=customer_id, limit=limit, offset=offset)
        return Response({"count": page.count, "results": [order_json(o) for o in page.orders]})

    @extend_schema(
        request=OrderCreateSerializer,
        responses={201: OrderSerializer, 202: OrderSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
    )
    def create(self, request):
        """Place an order. Send an Idempotency-Key header to make retries safe."""
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return self._place(request)
        if not key.strip() or len(key) > idempotency.MAX_KEY_LENGTH:
            raise ValidationError({"Idempotency-Key": [f"Must be 1 to {idempotency.MAX_KEY_LENGTH} characters."]})
        fingerprint = idempotency.request_fingerprint(method="POST", path=request.path, data=request.data)
        record, replay = idempotency.idempotency_begin(user_id=request.user.pk, key=key, fingerprint=fingerprint)
        if replay is not None:
            return Response(replay.body, status=replay.status, headers={"Idempotent-Replayed": "true"})
        try:
            response = self._place(request)
        except BaseException:
            idempotency.idempotency_abandon(record=record)
            raise
        idempotency.idempotency_complete(record=record, status=response.status_code, body=response.data)
        return response

    def _place(self, request) -> Response:
        serializer = OrderCreateSerializer(data=request.data, context={})
        serializer.is_valid(raise_exception=True)
        products = serializer.context["products"]
        lines = [
            PricedLine(
                sku=line["sku"], name=products[line["sku"]].name, quantity=line["quantity"],
                unit_price=products[line["sku"]].price,
            )
            for line in serializer.validated_data["lines"]
        ]
        order = get_orders_api().place_order(
            customer_id=request.user.pk, email=request.user.email or f"{request.user.username}@example.com",
            lines=lines, payment_token=serializer.validated_data["payment_token"],
            shipping_address=serializer.validated_data["shipping_address"],
        )
        code = placed_order_status(order)
        if code in (status.HTTP_201_CREATED, status.HTTP_202_ACCEPTED):
            return Response(order_json(order), status=code)
        return Response(
            {"code": order.cancel_code, "detail": order.cancel_reason, "order": order_json(order)}, status=code
        )

    @extend_schema(responses=OrderSerializer)
    def retrieve(self, request, pk=None):
        return Response(order_json(self._own_order(request, pk)))

    @extend_schema(request=OrderCancelSerializer, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel the order: its shipment is called off, its charge refunded and its stock returned."""
        self._own_order(request, pk)
        serializer = OrderCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = get_orders_api().cancel_order(order_id=pk, reason=serializer.validated_data["reason"])
        return Response(order_json(order))

    def _own_order(self, request, pk) -> Order:
        order = get_orders_api().get_order(order_id=pk)
        # Another customer's order answers exactly like a missing one, so ids cannot be probed.
        if not request.user.is_staff and order.customer_id != request.user.pk:
            raise Http404
        return order


def _int_param(request, name: str, default: int, maximum: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: ["A whole number is required."]}) from None
    if value < 0 or (maximum is not None and value > maximum):
        raise ValidationError({name: [f"Must be between 0 and {maximum if maximum is not None else 'any'}."]})
    return value
