"""Scenario 2 of the seed: payments crashes after items are reserved and before the charge. How do we recover?

For each checkout mode, payments (its REST server and, for choreography, its handler worker) is
killed with SIGKILL, orders are placed (their stock gets reserved; the charge cannot happen), and
payments is restarted after a short outage and again after a long one (longer than the checkout gives
payments: CHECKOUT_SAGA_CHARGE_WINDOW for the saga, CHOREOGRAPHY_TIMEOUT for choreography). The
table says what happened to every order: completed or compensated, charged or not, stock held for
shipment or returned, and how long it took to settle. While it waits, this process does beat's job
(resume stuck sagas, expire stalled choreographed checkouts) every second.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import urllib3
from celery import current_app

from .load import CHECKOUT
from .common import SKUS, SETTLED, order_statuses, prepare
from .processes import Shop, default_queue

GIVE_UP_SECONDS = 8.0
OUTAGES = {"short": 1.0, "long": 12.0}  # seconds payments stays down, against the 8 s the checkout waits
ENV = {
    # Both modes give payments 8 s from the order's placement; the saga retries every 0.25-1 s, and a
    # breaker opened by the outage lets a trial call through after 2 s.
    "CHECKOUT_SAGA_CHARGE_WINDOW": str(GIVE_UP_SECONDS), "CHOREOGRAPHY_TIMEOUT": str(GIVE_UP_SECONDS),
    "CHECKOUT_SAGA_BACKOFF_INITIAL": "0.25", "CHECKOUT_SAGA_BACKOFF_MAX": "1", "CHECKOUT_SAGA_STEP_DEADLINE": "5",
    "BREAKER_WAIT_SECONDS": "2",
}


@dataclass
class OrderOutcome:
    """What became of one order."""

    mode: str
    outage: str
    order_id: str
    status: str
    cancel_code: str
    payments: list[str]
    reservation: str
    settle_seconds: float


def _place(url: str, token: str, sku: str) -> str:
    response = urllib3.request("POST", url + "/api/orders/", body=f'{{"lines": [{{"sku": "{sku}", "quantity": 2}}], {CHECKOUT}}}',
                               headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
                               timeout=30, retries=False)
    body = response.json()
    return body["order"]["order_id"] if "order" in body else body["order_id"]


def _reserved(order_ids: list[str]) -> bool:
    from inventory.models import Reservation

    return Reservation.objects.filter(order_id__in=order_ids, status="active").count() == len(order_ids)


def _act_as_beat() -> None:
    # Sent to the shop's worker, as beat would, so they run with the worker's settings.
    for task in ("orders.resume_stuck_sagas", "orders.expire_stalled_checkouts"):
        current_app.send_task(task, queue=default_queue())


def run(*, orders: int = 6, modes=("orchestrated", "choreographed"), log_dir: Path, settle_timeout: float = 90.0,
        say=print) -> list[OrderOutcome]:
    """Run the scenario; returns one outcome per order placed."""
    from inventory.models import Reservation
    from payments.models import Payment

    tokens = prepare(customers=2)
    outcomes = []
    for mode in modes:
        say(f"--- {mode}: starting web, payments, worker and relay")
        with Shop(log_dir=log_dir / mode, env={**ENV, "CHECKOUT_MODE": mode},
                  payments_worker=mode == "choreographed") as shop:
            for outage, seconds in OUTAGES.items():
                say(f"--- {mode}: payments killed (SIGKILL); placing {orders} orders")
                shop.stop_payments(crash=True)
                placed = {}
                for n in range(orders):
                    placed[_place(shop.url, tokens[n % len(tokens)], SKUS[n % len(SKUS)])] = time.monotonic()
                ids = list(placed)
                deadline = time.monotonic() + 30
                while not _reserved(ids) and time.monotonic() < deadline:
                    time.sleep(0.1)
                say(f"--- {mode}: stock reserved for every order; payments stays down {seconds:g} s ({outage})")
                down_until = time.monotonic() + seconds
                settled_at: dict[str, float] = {}
                deadline = time.monotonic() + seconds + settle_timeout
                while len(settled_at) < len(ids) and time.monotonic() < deadline:
                    if down_until and time.monotonic() >= down_until:
                        shop.start_payments()
                        say(f"--- {mode}: payments restarted")
                        down_until = 0
                    for order_id, status in order_statuses(ids).items():
                        if status in SETTLED and order_id not in settled_at:
                            settled_at[order_id] = time.monotonic()
                    _act_as_beat()
                    time.sleep(0.5)
                if down_until:
                    shop.start_payments()
                time.sleep(3)  # let the undo of cancelled orders (events) land before reading the books
                from orders.api import get_orders_api

                for order_id in ids:
                    order = get_orders_api().get_order(order_id=order_id)
                    reservation = Reservation.objects.filter(order_id=order_id).first()
                    outcomes.append(OrderOutcome(
                        mode=mode, outage=outage, order_id=order_id, status=order.status,
                        cancel_code=order.cancel_code,
                        payments=sorted(Payment.objects.filter(order_id=order_id).values_list("status", flat=True)),
                        reservation=reservation.status if reservation else "none",
                        settle_seconds=settled_at.get(order_id, float("nan")) - placed[order_id],
                    ))
    return outcomes


def table(outcomes: list[OrderOutcome]) -> str:
    """One line per order."""
    stock = {"active": "held for its shipment", "released": "returned", "committed": "sold", "none": "never held"}
    lines = [f"{'mode':<14} {'outage':<6} {'order':<9} {'outcome':<26} {'payment':<20} {'stock':<22} settled after"]
    for o in outcomes:
        outcome = "completed" if o.status == "confirmed" else (
            f"compensated ({o.cancel_code})" if o.status == "cancelled" else f"STILL {o.status}")
        lines.append(f"{o.mode:<14} {o.outage:<6} {o.order_id[:8]:<9} {outcome:<26} "
                     f"{'+'.join(o.payments) or 'none':<20} {stock[o.reservation]:<22} {o.settle_seconds:5.1f} s")
    return "\n".join(lines)
