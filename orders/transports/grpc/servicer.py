"""OrdersService served by the local implementation, so gRPC cannot drift from in-process behaviour."""
from __future__ import annotations

from ..local import LocalOrdersApi
from . import orders_pb2 as pb
from . import orders_pb2_grpc
from .messages import order_message, page_message, priced_line_dto


class OrdersServicer(orders_pb2_grpc.OrdersServiceServicer):
    """Each RPC is one call of LocalOrdersApi; errors are mapped by common.transports.grpc.ServiceGuard."""

    api = LocalOrdersApi()

    def PlaceOrder(self, request, context):
        order = self.api.place_order(
            customer_id=request.customer_id, email=request.email,
            lines=[priced_line_dto(line) for line in request.lines], payment_token=request.payment_token,
            shipping_address=request.shipping_address,
        )
        return order_message(order)

    def GetOrder(self, request, context):
        return order_message(self.api.get_order(order_id=request.order_id))

    def ListOrders(self, request, context):
        customer_id = request.customer_id if request.HasField("customer_id") else None
        return page_message(self.api.list_orders(customer_id=customer_id, limit=request.limit, offset=request.offset))

    def CancelOrder(self, request, context):
        return order_message(self.api.cancel_order(order_id=request.order_id, reason=request.reason))


def register(server) -> list[str]:
    """Add orders' servicer to `server`; returns the full service names served."""
    orders_pb2_grpc.add_OrdersServiceServicer_to_server(OrdersServicer(), server)
    return [pb.DESCRIPTOR.services_by_name["OrdersService"].full_name]
