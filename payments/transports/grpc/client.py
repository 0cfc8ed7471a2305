"""GrpcPaymentsApi: the PaymentsApi over gRPC to payments' PaymentsService."""
from __future__ import annotations

from common.money import Money
from common.transports.grpc import GrpcClient

from ...api import Payment
from . import payments_pb2 as pb
from . import payments_pb2_grpc
from .messages import money_message, payment_dto, result_dto


class GrpcPaymentsApi:
    """PaymentsApi over gRPC; configured by settings.BOUNDARIES['payments'] (target, timeout, token, tls)."""

    def __init__(self, **config):
        self._rpc = GrpcClient("payments", payments_pb2_grpc.PaymentsServiceStub, **config)

    def charge(self, *, order_id: str, amount: Money, payment_token: str) -> Payment:
        request = pb.ChargeRequest(order_id=order_id, amount=money_message(amount), payment_token=payment_token)
        return payment_dto(self._rpc.call("Charge", request))

    def refund(self, *, order_id: str) -> Payment | None:
        return result_dto(self._rpc.call("Refund", pb.OrderRef(order_id=order_id)))

    def get_payment(self, *, order_id: str) -> Payment | None:
        return result_dto(self._rpc.call("GetPayment", pb.OrderRef(order_id=order_id)))
