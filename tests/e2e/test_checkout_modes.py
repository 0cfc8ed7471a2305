"""One end-to-end suite, run with CHECKOUT_MODE orchestrated and choreographed: the same outcomes for the same inputs."""
import pytest
from django.core import mail

from inventory.models import Reservation
from orders.api import get_orders_api
from orders.models import Order
from payments.models import Payment
from shipping.models import Shipment
from tests.conftest import order_body, priced, stock_of
from tests.e2e.settle import settle

pytestmark = pytest.mark.django_db
ABORT = {"abort": {"percentage": 100, "http_status": 503}}


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
        state["down"] = frozenset(contexts)
        boundaries = {**base["boundaries"]}
        for context in contexts:
            boundaries[context] = {**boundaries.get(context, {}), "fault": ABORT, "operations": {}}
        settings.RESILIENCE = {**base, "boundaries": boundaries}

    set_down.state = state
    return set_down


def place(*lines, token="tok_visa"):
    return get_orders_api().place_order(customer_id=7, email="e2e@example.com", lines=list(lines),
                                        payment_token=token, shipping_address="2 Lane")


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
    assert Order.objects.get(pk=order.order_id).status in ("payment_pending", "reserved")
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
    if mode == "orchestrated":
        # Past the pivot the saga only goes forward: it must finish before the order can be undone.
        settle()
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
    assert Delivery.objects.filter(status="done").update(status="pending") > 0
    settle()
    assert (final(order.order_id), stock_of("MUG"), charges(order.order_id), len(mail.outbox)) == before


def test_reordered_events_change_nothing(settings, catalog):
    """Payments hears ItemsReserved before OrderPlaced: it waits for it instead of charging blind."""
    from outbox.delivery import deliver_batch
    from outbox.models import Delivery
    from outbox.relay import fan_out

    settings.CHECKOUT_MODE = "choreographed"
    order = place(priced("MUG", 1))

    def run_only(subscriber):
        """Hand out every due delivery but run just this subscriber's; the rest wait for their workers."""
        fan_out(batch=100)
        Delivery.objects.filter(status="in_flight").exclude(subscriber=subscriber).update(
            status="pending", leased_until=None)
        ids = list(Delivery.objects.filter(status="in_flight", subscriber=subscriber).values_list("id", flat=True))
        return deliver_batch(subscriber, ids)

    run_only("inventory.reserve_when_order_placed")
    assert run_only("payments.charge_when_items_reserved")["failed"] == 1  # too early: no invoice yet
    assert charges(order.order_id) == []
    settle()
    assert final(order.order_id) == ("confirmed", "")
    assert charges(order.order_id) == ["charged"]


def test_the_timeline_shows_saga_steps_or_events(mode, catalog):
    order = place(priced("MUG", 1))
    settle()
    timeline = get_orders_api().get_order(order_id=order.order_id).timeline
    names = [entry.name for entry in timeline]
    if mode == "orchestrated":
        assert names == ["reserve_stock", "charge_payment", "schedule_shipment", "send_confirmation"]
    else:
        assert names[0] == "orders.OrderPlaced"
        assert names.index("inventory.ItemsReserved") < names.index("payments.PaymentProcessed") \
            < names.index("shipping.ShipmentScheduled") < names.index("orders.OrderConfirmed")
    assert [e.at for e in timeline] == sorted(e.at for e in timeline)


def test_storefront_answers_202_for_a_choreographed_order_and_shows_its_progress(settings, catalog, customer):
    from tests.conftest import client_for

    settings.CHECKOUT_MODE = "choreographed"
    client = client_for(customer)
    response = client.post("/api/orders/", order_body(("MUG", 1)), format="json")
    assert (response.status_code, response.json()["status"]) == (202, "pending")
    settle()
    assert client.get(f"/api/orders/{response.json()['order_id']}/").json()["status"] == "confirmed"


def test_a_choreographed_checkout_that_stalls_is_cancelled_and_undone(settings, catalog, outage):
    from datetime import timedelta

    from django.utils import timezone

    from orders.tasks import expire_stalled_checkouts

    settings.CHECKOUT_MODE = "choreographed"
    settings.CHOREOGRAPHY_TIMEOUT = 60
    outage("payments")
    order = place(priced("TEE", 2))
    settle(down=outage.state["down"], rounds=3)
    assert expire_stalled_checkouts.apply().get() == 0  # not stalled long enough yet
    Order.objects.filter(pk=order.order_id).update(created_at=timezone.now() - timedelta(seconds=61))
    assert expire_stalled_checkouts.apply().get() == 1
    settle(down=outage.state["down"], rounds=3)
    assert final(order.order_id) == ("cancelled", "checkout_timeout")
    assert stock_of("TEE") == (5, 0, 0)
    outage()  # payments comes back and finally hears ItemsReserved: the void refuses the late charge
    settle()
    assert final(order.order_id) == ("cancelled", "checkout_timeout")
    assert "charged" not in charges(order.order_id)
