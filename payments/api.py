"""Payments' public surface: DTOs, errors, events, the PaymentsApi protocol and its factory."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from common.boundaries import boundary_client
from common.errors import DomainError
from common.money import Money
from outbox.api import OrderEvent


@dataclass(frozen=True)
class Payment:
    """A charge for an order, and what became of it."""

    payment_id: str
    order_id: str
    amount: Money
    status: str
    provider_ref: str


class PaymentDeclined(DomainError):
    """The provider refused the charge (card declined, insufficient funds, fraud rule)."""

    code = "payment_declined"
    http_status = 402


class PaymentProviderUnavailable(DomainError):
    """The payment provider failed to answer; nothing was charged, and trying later may work."""

    code = "payment_provider_unavailable"
    http_status = 503


class PaymentVoided(DomainError):
    """The order's payment was voided (refunded before it was ever charged); it cannot be charged now."""

    code = "payment_voided"
    http_status = 409


@dataclass(frozen=True, kw_only=True)
class PaymentProcessed(OrderEvent):
    """An order was charged."""

    name = "payments.PaymentProcessed"
    payment_id: str
    amount: Money


@dataclass(frozen=True, kw_only=True)
class PaymentFailed(OrderEvent):
    """A charge for an order was declined."""

    name = "payments.PaymentFailed"
    reason: str
    code: str = "payment_declined"  # or payment_provider_unavailable


@dataclass(frozen=True, kw_only=True)
class PaymentRefunded(OrderEvent):
    """An order's charge was refunded."""

    name = "payments.PaymentRefunded"
    payment_id: str
    amount: Money


@dataclass(frozen=True, kw_only=True)
class InvoiceCreated(OrderEvent):
    """An order was invoiced."""

    name = "payments.InvoiceCreated"
    invoice_id: str
    amount: Money


class PaymentsApi(Protocol):
    """What other contexts may ask of payments."""

    def charge(self, *, order_id: str, amount: Money, payment_token: str) -> Payment:
        """Charge an order once; a repeated call returns the first successful charge. Raises PaymentDeclined."""

    def refund(self, *, order_id: str) -> Payment | None:
        """Refund an order's charge, or void it if none was made (a late charge is then refused); idempotent."""

    def get_payment(self, *, order_id: str) -> Payment | None:
        """The successful charge of an order, if any."""


def get_payments_api() -> PaymentsApi:
    """The PaymentsApi over the transport that settings.BOUNDARIES['payments'] names."""
    return boundary_client("payments", {
        "local": "payments.transports.local.LocalPaymentsApi",
        "rest": "payments.transports.rest.RestPaymentsApi",
        "grpc": "payments.transports.grpc.client.GrpcPaymentsApi",
    })
