"""GrpcShippingApi: the ShippingApi over gRPC to shipping's ShippingService."""
from __future__ import annotations

from common.transports.grpc import GrpcClient

from ...api import Shipment
from . import shipping_pb2 as pb
from . import shipping_pb2_grpc
from .messages import shipment_dto


class GrpcShippingApi:
    """ShippingApi over gRPC; configured by settings.BOUNDARIES['shipping'] (target, timeout, token, tls)."""

    def __init__(self, **config):
        self._rpc = GrpcClient("shipping", shipping_pb2_grpc.ShippingServiceStub, **config)

    def schedule_shipment(self, *, order_id: str, address: str) -> Shipment:
        request = pb.ScheduleShipmentRequest(order_id=order_id, address=address)
        return shipment_dto(self._rpc.call("ScheduleShipment", request))

    def cancel_shipment(self, *, order_id: str) -> None:
        self._rpc.call("CancelShipment", pb.CancelShipmentRequest(order_id=order_id))
