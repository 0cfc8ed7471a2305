"""InventoryService served by the local implementation, so gRPC cannot drift from in-process behaviour."""
from __future__ import annotations

import grpc
from google.protobuf import empty_pb2

from common.errors import DomainError

from ... import services
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

    def KeepReservation(self, request, context):
        self.api.keep_reservation(order_id=request.order_id)
        return empty_pb2.Empty()

    def GetAvailability(self, request, context):
        items = self.api.get_availability(skus=list(request.skus))
        return pb.AvailabilityResponse(items=[availability_message(item) for item in items])

    def Restock(self, request, context):
        return availability_message(
            self.api.restock(sku=request.sku, quantity=request.quantity, reason=request.reason)
        )


class SeedInventoryServicer:
    """The seed's InventoryService to the letter (no package): a refusal is success=false, release by reservation_id."""

    api = LocalInventoryApi()

    def ReserveItems(self, request, context):
        try:
            return reservation_message(
                self.api.reserve_items(order_id=request.order_id, lines=stock_lines(request.items)))
        except DomainError as refusal:  # the seed's message says why, in the answer, not as an RPC error
            return pb.ReservationResponse(success=False, order_id=request.order_id,
                                          error_reason=f"{refusal.code}: {refusal.message}")

    def ReleaseItems(self, request, context):
        services.stock_release_reservation(reservation_id=request.reservation_id)  # unknown id: NOT_FOUND
        return empty_pb2.Empty()


SEED_SERVICE = "InventoryService"


def _seed_handler(servicer: SeedInventoryServicer):
    # The seed's proto has no package, so its clients call /InventoryService/<method>; the messages are
    # inventory.v1's, which keep the seed's field numbers (SeedReleaseRequest is the seed's ReleaseRequest).
    return grpc.method_handlers_generic_handler(SEED_SERVICE, {
        "ReserveItems": grpc.unary_unary_rpc_method_handler(
            servicer.ReserveItems, request_deserializer=pb.ReservationRequest.FromString,
            response_serializer=pb.ReservationResponse.SerializeToString),
        "ReleaseItems": grpc.unary_unary_rpc_method_handler(
            servicer.ReleaseItems, request_deserializer=pb.SeedReleaseRequest.FromString,
            response_serializer=empty_pb2.Empty.SerializeToString),
    })


def register(server) -> list[str]:
    """Add inventory's servicers to `server` (its own and the seed's); returns the full service names served."""
    inventory_pb2_grpc.add_InventoryServiceServicer_to_server(InventoryServicer(), server)
    server.add_generic_rpc_handlers((_seed_handler(SeedInventoryServicer()),))
    return [pb.DESCRIPTOR.services_by_name["InventoryService"].full_name]
