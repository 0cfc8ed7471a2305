"""The checkout: a persisted saga per order that drives each step and undoes what a failure leaves.

One engine, two ways to run it (settings.CHECKOUT_MODE, read once when the order is placed):
orchestrated runs the steps back to back in the placing call; choreographed runs one step per delivery
of the outbox command ResumeCheckout, which each step sends on (orders/handlers.py), the order answering
`pending` at once.
Steps (orders/steps.py): reserve stock -> charge payment (the pivot) -> schedule shipment -> send confirmation.
A failure before the pivot compensates in reverse (void or refund what may have been charged,
release the stock) and cancels the order with the reason. A charge that cannot be made now (payments
slow or its breaker open) leaves the order payment pending and is retried later. After the pivot,
steps are retried forward until they succeed; they are never compensated.

Each step and compensation is idempotent, keyed by the order, so a saga resumed after its process
died (or run twice at once) never reserves, charges or releases twice. `deadline` is the step's
lease: whoever claims the saga owns it until then; a saga whose deadline has passed is stuck and
`orders.resume_stuck_sagas` (Celery beat) resumes it through the outbox command ResumeCheckout.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import timedelta

from django.db import InterfaceError, OperationalError, connections
from django.utils import timezone
from opentelemetry import trace

from common.db import alias_for, atomic_for, seed_prefetch
from common.errors import BoundaryUnavailable, DomainError
from common.observers import observer
from common.spans import CurrentSpan
from inventory.api import get_inventory_api
from payments.api import get_payments_api
from outbox.api import messages_about, send
from shipping.api import get_shipping_api

from . import services
from .api import CHOREOGRAPHED, CUSTOMER_REQUEST, OrderNotCancellable, PricedLine, ResumeCheckout
from .conf import orders_settings
from .models import CheckoutSaga, Order, SagaStep
from .sql import saga_claim, saga_log_insert, saga_record
from .steps import (ACTIONS, CALLS_NOBODY, CHARGE, CONFIRM, PAYMENT_UNAVAILABLE, PIVOT, REACHES, RESERVATION_EXPIRED,
                    RESERVE, SHIP, STEPS, cancelled_because)

logger = logging.getLogger(__name__)
_tracer = trace.get_tracer("shop.orders")  # a span per checkout, step and compensation (docs/observability.md)

RELEASE_SECONDS = 5.0  # how long a resumer's claim, or a step's release, waits for a database that went away


class _Wait(Exception):
    """The step could not be done now; try it again later."""


class _Compensate(Exception):
    """The checkout cannot go on: undo and cancel, with this reason and code."""

    def __init__(self, reason: str, code: str):
        super().__init__(reason)
        self.reason, self.code = reason, code


def _config() -> dict:
    return orders_settings.CHECKOUT_SAGA


def _lease() -> timedelta:
    return timedelta(seconds=_config()["step_deadline"])


def checkout_place(
    *, customer_id: int, email: str, lines: Sequence[PricedLine], payment_token: str, shipping_address: str,
) -> Order:
    """Place an order and open its checkout in ONE transaction, then run it as far as its mode runs it now.

    The mode is read here, once, and stored on the order: orders in flight finish the way they started."""
    mode = orders_settings.CHECKOUT_MODE
    with CurrentSpan(_tracer, "checkout", attributes={"mode": mode}) as span:
        return _place(span, mode, customer_id=customer_id, email=email, lines=lines, payment_token=payment_token,
                      shipping_address=shipping_address)


def _place(span, mode: str, *, customer_id, email, lines, payment_token, shipping_address) -> Order:
    with atomic_for("orders"):
        # Committed with the order: a process dying right after this commit leaves a saga whose lease
        # runs out, and the sweeper resumes it. Choreographed: nobody holds it; its first step is a command.
        saga = CheckoutSaga(step=RESERVE, payment_token=payment_token, deadline=timezone.now() + _lease(),
                            waiting=mode == CHOREOGRAPHED)
        order = services.order_create(customer_id=customer_id, email=email, lines=lines,
                                      shipping_address=shipping_address, checkout=mode, saga=saga)
        span.set_attribute("order_id", str(order.id))  # the span store finds the order's trace by it
        if mode == CHOREOGRAPHED:
            send(ResumeCheckout(order_id=str(order.id)))
    # A new saga's log is what this process writes of it (_write_log appends): the answer's timeline reads none back.
    saga.written_log = seed_prefetch(saga, "log", [])
    if mode == CHOREOGRAPHED:
        return order
    return saga_run(saga=saga)


def saga_resume(*, order_id: str) -> Order:
    """Go on with a saga that waited or got stuck, if nobody else holds it now."""
    with CurrentSpan(_tracer, "checkout resume", attributes={"order_id": str(order_id)}):
        saga = _while_the_database_is_away(lambda: _claim(order_id))
        if saga is None:
            return Order.objects.get(pk=order_id)
        return saga_run(saga=saga)


def checkout_cancel(*, order: Order, reason: str, code: str = CUSTOMER_REQUEST) -> Order:
    """Cancel an order at any point of its checkout through the one compensation path (resumable).

    Raises OrderNotCancellable while someone runs its checkout, or once its shipment has left."""
    if order.status == Order.Status.CANCELLED:
        return order
    saga = _claim(str(order.pk), states=_OPEN + [CheckoutSaga.State.COMPLETED]) or _adopt(order)
    if saga is None:
        raise OrderNotCancellable("the order's checkout is running; try again in a moment", order_id=str(order.pk))
    if saga.state == CheckoutSaga.State.COMPENSATING:
        return saga_run(saga=saga)
    if saga.state == CheckoutSaga.State.COMPENSATED:
        return saga.order
    if STEPS.index(saga.step) >= STEPS.index(SHIP):
        try:  # the one undo that can be refused: asked first, so a refusal changes nothing
            get_shipping_api().cancel_shipment(order_id=str(saga.order_id))
        except (DomainError, BoundaryUnavailable) as error:
            CheckoutSaga.objects.filter(pk=saga.pk).update(deadline=timezone.now(), waiting=saga.waiting)
            if isinstance(error, DomainError):
                raise OrderNotCancellable(error.message, order_id=str(order.pk)) from error
            raise
    now = timezone.now()
    _log(saga, "cancel_requested", SagaStep.Kind.REQUEST, SagaStep.Outcome.SUCCEEDED, now, detail=reason)
    _start_compensating(saga, reason, code)
    return saga_run(saga=saga)


_OPEN = [CheckoutSaga.State.RUNNING, CheckoutSaga.State.COMPENSATING]


def checkout_reservation_expired(*, order_id: str) -> None:
    """Inventory released the order's stock when its hold ran out: a checkout before its charge is undone.

    A checkout someone runs now finds out itself (its retried charge renews the hold first, and is refused)."""
    saga = _while_the_database_is_away(lambda: _claim(order_id))
    if saga is None:
        return
    if saga.state == CheckoutSaga.State.RUNNING and STEPS.index(saga.step) <= STEPS.index(PIVOT):
        _start_compensating(saga, "the stock's hold ran out before the payment", RESERVATION_EXPIRED)
    saga_run(saga=saga)


def _adopt(order: Order) -> CheckoutSaga | None:
    """A confirmed order placed before every order had a saga: give it a completed one to compensate."""
    if order.status != Order.Status.CONFIRMED or CheckoutSaga.objects.filter(pk=order.pk).exists():
        return None  # an open one got its saga in migration 0006
    return CheckoutSaga.objects.create(order=order, step=CONFIRM, deadline=timezone.now(),
                                       state=CheckoutSaga.State.COMPLETED)


def _claim(order_id: str, states: list[str] | None = None) -> CheckoutSaga | None:
    """Take the saga if nobody runs it (it waits for a retry, or its runner's deadline passed)."""
    now = timezone.now()
    return saga_claim(order_id=order_id, states=states or _OPEN, now=now, lease=now + _lease())


def saga_run(*, saga: CheckoutSaga) -> Order:
    """Run steps (or compensations) until the saga ends or has to wait (choreographed: one step per event)."""
    try:
        while saga.state == CheckoutSaga.State.RUNNING:
            try:
                _run_step(saga)
            except _Compensate as stop:
                _start_compensating(saga, stop.reason, stop.code)
                continue
            if saga.waiting:  # choreographed: the step handed the saga on to its own ResumeCheckout
                break
        if saga.state == CheckoutSaga.State.COMPENSATING:
            _compensate(saga)
    except _Wait:
        _schedule_retry(saga)
    except (OperationalError, InterfaceError):
        _release(saga)
        raise
    # Not read again: every service that changes the order sets what it wrote on it too (orders/services.py).
    return saga.order


def _run_step(saga: CheckoutSaga) -> None:
    step = saga.step
    started = timezone.now()
    saga.attempts += 1
    try:
        with _step_span(saga):
            ACTIONS[step](saga)
    except DomainError as error:
        _log(saga, step, SagaStep.Kind.ACTION, SagaStep.Outcome.FAILED, started, error)
        if STEPS.index(step) <= STEPS.index(PIVOT):
            raise _Compensate(*cancelled_because(error)) from error
        raise _Wait from error  # past the pivot there is no way back: retry forward
    except BoundaryUnavailable as error:
        if step == RESERVE:
            _log(saga, step, SagaStep.Kind.ACTION, SagaStep.Outcome.FAILED, started, error)
            raise _Compensate(f"stock unavailable: {error}", "boundary_unavailable") from error
        if step == PIVOT and _gave_up(saga):  # the one give-up timeout, for both modes
            _log(saga, step, SagaStep.Kind.ACTION, SagaStep.Outcome.FAILED, started, error)
            raise _Compensate("payment could not be completed in time", PAYMENT_UNAVAILABLE) from error
        _log(saga, step, SagaStep.Kind.ACTION, SagaStep.Outcome.WAITING, started, error)
        if step == PIVOT:
            services.order_advance(order=saga.order, status=Order.Status.PAYMENT_PENDING)
        raise _Wait from error
    hand_on = saga.order.checkout == CHOREOGRAPHED
    done = [_entry(saga, step, SagaStep.Kind.ACTION, SagaStep.Outcome.SUCCEEDED, started)]
    following = STEPS[STEPS.index(step) + 1] if step != STEPS[-1] else None
    if not hand_on and following in CALLS_NOBODY:
        # The next step calls no other context (the confirmation): run here, it is recorded with this one, saving
        # its own record. Handed on, it stays a delivery of its own.
        saga.step, saga.attempts, started = following, 1, timezone.now()
        with _step_span(saga):
            ACTIONS[following](saga)
        done.append(_entry(saga, following, SagaStep.Kind.ACTION, SagaStep.Outcome.SUCCEEDED, started))
    _record(saga, done, hand_on=hand_on)


def _record(saga: CheckoutSaga, done: list[SagaStep], *, hand_on: bool) -> None:
    """What orders keeps of the steps done: the order's status, their log lines and the move to the next step in one
    statement (orders/sql.py), which commits alone unless the step sends a message (then one transaction)."""
    confirming = saga.step == CONFIRM
    handing_on = hand_on and saga.step != STEPS[-1]
    with atomic_for("orders") if confirming or handing_on else nullcontext():
        changed = saga_record(saga=saga, status=REACHES[saga.step], entries=done, now=timezone.now(),
                              updates=_advance(saga, hand_on=hand_on))
        if confirming and changed:
            services.order_complete(order=saga.order)
        if handing_on:
            # Committed with the step's record, so a step done is always handed on (the lease stays the safety net
            # for a step not done).
            send(ResumeCheckout(order_id=str(saga.order_id)))
    _logged(saga, done)


def _step_span(saga: CheckoutSaga) -> CurrentSpan:
    return CurrentSpan(_tracer, f"saga {saga.step}", attributes={
        "order_id": str(saga.order_id), "step": saga.step, "attempt": saga.attempts, "mode": saga.order.checkout})


def _gave_up(saga: CheckoutSaga) -> bool:
    return timezone.now() - saga.created_at >= timedelta(seconds=_config()["give_up_after"])


def _advance(saga: CheckoutSaga, *, hand_on: bool) -> dict:
    """The saga's move to the next step, written with the step's record; `hand_on`: choreographed, it waits for the
    ResumeCheckout that the record sends (orders follows no other context's event to go on, so an orchestrated order
    costs no delivery to orders)."""
    index = STEPS.index(saga.step)
    updates = {"attempts": 0, "deadline": timezone.now() + _lease()}
    if saga.step == CHARGE:
        updates["payment_token"] = ""  # used: the token is kept only until the charge is made
    if index + 1 < len(STEPS):
        updates["step"] = STEPS[index + 1]
        if hand_on:
            updates["waiting"] = True
    else:
        # Done: nobody holds it any more, so a customer cancel may claim it at once.
        # `step` too: the saga may have reached its last step in this same record (_run_step).
        updates.update(state=CheckoutSaga.State.COMPLETED, step=saga.step, payment_token="", deadline=timezone.now())
        _ended(saga, CheckoutSaga.State.COMPLETED)
    return updates


def _schedule_retry(saga: CheckoutSaga) -> None:
    config = _config()
    countdown = min(config["backoff_max"], config["backoff_initial"] * 2 ** max(0, saga.attempts - 1))
    # No message is sent here: the deadline is when the retry is due, and orders.resume_stuck_sagas
    # (beat) sends the ResumeCheckout command through the outbox then, so no retry is lost with a process.
    CheckoutSaga.objects.filter(pk=saga.pk).update(
        attempts=saga.attempts, waiting=True, deadline=timezone.now() + timedelta(seconds=countdown)
    )


def _release(saga: CheckoutSaga) -> None:
    """The database went away mid-step: put the saga up for a retry as soon as it answers again, rather than hold
    it for the rest of its lease (a restart of a few seconds would otherwise stall it for `step_deadline`).

    Bounded by RELEASE_SECONDS; past that, or inside a caller's transaction (broken too), the lease frees it."""
    connection = connections[alias_for("orders")]
    if connection.in_atomic_block:
        return
    connection.close_if_unusable_or_obsolete()  # the step's error left it broken: the next query gets a new one
    try:
        _while_the_database_is_away(lambda: _schedule_retry(saga))
    except (OperationalError, InterfaceError) as error:
        logger.warning("checkout %s: the database is still away (%s); the step's lease will free it",
                       saga.order_id, error)


def _while_the_database_is_away(action):
    """action(), tried again every 0.5 s for up to RELEASE_SECONDS while orders' database is away; then it raises.

    For the saga's resumers (their delivery is recorded before they run: given up, the saga waits for its lease and
    the sweeper) and its release. Inside a caller's transaction (broken too) it raises at once."""
    connection = connections[alias_for("orders")]
    give_up_at = time.monotonic() + RELEASE_SECONDS
    while True:
        try:
            return action()
        except (OperationalError, InterfaceError):
            if connection.in_atomic_block or time.monotonic() >= give_up_at:
                raise
            time.sleep(0.5)
            connection.close_if_unusable_or_obsolete()  # a lost connection is replaced by a new one on the next query


# --- compensation: the one path for every cancellation -----------------------------------------

def _start_compensating(saga: CheckoutSaga, reason: str, code: str) -> None:
    CheckoutSaga.objects.filter(pk=saga.pk).update(
        state=CheckoutSaga.State.COMPENSATING, cancel_reason=reason[:200], cancel_code=code, attempts=0
    )
    saga.state, saga.cancel_reason, saga.cancel_code, saga.attempts = (
        CheckoutSaga.State.COMPENSATING, reason[:200], code, 0)


def _compensate(saga: CheckoutSaga) -> None:
    """Undo in reverse order whatever the steps up to the current one may have done, then cancel."""
    reached = STEPS.index(saga.step)
    order_id = str(saga.order_id)
    undo = []
    if reached >= STEPS.index(SHIP):
        undo.append(("cancel_shipment", lambda: get_shipping_api().cancel_shipment(order_id=order_id)))
    if reached >= STEPS.index(CHARGE):
        # Void or refund: a charge that timed out may still have happened, and a late one is refused.
        undo.append(("void_or_refund_payment", lambda: get_payments_api().refund(order_id=order_id)))
    undo.append(("release_stock", lambda: get_inventory_api().release_items(order_id=order_id)))
    saga.attempts += 1
    done = set(saga.log.filter(kind=SagaStep.Kind.COMPENSATION, outcome=SagaStep.Outcome.SUCCEEDED)
               .values_list("name", flat=True))
    for name, action in undo:
        if name in done:
            continue  # a resumed compensation does not undo twice (each undo is idempotent anyway)
        started = timezone.now()
        try:
            with CurrentSpan(_tracer, f"saga compensate {name}", attributes={
                    "order_id": order_id, "step": name, "attempt": saga.attempts}):
                action()
        except (BoundaryUnavailable, DomainError) as error:
            _log(saga, name, SagaStep.Kind.COMPENSATION, SagaStep.Outcome.WAITING, started, error)
            raise _Wait from error
        _log(saga, name, SagaStep.Kind.COMPENSATION, SagaStep.Outcome.SUCCEEDED, started)
    with atomic_for("orders"):
        services.order_mark_cancelled(order=saga.order, reason=saga.cancel_reason, code=saga.cancel_code)
        CheckoutSaga.objects.filter(pk=saga.pk).update(state=CheckoutSaga.State.COMPENSATED, payment_token="")
    saga.state = CheckoutSaga.State.COMPENSATED
    _ended(saga, CheckoutSaga.State.COMPENSATED)


def _log(saga, name, kind, outcome, started, error: Exception | None = None, detail: str = "") -> None:
    _write_log(saga, [_entry(saga, name, kind, outcome, started, error, detail)])


def _entry(saga, name, kind, outcome, started, error: Exception | None = None, detail: str = "") -> SagaStep:
    return SagaStep(
        saga=saga, name=name, kind=kind, outcome=outcome, attempt=saga.attempts, started_at=started,
        finished_at=timezone.now(), error=f"{type(error).__name__}: {error}" if error else detail,
    )


def _write_log(saga, entries: list[SagaStep]) -> None:
    """Store log lines (one INSERT however many) and tell the observer of each."""
    saga_log_insert(entries=entries)
    _logged(saga, entries)


def _logged(saga, entries: list[SagaStep]) -> None:
    """Log lines stored: keep them as the saga's log (the answer's timeline) and tell the observer of each."""
    if hasattr(saga, "written_log"):
        saga.written_log.extend(entries)
    for step in entries:
        observer().saga_step(mode=saga.order.checkout, step=step.name, kind=step.kind, outcome=step.outcome,
                             seconds=(step.finished_at - step.started_at).total_seconds())


def _ended(saga: CheckoutSaga, outcome: str) -> None:
    observer().saga_ended(mode=saga.order.checkout, outcome=outcome,
                          seconds=(timezone.now() - saga.created_at).total_seconds())


def sagas_stuck(*, limit: int = 100) -> list[str]:
    """Order ids of sagas whose step deadline (or retry time, when waiting) has passed."""
    return [str(pk) for pk in CheckoutSaga.objects.filter(
        state__in=_OPEN, deadline__lte=timezone.now(),
    ).order_by("deadline").values_list("pk", flat=True)[:limit]]


def sagas_resume_stuck(*, limit: int = 100) -> int:
    """Send ResumeCheckout (through the outbox) for each stuck saga, and hand it to that command."""
    sent = 0
    for order_id in sagas_stuck(limit=limit):
        with atomic_for("orders"):
            # Marked waiting with a fresh lease in the command's transaction: the next sweep does not send it
            # again, and the command's handler may claim it.
            if CheckoutSaga.objects.filter(pk=order_id, deadline__lte=timezone.now(), state__in=_OPEN).update(
                    waiting=True, deadline=timezone.now() + _lease()):
                send(ResumeCheckout(order_id=order_id), headers=_trace_of(order_id))
                sent += 1
    return sent


def _trace_of(order_id: str) -> dict:
    """The trace context of the order's first message: a retry sent by the sweeper stays in the checkout's trace."""
    first = next(iter(messages_about(context="orders", aggregate_type="order", aggregate_id=order_id)), None)
    return {"traceparent": first.traceparent} if first is not None and first.traceparent else {}
