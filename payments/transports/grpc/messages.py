"""Conversions between payments' DTOs and its protobuf messages, used by the servicer and the client alike."""
from __future__ import annotations

from decimal import Decimal

from common.money import Money

from ...api import Payment
from . import payments_pb2 as pb


def money_message(money: Money) -> pb.Money:
    return pb.Money(amount=str(money.amount), currency=money.currency)


def money_dto(message: pb.Money) -> Money:
    return Money(Decimal(message.amount), message.currency)


def payment_message(payment: Payment) -> pb.Payment:
    return pb.Payment(
        payment_id=payment.payment_id, order_id=payment.order_id, amount=money_message(payment.amount),
        status=payment.status, provider_ref=payment.provider_ref,
    )


def payment_dto(message: pb.Payment) -> Payment:
    return Payment(
        payment_id=message.payment_id, order_id=message.order_id, amount=money_dto(message.amount),
        status=message.status, provider_ref=message.provider_ref,
    )


def result_message(payment: Payment | None) -> pb.PaymentResult:
    return pb.PaymentResult(payment=payment_message(payment)) if payment else pb.PaymentResult()


def result_dto(message: pb.PaymentResult) -> Payment | None:
    return payment_dto(message.payment) if message.HasField("payment") else None
