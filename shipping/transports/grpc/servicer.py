"""ShippingService served by the local implementation, so gRPC cannot drift from in-process behaviour."""
from __future__ import annotations

from google.protobuf import empty_pb2

from ..local import LocalShippingApi
from . import shipping_pb2 as pb
from . import shipping_pb2_grpc
from .messages import shipment_message


class ShippingServicer(shipping_pb2_grpc.ShippingServiceServicer):
    """Each RPC is one call of LocalShippingApi; errors are mapped by common.transports.grpc.ServiceGuard."""

    api = LocalShippingApi()

    def ScheduleShipment(self, request, context):
        return shipment_message(self.api.schedule_shipment(order_id=request.order_id, address=request.address))

    def CancelShipment(self, request, context):
        self.api.cancel_shipment(order_id=request.order_id)
        return empty_pb2.Empty()


def register(server) -> list[str]:
    """Add shipping's servicer to `server`; returns the full service names served."""
    shipping_pb2_grpc.add_ShippingServiceServicer_to_server(ShippingServicer(), server)
    return [pb.DESCRIPTOR.services_by_name["ShippingService"].full_name]
