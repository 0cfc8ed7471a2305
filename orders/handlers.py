"""Orders' subscribers: the ResumeCheckout command (each choreographed step, and every retry) and expired holds.

Orders alone knows how an order's checkout runs, and it follows no other context's event to drive it:
a choreographed step sends the command that runs the next one, so an orchestrated order costs no delivery
here. Each handler runs the saga after the delivery's transaction commits, so no transaction stays open
across the calls to the other contexts; were the process to die in between, the saga's lease runs out and
the sweeper resumes it.
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


# batch: a batch shares only its inbox rows' transaction; the handler writes nothing in it, and each saga runs
# (and calls the other contexts) after it commits, as it would after a delivery of its own.
@subscriber("orders.ResumeCheckout", batch=True)
def resume_checkout(envelope: Envelope) -> None:
    """Run the order's checkout on from where it is (its next choreographed step, a retry, or stuck)."""
    _after_commit(saga.saga_resume, envelope)


@subscriber("inventory.ReservationExpired")
def undo_when_reservation_expired(envelope: Envelope) -> None:
    """Its stock's hold ran out: a checkout not yet paid is cancelled and undone (either mode)."""
    _after_commit(saga.checkout_reservation_expired, envelope)
