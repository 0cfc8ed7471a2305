"""Orders' subscribers: the ResumeCheckout command (each choreographed step, and every retry) and expired holds.

Orders alone knows how an order's checkout runs, and it follows no other context's event to drive it:
a choreographed step sends the command that runs the next one, so an orchestrated order costs no delivery
here. Each handler is after_commit: its delivery is recorded (inbox row, done) first, and the saga runs after, with
no transaction open across the calls to the other contexts; were the process to die in between, or the saga to
fail, the saga's lease runs out and the sweeper resumes it. A database away for a few seconds (a restart) is waited
for instead (orders/saga.py, RELEASE_SECONDS).
"""
from outbox.api import Envelope, subscriber

from . import saga


# batch: a batch shares its inbox rows' one statement; each saga then runs (and calls the other contexts) in turn.
@subscriber("orders.ResumeCheckout", batch=True, after_commit=True)
def resume_checkout(envelope: Envelope) -> None:
    """Run the order's checkout on from where it is (its next choreographed step, a retry, or stuck)."""
    saga.saga_resume(order_id=envelope.payload["order_id"])


@subscriber("inventory.ReservationExpired", after_commit=True)
def undo_when_reservation_expired(envelope: Envelope) -> None:
    """Its stock's hold ran out: a checkout not yet paid is cancelled and undone (either mode)."""
    saga.checkout_reservation_expired(order_id=envelope.payload["order_id"])
