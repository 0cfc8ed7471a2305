"""GrpcOrdersApi: the OrdersApi over gRPC to orders' OrdersService."""
from __future__ import annotations

from collections.abc import Sequence

from common.transports.grpc import GrpcClient, request_values_checked

from ...api import Order, OrderPage, PricedLine
from . import orders_pb2 as pb
from . import orders_pb2_grpc
from .messages import order_dto, page_dto, priced_line_message


class GrpcOrdersApi:
    """OrdersApi over gRPC; configured by settings.BOUNDARIES['orders'] (target, timeout, token, tls)."""

    def __init__(self, **config):
        self._rpc = GrpcClient("orders", orders_pb2_grpc.OrdersServiceStub, **config)

    def place_order(
        self, *, customer_id: int, email: str, lines: Sequence[PricedLine], payment_token: str,
        shipping_address: str,
    ) -> Order:
        with request_values_checked("PlaceOrder"):
            request = pb.PlaceOrderRequest(
                customer_id=customer_id, email=email, lines=[priced_line_message(line) for line in lines],
                payment_token=payment_token, shipping_address=shipping_address,
            )
        return order_dto(self._rpc.call("PlaceOrder", request))

    def get_order(self, *, order_id: str) -> Order:
        return order_dto(self._rpc.call("GetOrder", pb.GetOrderRequest(order_id=order_id)))

    def list_orders(self, *, customer_id: int | None, limit: int, offset: int) -> OrderPage:
        with request_values_checked("ListOrders"):
            request = pb.ListOrdersRequest(customer_id=customer_id, limit=limit, offset=offset)
        return page_dto(self._rpc.call("ListOrders", request))

    def cancel_order(self, *, order_id: str, reason: str) -> Order:
        return order_dto(self._rpc.call("CancelOrder", pb.CancelOrderRequest(order_id=order_id, reason=reason)))
