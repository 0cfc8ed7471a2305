"""The orchestrated checkout: a persisted saga that drives each step and undoes what a failure leaves.

Steps: reserve stock -> charge payment (the pivot) -> schedule shipment -> send confirmation.
A failure before the pivot compensates in reverse (void or refund what may have been charged,
release the stock) and cancels the order with the reason. A charge that cannot be made now (payments
slow or its breaker open) leaves the order payment pending and is retried later. After the pivot,
steps are retried forward until they succeed; they are never compensated.

Each step and compensation is idempotent, keyed by the order, so a saga resumed after its process
died (or run twice at once) never reserves, charges or releases twice. `deadline` is the step's
lease: whoever claims the saga owns it until then; a saga whose deadline has passed is stuck and
`orders.resume_stuck_sagas` (Celery beat) resumes it.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from common.errors import BoundaryUnavailable, DomainError
from common.money import Money
from inventory.api import StockLine, get_inventory_api
from payments.api import PaymentDeclined, get_payments_api
from shipping.api import get_shipping_api

from . import services
from .models import CheckoutSaga, Order, SagaStep

logger = logging.getLogger(__name__)

RESERVE, CHARGE, SHIP, CONFIRM = "reserve_stock", "charge_payment", "schedule_shipment", "send_confirmation"
STEPS = (RESERVE, CHARGE, SHIP, CONFIRM)
PIVOT = CHARGE
PAYMENT_UNAVAILABLE = "payment_unavailable"


class _Wait(Exception):
    """The step could not be done now; try it again later."""


class _Compensate(Exception):
    """The checkout cannot go on: undo and cancel, with this reason and code."""

    def __init__(self, reason: str, code: str):
        super().__init__(reason)
        self.reason, self.code = reason, code


def _config() -> dict:
    return settings.CHECKOUT_SAGA


def _lease() -> timedelta:
    return timedelta(seconds=_config()["step_deadline"])


def saga_begin(*, order: Order, payment_token: str) -> Order:
    """Start the checkout of a new order and run it as far as it can go now."""
    saga = CheckoutSaga.objects.create(
        order=order, step=RESERVE, payment_token=payment_token, deadline=timezone.now() + _lease()
    )
    return saga_run(saga=saga)


def saga_resume(*, order_id: str) -> Order:
    """Go on with a saga that waited or got stuck, if nobody else holds it now."""
    saga = _claim(order_id)
    if saga is None:
        return Order.objects.get(pk=order_id)
    return saga_run(saga=saga)


def saga_cancel(*, order_id: str, reason: str, code: str) -> bool:
    """Turn a running saga (before its pivot completed) into compensation; False when it cannot be now."""
    saga = _claim(order_id)
    if saga is None or saga.state != CheckoutSaga.State.RUNNING or STEPS.index(saga.step) > STEPS.index(PIVOT):
        return False
    _start_compensating(saga, reason, code)
    saga_run(saga=saga)
    return True


def _claim(order_id: str) -> CheckoutSaga | None:
    """Take the saga if nobody runs it (it waits for a retry, or its runner's deadline passed)."""
    now = timezone.now()
    claimed = CheckoutSaga.objects.filter(
        Q(waiting=True) | Q(deadline__lte=now), pk=order_id,
        state__in=[CheckoutSaga.State.RUNNING, CheckoutSaga.State.COMPENSATING],
    ).update(deadline=now + _lease(), waiting=False)
    return CheckoutSaga.objects.select_related("order").get(pk=order_id) if claimed else None


def saga_run(*, saga: CheckoutSaga) -> Order:
    """Run steps (or compensations) until the saga ends or has to wait."""
    try:
        while saga.state == CheckoutSaga.State.RUNNING:
            try:
                _run_step(saga)
            except _Compensate as stop:
                _start_compensating(saga, stop.reason, stop.code)
        if saga.state == CheckoutSaga.State.COMPENSATING:
            _compensate(saga)
    except _Wait:
        _schedule_retry(saga)
    saga.order.refresh_from_db()
    return saga.order


def _run_step(saga: CheckoutSaga) -> None:
    step = saga.step
    started = timezone.now()
    saga.attempts += 1
    try:
        ACTIONS[step](saga)
    except DomainError as error:
        _log(saga, step, SagaStep.Kind.ACTION, SagaStep.Outcome.FAILED, started, error)
        if STEPS.index(step) <= STEPS.index(PIVOT):
            raise _Compensate(_reason(error), error.code) from error
        raise _Wait from error  # past the pivot there is no way back: retry forward
    except BoundaryUnavailable as error:
        if step == RESERVE:
            _log(saga, step, SagaStep.Kind.ACTION, SagaStep.Outcome.FAILED, started, error)
            raise _Compensate(f"stock unavailable: {error}", "boundary_unavailable") from error
        if step == PIVOT and _charge_window_passed(saga):
            _log(saga, step, SagaStep.Kind.ACTION, SagaStep.Outcome.FAILED, started, error)
            raise _Compensate("payment could not be completed in time", PAYMENT_UNAVAILABLE) from error
        _log(saga, step, SagaStep.Kind.ACTION, SagaStep.Outcome.WAITING, started, error)
        if step == PIVOT:
            services.order_advance(order=saga.order, status=Order.Status.PAYMENT_PENDING)
        raise _Wait from error
    _log(saga, step, SagaStep.Kind.ACTION, SagaStep.Outcome.SUCCEEDED, started)
    _advance(saga)


def _charge_window_passed(saga: CheckoutSaga) -> bool:
    return timezone.now() - saga.created_at >= timedelta(seconds=_config()["charge_window"])


def _advance(saga: CheckoutSaga) -> None:
    index = STEPS.index(saga.step)
    updates = {"attempts": 0, "deadline": timezone.now() + _lease()}
    if index + 1 < len(STEPS):
        updates["step"] = STEPS[index + 1]
    else:
        updates.update(state=CheckoutSaga.State.COMPLETED, payment_token="")
    CheckoutSaga.objects.filter(pk=saga.pk).update(**updates)
    for name, value in updates.items():
        setattr(saga, name, value)


def _schedule_retry(saga: CheckoutSaga) -> None:
    config = _config()
    # Capped well below the broker's visibility timeout, so a countdown is never delivered twice.
    countdown = min(config["backoff_max"], config["backoff_initial"] * 2 ** max(0, saga.attempts - 1))
    CheckoutSaga.objects.filter(pk=saga.pk).update(
        attempts=saga.attempts, waiting=True, deadline=timezone.now() + timedelta(seconds=countdown)
    )
    signature = current_app.signature(
        "orders.resume_saga", kwargs={"order_id": str(saga.pk)}, countdown=countdown
    )
    transaction.on_commit(signature.apply_async, robust=True)


# --- the steps ---------------------------------------------------------------------------------

def _reserve(saga: CheckoutSaga) -> None:
    order = saga.order
    get_inventory_api().reserve_items(
        order_id=str(order.id), lines=[StockLine(line.sku, line.quantity) for line in order.lines.all()]
    )
    services.order_advance(order=order, status=Order.Status.RESERVED)


def _charge(saga: CheckoutSaga) -> None:
    order = saga.order
    get_payments_api().charge(
        order_id=str(order.id), amount=Money(order.total_amount, order.currency), payment_token=saga.payment_token
    )
    services.order_advance(order=order, status=Order.Status.PAID)


def _ship(saga: CheckoutSaga) -> None:
    get_shipping_api().schedule_shipment(order_id=str(saga.order_id), address=saga.order.shipping_address)


def _confirm(saga: CheckoutSaga) -> None:
    services.order_complete(order=saga.order)


ACTIONS = {RESERVE: _reserve, CHARGE: _charge, SHIP: _ship, CONFIRM: _confirm}


# --- compensation ------------------------------------------------------------------------------

def _start_compensating(saga: CheckoutSaga, reason: str, code: str) -> None:
    CheckoutSaga.objects.filter(pk=saga.pk).update(
        state=CheckoutSaga.State.COMPENSATING, cancel_reason=reason[:200], cancel_code=code, attempts=0
    )
    saga.state, saga.cancel_reason, saga.cancel_code, saga.attempts = (
        CheckoutSaga.State.COMPENSATING, reason[:200], code, 0)


def _compensate(saga: CheckoutSaga) -> None:
    """Undo in reverse order whatever the steps up to the current one may have done, then cancel."""
    reached = STEPS.index(saga.step)
    undo = []
    if reached >= STEPS.index(CHARGE):
        # Void or refund: a charge that timed out may still have happened, and a late one is refused.
        undo.append(("void_or_refund_payment", lambda: get_payments_api().refund(order_id=str(saga.order_id))))
    undo.append(("release_stock", lambda: get_inventory_api().release_items(order_id=str(saga.order_id))))
    saga.attempts += 1
    for name, action in undo:
        started = timezone.now()
        try:
            action()
        except (BoundaryUnavailable, DomainError) as error:
            _log(saga, name, SagaStep.Kind.COMPENSATION, SagaStep.Outcome.WAITING, started, error)
            raise _Wait from error
        _log(saga, name, SagaStep.Kind.COMPENSATION, SagaStep.Outcome.SUCCEEDED, started)
    with transaction.atomic():
        services.order_mark_cancelled(order=saga.order, reason=saga.cancel_reason, code=saga.cancel_code)
        CheckoutSaga.objects.filter(pk=saga.pk).update(state=CheckoutSaga.State.COMPENSATED, payment_token="")
    saga.state = CheckoutSaga.State.COMPENSATED


def _log(saga, name, kind, outcome, started, error: Exception | None = None) -> None:
    SagaStep.objects.create(
        saga=saga, name=name, kind=kind, outcome=outcome, attempt=saga.attempts, started_at=started,
        finished_at=timezone.now(), error=f"{type(error).__name__}: {error}" if error else "",
    )


def _reason(error: DomainError) -> str:
    if isinstance(error, PaymentDeclined):
        return f"payment declined: {error.details.get('reason', error.message)}"
    return error.message


def sagas_stuck(*, limit: int = 100) -> list[str]:
    """Order ids of sagas whose step deadline (or retry time, when waiting) has passed."""
    return [str(pk) for pk in CheckoutSaga.objects.filter(
        state__in=[CheckoutSaga.State.RUNNING, CheckoutSaga.State.COMPENSATING], deadline__lte=timezone.now(),
    ).order_by("deadline").values_list("pk", flat=True)[:limit]]
