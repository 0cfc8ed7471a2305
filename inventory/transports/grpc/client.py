"""GrpcInventoryApi: the InventoryApi over gRPC to inventory's InventoryService."""
from __future__ import annotations

from collections.abc import Sequence

from common.transports.grpc import GrpcClient, request_values_checked

from ...api import Availability, Reservation, StockLine
from . import inventory_pb2 as pb
from . import inventory_pb2_grpc
from .messages import availability_dto, line_items, reservation_dto


class GrpcInventoryApi:
    """InventoryApi over gRPC; configured by settings.BOUNDARIES['inventory'] (target, timeout, token, tls)."""

    def __init__(self, **config):
        self._rpc = GrpcClient("inventory", inventory_pb2_grpc.InventoryServiceStub, **config)

    def reserve_items(self, *, order_id: str, lines: Sequence[StockLine]) -> Reservation:
        with request_values_checked("ReserveItems"):
            request = pb.ReservationRequest(order_id=order_id, items=line_items(lines))
        return reservation_dto(self._rpc.call("ReserveItems", request))

    def release_items(self, *, order_id: str) -> None:
        self._rpc.call("ReleaseItems", pb.ReleaseRequest(order_id=order_id))

    def keep_reservation(self, *, order_id: str) -> None:
        self._rpc.call("KeepReservation", pb.KeepRequest(order_id=order_id))

    def get_availability(self, *, skus: Sequence[str]) -> list[Availability]:
        response = self._rpc.call("GetAvailability", pb.AvailabilityRequest(skus=list(skus)))
        return [availability_dto(item) for item in response.items]

    def restock(self, *, sku: str, quantity: int, reason: str) -> Availability:
        with request_values_checked("Restock"):
            request = pb.RestockRequest(sku=sku, quantity=quantity, reason=reason)
        return availability_dto(self._rpc.call("Restock", request))
