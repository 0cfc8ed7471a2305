"""Payments' business operations: charge once per order, refund idempotently."""
from __future__ import annotations


from django.db import IntegrityError
from django.utils import timezone

from common.db import atomic_for
from common.errors import ValidationFailed
from common.ids import parse_uuid
from common.money import Money
from outbox.api import publish

from .api import (
    InvoiceCreated,
    PaymentDeclined,
    PaymentFailed,
    PaymentProcessed,
    PaymentProviderUnavailable,
    PaymentRefunded,
    PaymentVoided,
)
from .models import Invoice, Payment
from .provider import provider_charge, provider_refund


def payment_successful(*, order_id: str) -> Payment | None:
    """The charged or refunded payment of an order, if any."""
    return Payment.objects.filter(
        order_id=parse_uuid(order_id), status__in=[Payment.Status.CHARGED, Payment.Status.REFUNDED]
    ).first()


_SETTLED = [Payment.Status.CHARGED, Payment.Status.REFUNDED, Payment.Status.VOIDED]


def payment_charge(*, order_id: str, amount: Money, payment_token: str) -> Payment:
    """Charge the order unless it was already charged; a decline is recorded and raised."""
    order_uuid = parse_uuid(order_id)
    if amount.amount <= 0:
        raise ValidationFailed("amount must be positive", field="amount")
    # One read: an order has at most one settled payment (one_successful_charge_per_order), charged or
    # refunded (answered as it is) or voided (a charge is refused).
    settled = Payment.objects.filter(order_id=order_uuid, status__in=_SETTLED).first()
    if settled is not None and settled.status == Payment.Status.VOIDED:
        raise PaymentVoided("the payment of this order was voided", order_id=str(order_uuid))
    if settled is not None:
        return settled
    try:
        charge = provider_charge(idempotency_key=f"order:{order_uuid}", amount=amount, payment_token=payment_token)
    except PaymentDeclined as declined:
        with atomic_for("payments"):
            Payment.objects.create(
                order_id=order_uuid, amount=amount.amount, currency=amount.currency,
                status=Payment.Status.DECLINED, decline_reason=declined.details.get("reason", ""),
            )
            publish(PaymentFailed(order_id=str(order_uuid), reason=declined.details.get("reason", "declined")))
        raise
    try:
        with atomic_for("payments"):
            payment = Payment.objects.create(
                order_id=order_uuid, amount=amount.amount, currency=amount.currency,
                status=Payment.Status.CHARGED, provider_ref=charge.reference,
            )
            publish(PaymentProcessed(order_id=str(order_uuid), payment_id=str(payment.id), amount=amount))
    except IntegrityError:
        # A concurrent charge for the same order won (the provider deduped on the same key), or a
        # void landed first (then the provider's charge is refunded at once: the order was given up).
        winner = payment_successful(order_id=order_id)
        if winner is not None:
            return winner
        provider_refund(reference=charge.reference)
        raise PaymentVoided("the payment of this order was voided", order_id=str(order_uuid)) from None
    return payment


def payment_refund(*, order_id: str) -> Payment | None:
    """Refund the order's charge; with none, void the order so a charge landing later is refused. Idempotent."""
    order_uuid = parse_uuid(order_id)
    with atomic_for("payments"):
        payment = Payment.objects.select_for_update().filter(order_id=order_uuid, status__in=_SETTLED).first()
        if payment is None:
            try:
                with atomic_for("payments"):
                    return Payment.objects.create(order_id=order_uuid, amount=0, currency="EUR",
                                                  status=Payment.Status.VOIDED)
            except IntegrityError:
                # A charge committed meanwhile: refund that one.
                payment = Payment.objects.select_for_update().get(order_id=order_uuid, status__in=_SETTLED)
        if payment.status != Payment.Status.CHARGED:
            return payment
        provider_refund(reference=payment.provider_ref)
        payment.status = Payment.Status.REFUNDED
        payment.refunded_at = timezone.now()
        payment.save(update_fields=["status", "refunded_at"])
        publish(
            PaymentRefunded(
                order_id=str(order_uuid), payment_id=str(payment.id), amount=Money(payment.amount, payment.currency)
            )
        )
    return payment


def invoice_create(*, order_id: str, customer_id: int, total: Money) -> Invoice:
    """Invoice an order and publish InvoiceCreated; once per order."""
    order_uuid = parse_uuid(order_id)
    # No savepoint of its own: get_or_create() keeps one around its INSERT, and nothing else here may fail
    # and be caught (inside a handler's transaction, two round trips per delivery).
    with atomic_for("payments", savepoint=False):
        invoice, created = Invoice.objects.get_or_create(
            order_id=order_uuid, defaults={"customer_id": customer_id, "amount": total.amount,
                                           "currency": total.currency},
        )
        if created:
            publish(InvoiceCreated(order_id=str(order_uuid), invoice_id=str(invoice.id), amount=total))
    return invoice
