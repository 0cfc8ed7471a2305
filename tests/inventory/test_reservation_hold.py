"""Reservations do not leak: one not sold within the hold time is released and its owner told; a running checkout
renews its hold, and a paid order's is kept until it ships (asked by the charge's step)."""
from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.models import Reservation
from inventory.tasks import release_expired_reservations
from orders.models import CheckoutSaga, Order
from outbox.models import OutboxEvent
from payments.models import Payment
from tests.conftest import priced, stock_of
from tests.helpers import place
from tests.orders.due import deliver, resume_due

pytestmark = [pytest.mark.django_db, pytest.mark.in_process_only]
ABORT = {"abort": {"percentage": 100, "http_status": 503}}


@pytest.fixture
def payments_down(settings):
    base = settings.RESILIENCE

    def set_down(down=True):
        boundaries = {**base["boundaries"]}
        if down:
            boundaries["payments"] = {**boundaries.get("payments", {}), "fault": ABORT, "operations": {}}
        settings.RESILIENCE = {**base, "boundaries": boundaries}

    return set_down


def age_holds(seconds=1):
    Reservation.objects.update(held_until=timezone.now() - timedelta(seconds=seconds))


def test_a_reservation_not_sold_in_time_is_released_and_its_checkout_undone(settings, catalog, payments_down):
    settings.RESERVATION_HOLD_SECONDS = 30
    payments_down()
    order = place(priced("MUG", 2))
    assert Order.objects.get(pk=order.order_id).status == "payment_pending"
    held = Reservation.objects.get(order_id=order.order_id).held_until
    assert timedelta(seconds=25) < held - timezone.now() <= timedelta(seconds=30)
    assert release_expired_reservations.apply().get() == 0  # not yet
    age_holds()
    assert release_expired_reservations.apply().get() == 1
    assert stock_of("MUG") == (10, 0, 0)
    assert OutboxEvent.objects.filter(name="inventory.ReservationExpired", aggregate_id=order.order_id).exists()
    payments_down(False)
    deliver()  # orders hears it: the checkout, not yet paid, is undone
    order = Order.objects.get(pk=order.order_id)
    assert (order.status, order.cancel_code) == ("cancelled", "reservation_expired")
    assert list(Payment.objects.filter(order_id=order.pk).values_list("status", flat=True)) == ["voided"]
    assert stock_of("MUG") == (10, 0, 0)


def test_a_running_checkout_renews_its_hold_when_it_retries(settings, catalog, payments_down):
    settings.RESERVATION_HOLD_SECONDS = 30
    payments_down()
    order = place(priced("MUG", 2))
    age_holds(-5)  # 5 s left
    resume_due(order.order_id)  # the charge is retried (payments still down): the hold is renewed first
    assert Reservation.objects.get(order_id=order.order_id).held_until - timezone.now() > timedelta(seconds=25)
    assert release_expired_reservations.apply().get() == 0


def test_a_paid_orders_reservation_is_held_until_it_ships(settings, catalog):
    settings.RESERVATION_HOLD_SECONDS = 30
    order = place(priced("MUG", 2))  # the charge's step asked inventory to keep the stock: no event needed
    assert Reservation.objects.get(order_id=order.order_id).held_until is None
    Reservation.objects.update(updated_at=timezone.now() - timedelta(days=1))
    assert release_expired_reservations.apply().get() == 0
    assert stock_of("MUG") == (8, 2, 0)
    assert CheckoutSaga.objects.get(pk=order.order_id).state == "completed"
