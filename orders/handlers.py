"""Orders' subscribers: a choreographed checkout advancing on each context's event, and the ResumeCheckout command.

Orders alone knows how an order's checkout runs: an event about an orchestrated order changes nothing
here (its saga drives it), and nothing outside orders ever sees the mode. Each handler runs the saga
after the delivery's transaction commits, so no transaction stays open across the calls to the other
contexts; were the process to die in between, the saga's lease runs out and the sweeper resumes it.
"""
from functools import partial

from django.db import transaction

from common.errors import NotYetKnown
from outbox.api import Envelope, subscriber

from . import saga


def _after_commit(action, envelope: Envelope) -> None:
    transaction.on_commit(partial(action, order_id=envelope.payload["order_id"]), robust=True)


def _follow(envelope: Envelope) -> None:
    # Dropped, an event that outran the end of its step would leave the saga to its lease and the sweeper
    # (CHECKOUT_SAGA step_deadline, 30 s); waiting for it costs no attempt.
    if not saga.checkout_follow(order_id=envelope.payload["order_id"]):
        raise NotYetKnown("the order's checkout is still finishing its previous step")


@subscriber("orders.ResumeCheckout")
def resume_checkout(envelope: Envelope) -> None:
    """Run the order's checkout on from where it is (started, waiting for a retry, or stuck)."""
    _after_commit(saga.saga_resume, envelope)


@subscriber("inventory.ItemsReserved")
def charge_when_items_reserved(envelope: Envelope) -> None:
    """Its stock is held: choreographed, the charge comes next."""
    _follow(envelope)


@subscriber("payments.PaymentProcessed")
def ship_when_paid(envelope: Envelope) -> None:
    """It was charged: choreographed, the shipment comes next."""
    _follow(envelope)


@subscriber("shipping.ShipmentScheduled")
def confirm_when_shipment_scheduled(envelope: Envelope) -> None:
    """Its pickup is scheduled: choreographed, confirm it and send the confirmation."""
    _follow(envelope)


@subscriber("inventory.ReservationExpired")
def undo_when_reservation_expired(envelope: Envelope) -> None:
    """Its stock's hold ran out: a checkout not yet paid is cancelled and undone (either mode)."""
    _after_commit(saga.checkout_reservation_expired, envelope)
