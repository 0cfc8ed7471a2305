"""InventoryService served by the local implementation, so gRPC cannot drift from in-process behaviour."""
from __future__ import annotations

from google.protobuf import empty_pb2

from ..local import LocalInventoryApi
from . import inventory_pb2 as pb
from . import inventory_pb2_grpc
from .messages import availability_message, reservation_message, stock_lines


class InventoryServicer(inventory_pb2_grpc.InventoryServiceServicer):
    """Each RPC is one call of LocalInventoryApi; errors are mapped by common.transports.grpc.ServiceGuard."""

    api = LocalInventoryApi()

    def ReserveItems(self, request, context):
        return reservation_message(self.api.reserve_items(order_id=request.order_id, lines=stock_lines(request.items)))

    def ReleaseItems(self, request, context):
        self.api.release_items(order_id=request.order_id)
        return empty_pb2.Empty()

    def GetAvailability(self, request, context):
        items = self.api.get_availability(skus=list(request.skus))
        return pb.AvailabilityResponse(items=[availability_message(item) for item in items])

    def Restock(self, request, context):
        return availability_message(
            self.api.restock(sku=request.sku, quantity=request.quantity, reason=request.reason)
        )


def register(server) -> list[str]:
    """Add inventory's servicer to `server`; returns the full service names served."""
    inventory_pb2_grpc.add_InventoryServiceServicer_to_server(InventoryServicer(), server)
    return [pb.DESCRIPTOR.services_by_name["InventoryService"].full_name]
