"""One end-to-end suite, run with CHECKOUT_MODE orchestrated and choreographed, with the checkout's calls to
inventory, payments and shipping in-process, over REST and over gRPC: the same outcomes for the same inputs."""
import uuid
from functools import partial

import pytest
from django.core import mail
from django.utils import timezone

from common.db import aliases
from inventory.models import Reservation
from orders.api import get_orders_api
from orders.models import Order
from payments.models import Payment
from shipping.models import Shipment
from tests import helpers
from tests.conftest import order_body, priced, stock_of
from tests.e2e.settle import settle
from tests.servers import remote_boundaries

# Transactional: the serving processes of the REST and gRPC runs see committed data only.
pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]
ABORT = {"abort": {"percentage": 100, "http_status": 503}}


@pytest.fixture(params=["local", "rest", "grpc"], autouse=True)
def wire(request, settings):
    """How the checkout (run here, in either mode) reaches inventory, payments and shipping."""
    if request.param != "local":
        servers = request.getfixturevalue("context_servers")
        served = {context: servers[context] for context in ("inventory", "payments", "shipping")}
        settings.BOUNDARIES = {**settings.BOUNDARIES, **remote_boundaries(served, request.param)}
    return request.param


@pytest.fixture(params=["orchestrated", "choreographed"])
def mode(request, settings):
    settings.CHECKOUT_MODE = request.param
    return request.param


@pytest.fixture
def outage(settings):
    """Take contexts down (and back up): a boundary fault for the saga, held deliveries for choreography."""
    base = settings.RESILIENCE
    state = {"down": frozenset()}

    def set_down(*contexts):
        from common.resilience.breaker import all_breakers

        for breaker in all_breakers():  # a context back up is answered at once, not after the open wait
            if breaker.name not in contexts:
                breaker.reset()
        state["down"] = frozenset(contexts)
        boundaries = {**base["boundaries"]}
        for context in contexts:
            boundaries[context] = {**boundaries.get(context, {}), "fault": ABORT, "operations": {}}
        settings.RESILIENCE = {**base, "boundaries": boundaries}

    set_down.state = state
    return set_down


place = partial(helpers.place, customer_id=7, email="e2e@example.com", shipping_address="2 Lane")


def final(order_id):
    order = Order.objects.get(pk=order_id)
    return order.status, order.cancel_code


def charges(order_id):
    return sorted(Payment.objects.filter(order_id=order_id).values_list("status", flat=True))


def test_happy_path(mode, catalog):
    order = place(priced("MUG", 2))
    # The saga answers with the outcome; choreography answers at once, and the events do the rest.
    assert order.status == ("confirmed" if mode == "orchestrated" else "pending")
    assert Order.objects.get(pk=order.order_id).checkout == mode
    settle()
    assert final(order.order_id) == ("confirmed", "")
    assert stock_of("MUG") == (8, 2, 0)
    assert charges(order.order_id) == ["charged"]
    assert Shipment.objects.get(order_id=order.order_id).status == "scheduled"
    assert [m.to for m in mail.outbox if m.subject.startswith("Your order")] == [["e2e@example.com"]]


def test_out_of_stock(mode, catalog):
    order = place(priced("LAST", 2))
    settle()
    assert final(order.order_id) == ("cancelled", "out_of_stock")
    assert stock_of("LAST") == (1, 0, 0)
    assert "charged" not in charges(order.order_id)
    assert not Shipment.objects.filter(order_id=order.order_id, status="scheduled").exists()


def test_declined_card(mode, catalog):
    order = place(priced("TEE", 2), token="tok_declined")
    settle()
    assert final(order.order_id) == ("cancelled", "payment_declined")
    assert stock_of("TEE") == (5, 0, 0)
    assert "charged" not in charges(order.order_id)
    assert Reservation.objects.get(order_id=order.order_id).status == "released"


def test_payments_down_then_back(mode, catalog, outage):
    outage("payments")
    order = place(priced("MUG", 1))
    settle(down=outage.state["down"], rounds=3)
    assert Order.objects.get(pk=order.order_id).status == "payment_pending"
    assert stock_of("MUG") == (9, 1, 0)  # held while payments is away
    assert charges(order.order_id) == []

    outage()  # payments is back
    settle()
    assert final(order.order_id) == ("confirmed", "")
    assert charges(order.order_id) == ["charged"]


def test_shipping_failing_after_payment_is_retried_forward(mode, catalog, outage):
    outage("shipping")
    order = place(priced("TEE", 1))
    settle(down=outage.state["down"], rounds=3)
    assert Order.objects.get(pk=order.order_id).status == "paid"
    assert charges(order.order_id) == ["charged"]

    outage()
    settle()
    assert final(order.order_id) == ("confirmed", "")
    assert charges(order.order_id) == ["charged"]  # never refunded: past the pivot it only goes forward
    assert Shipment.objects.get(order_id=order.order_id).status == "scheduled"


def test_customer_cancel_before_completion(mode, catalog, outage):
    outage("shipping")
    order = place(priced("MUG", 3))
    settle(down=outage.state["down"], rounds=3)
    outage()
    get_orders_api().cancel_order(order_id=order.order_id, reason="changed my mind")
    settle()
    assert final(order.order_id) == ("cancelled", "customer_request")
    assert stock_of("MUG") == (10, 0, 0)
    assert charges(order.order_id) == ["refunded"]
    assert not Shipment.objects.filter(order_id=order.order_id, status="scheduled").exists()


def test_every_message_delivered_again_changes_nothing(mode, catalog):
    from outbox.models import Delivery

    order = place(priced("MUG", 2))
    settle()
    before = (final(order.order_id), stock_of("MUG"), charges(order.order_id), len(mail.outbox))
    # As if the broker redelivered everything: each handler runs again, and its inbox record stops it.
    assert sum(Delivery.objects.using(alias).filter(status="done").update(status="pending") for alias in aliases()) > 0
    settle()
    assert (final(order.order_id), stock_of("MUG"), charges(order.order_id), len(mail.outbox)) == before


def test_resume_commands_arriving_twice_or_early_change_nothing(mode, catalog):
    """ResumeCheckout handled again (or before its turn, as the sweeper may send it) runs no step twice."""
    from orders import handlers
    from outbox.api import Envelope

    order = place(priced("MUG", 1))
    for _ in range(3):
        handlers.resume_checkout(Envelope(
            event_id=uuid.uuid4(), name="orders.ResumeCheckout", version=1, aggregate_type="order",
            aggregate_id=order.order_id, occurred_at=timezone.now(), payload={"order_id": order.order_id}, headers={}))
    settle()
    assert final(order.order_id) == ("confirmed", "")
    assert charges(order.order_id) == ["charged"]
    assert Shipment.objects.filter(order_id=order.order_id).count() == 1
    assert stock_of("MUG") == (9, 1, 0)
    assert len(mail.outbox) == 1


def test_the_timeline_is_the_same_in_both_modes_and_kept_by_orders(mode, catalog):
    from outbox.models import OutboxEvent

    order = place(priced("MUG", 1))
    settle()
    for alias in aliases():  # retention pruned every message: orders keeps its own timeline
        OutboxEvent.objects.using(alias).all().delete()
    timeline = get_orders_api().get_order(order_id=order.order_id).timeline
    assert [entry.name for entry in timeline] == ["reserve_stock", "charge_payment", "schedule_shipment",
                                                  "send_confirmation"]
    assert [e.at for e in timeline] == sorted(e.at for e in timeline)


def test_storefront_answers_202_for_a_choreographed_order_and_shows_its_progress(settings, catalog, customer):
    from tests.conftest import client_for

    settings.CHECKOUT_MODE = "choreographed"
    client = client_for(customer)
    response = client.post("/api/orders/", order_body(("MUG", 1)), format="json")
    assert (response.status_code, response.json()["status"]) == (202, "pending")
    settle()
    assert client.get(f"/api/orders/{response.json()['order_id']}/").json()["status"] == "confirmed"


def test_payments_away_past_the_one_give_up_timeout_undoes_the_checkout(mode, settings, catalog, outage):
    from datetime import timedelta

    from orders.models import CheckoutSaga

    settings.CHECKOUT_SAGA = {**settings.CHECKOUT_SAGA, "give_up_after": 60}
    outage("payments")
    order = place(priced("TEE", 2))
    settle(down=outage.state["down"], rounds=3)
    assert Order.objects.get(pk=order.order_id).status == "payment_pending"
    CheckoutSaga.objects.filter(pk=order.order_id).update(created_at=timezone.now() - timedelta(seconds=61))
    settle(down=outage.state["down"], rounds=3)
    # Given up: undoing starts with voiding the payment, which waits for payments like the charge did.
    assert CheckoutSaga.objects.get(pk=order.order_id).state == "compensating"
    outage()
    settle()
    assert final(order.order_id) == ("cancelled", "payment_unavailable")
    assert stock_of("TEE") == (5, 0, 0)
    assert charges(order.order_id) == ["voided"]  # and a late charge is refused


def test_switching_the_mode_lets_orders_in_flight_finish_the_way_they_started(settings, catalog, outage):
    outage("payments")
    settings.CHECKOUT_MODE = "orchestrated"
    first = place(priced("MUG", 1))
    settings.CHECKOUT_MODE = "choreographed"
    second = place(priced("MUG", 1))
    settle(down=outage.state["down"], rounds=3)
    settings.CHECKOUT_MODE = "orchestrated"
    outage()
    settle()
    assert [Order.objects.get(pk=o.order_id).checkout for o in (first, second)] == ["orchestrated", "choreographed"]
    assert final(first.order_id) == final(second.order_id) == ("confirmed", "")


def test_no_delivery_fails_and_no_other_context_hears_of_the_mode(mode, catalog):
    from outbox.models import Delivery, OutboxEvent

    order = place(priced("MUG", 2))
    settle()
    to_orders = []
    for alias in aliases():  # each context's messages, and the deliveries to it, are in its database
        ids = OutboxEvent.objects.using(alias).filter(aggregate_id=order.order_id).values_list("id", flat=True)
        deliveries = Delivery.objects.using(alias).filter(event_id__in=ids)
        assert deliveries.count() == deliveries.filter(status="done", attempts=1).count()
        to_orders += deliveries.filter(subscriber__startswith="orders.").values_list("subscriber", flat=True)
        for payload in OutboxEvent.objects.using(alias).filter(aggregate_id=order.order_id).values_list("payload",
                                                                                                      flat=True):
            text = str(payload)
            assert "tok_" not in text and "2 Lane" not in text and mode not in text
    # No work thrown away: orders follows no other context's event, so an orchestrated order costs it no
    # delivery; a choreographed one, one ResumeCheckout per step.
    assert sorted(to_orders) == ([] if mode == "orchestrated" else ["orders.resume_checkout"] * 4)


def test_a_charge_made_after_the_stocks_hold_ran_out_is_refunded_and_the_order_cancelled(mode, catalog, outage):
    """The hold gap: inventory released the stock (its hold ran out) before the charge, and the charge's step
    ran before orders heard ReservationExpired. Paid, the step asks inventory to keep the stock, is refused,
    and the one compensation refunds: never a paid order whose stock went back on the shelf."""
    from datetime import timedelta

    from inventory.tasks import release_expired_reservations
    from orders.models import CheckoutSaga
    from orders.saga import saga_resume

    outage("payments")
    order = place(priced("MUG", 2))
    settle(down=outage.state["down"], rounds=3)
    assert Order.objects.get(pk=order.order_id).status == "payment_pending"
    # Its runner dies before it retries (choreographed: the command comes late), so no renewal of the hold
    # comes first; meanwhile the hold runs out and inventory's sweep releases the stock.
    CheckoutSaga.objects.filter(pk=order.order_id).update(attempts=0, waiting=False,
                                                          deadline=timezone.now() - timedelta(seconds=1))
    Reservation.objects.filter(order_id=order.order_id).update(held_until=timezone.now() - timedelta(seconds=1))
    assert release_expired_reservations.apply().get() == 1
    assert stock_of("MUG") == (10, 0, 0)
    outage()
    saga_resume(order_id=order.order_id)  # before orders hears ReservationExpired
    settle()
    assert final(order.order_id) == ("cancelled", "reservation_expired")
    assert charges(order.order_id) == ["refunded"]
    assert stock_of("MUG") == (10, 0, 0)
    assert not Shipment.objects.filter(order_id=order.order_id, status="scheduled").exists()
    assert [(e.name, e.outcome) for e in get_orders_api().get_order(order_id=order.order_id).timeline][-3:] == [
        ("charge_payment", "failed"), ("void_or_refund_payment", "succeeded"), ("release_stock", "succeeded")]
