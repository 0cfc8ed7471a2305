"""Orders' subscribers: a choreographed checkout advancing on each context's event, and the ResumeCheckout command.

Orders alone knows how an order's checkout runs: an event about an orchestrated order changes nothing
here (its saga drives it), and nothing outside orders ever sees the mode. Each handler runs the saga
after the delivery's transaction commits, so no transaction stays open across the calls to the other
contexts; were the process to die in between, the saga's lease runs out and the sweeper resumes it.
"""
from functools import partial

from django.db import transaction
from opentelemetry import context as otel_context

from outbox.api import Envelope, subscriber

from . import saga


def _after_commit(action, envelope: Envelope) -> None:
    # The handler's trace context goes along: the saga's steps stay in the checkout's trace.
    transaction.on_commit(partial(_in_context, otel_context.get_current(), action,
                                  order_id=envelope.payload["order_id"]), robust=True)


def _in_context(context, action, **kwargs) -> None:
    token = otel_context.attach(context)
    try:
        action(**kwargs)
    finally:
        otel_context.detach(token)


@subscriber("orders.ResumeCheckout")
def resume_checkout(envelope: Envelope) -> None:
    """Run the order's checkout on from where it is (started, waiting for a retry, or stuck)."""
    _after_commit(saga.saga_resume, envelope)


@subscriber("inventory.ItemsReserved")
def charge_when_items_reserved(envelope: Envelope) -> None:
    """Its stock is held: choreographed, the charge comes next."""
    _after_commit(saga.checkout_follow, envelope)


@subscriber("payments.PaymentProcessed")
def ship_when_paid(envelope: Envelope) -> None:
    """It was charged: choreographed, the shipment comes next."""
    _after_commit(saga.checkout_follow, envelope)


@subscriber("shipping.ShipmentScheduled")
def confirm_when_shipment_scheduled(envelope: Envelope) -> None:
    """Its pickup is scheduled: choreographed, confirm it and send the confirmation."""
    _after_commit(saga.checkout_follow, envelope)


@subscriber("inventory.ReservationExpired")
def undo_when_reservation_expired(envelope: Envelope) -> None:
    """Its stock's hold ran out: a checkout not yet paid is cancelled and undone (either mode)."""
    _after_commit(saga.checkout_reservation_expired, envelope)
