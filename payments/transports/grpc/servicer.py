"""PaymentsService served by the local implementation, so gRPC cannot drift from in-process behaviour."""
from __future__ import annotations

from ..local import LocalPaymentsApi
from . import payments_pb2 as pb
from . import payments_pb2_grpc
from .messages import money_dto, payment_message, result_message


class PaymentsServicer(payments_pb2_grpc.PaymentsServiceServicer):
    """Each RPC is one call of LocalPaymentsApi; errors are mapped by common.transports.grpc.ServiceGuard."""

    api = LocalPaymentsApi()

    def Charge(self, request, context):
        payment = self.api.charge(
            order_id=request.order_id, amount=money_dto(request.amount), payment_token=request.payment_token
        )
        return payment_message(payment)

    def Refund(self, request, context):
        return result_message(self.api.refund(order_id=request.order_id))

    def GetPayment(self, request, context):
        return result_message(self.api.get_payment(order_id=request.order_id))


def register(server) -> list[str]:
    """Add payments' servicer to `server`; returns the full service names served."""
    payments_pb2_grpc.add_PaymentsServiceServicer_to_server(PaymentsServicer(), server)
    return [pb.DESCRIPTOR.services_by_name["PaymentsService"].full_name]
