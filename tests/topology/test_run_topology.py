"""run_topology monolith and split as real processes: an order placed through the API ends confirmed with its
email sent, every message is delivered, and Ctrl-C or SIGTERM to the launcher stops every child."""
import re

import pytest

from notifications.models import Notification
from outbox.api import all_subscribers
from outbox.models import Delivery
from tests.observability.scraping import SCRAPE_TOKEN, assert_every_process_kind_measured, map_cells
from tests.processes import wait_for
from tests.topology.launch import run_topology, stop_and_check_no_orphans

# Bounded: readiness within 120 s, settling within 90 s, stopping within 40 s (more than pytest's 180 s default).
pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True), pytest.mark.timeout(420)]


def confirmed_with_email(shop, token: str, order_id: str) -> None:
    wait_for(lambda: shop.order(token, order_id)["status"] in ("confirmed", "cancelled"), timeout=90, interval=0.5,
             message=f"order {order_id} to settle")
    assert shop.order(token, order_id)["status"] == "confirmed"
    wait_for(lambda: Notification.objects.filter(order_id=order_id, kind="order_confirmation",
                                                 status=Notification.Status.SENT).exists(),
             timeout=60, interval=0.5, message="the confirmation email")
    # Every event and command about the order reached every subscriber, and none is left behind (the
    # test-only loyalty context is in no topology: nobody consumes its queue).
    wait_for(lambda: not Delivery.objects.exclude(status=Delivery.Status.DONE).exclude(
        subscriber__startswith="loyalty.").exists(), timeout=60, interval=0.5, message="every delivery done")


def test_monolith_places_an_order_and_stops_on_ctrl_c(token, tmp_path):
    with run_topology("monolith", tmp_path, METRICS_SCRAPE_TOKEN=SCRAPE_TOKEN) as shop:
        response = shop.place_order(token, sku="MUG", quantity=2)
        assert response.status_code in (201, 202), response.content
        confirmed_with_email(shop, token, response.json()["order_id"])
        assert_every_process_kind_measured(shop.web, shop.text(), checkout_mode="orchestrated")
        assert "worker" in shop.text() and "relay" in shop.text() and "beat" in shop.text()
        stop_and_check_no_orphans(shop, ctrl_c=True)


def test_split_delivers_events_commands_and_emails_across_processes_and_stops_on_sigterm(token, staff, tmp_path):
    # Choreographed: the checkout is nothing but events, so each context's own worker must take its queue.
    # The web under gunicorn, as in production (docs/topology.md).
    with run_topology("split", tmp_path, options=("--web-server", "gunicorn"), CHECKOUT_MODE="choreographed",
                      METRICS_SCRAPE_TOKEN=SCRAPE_TOKEN) as shop:
        for line in ("inventory  ", "orders  ", "payments  ", "shipping  "):
            assert line in shop.text()
        response = shop.place_order(token, sku="MUG", quantity=2)
        assert response.status_code == 202, response.content
        order_id = response.json()["order_id"]
        confirmed_with_email(shop, token, order_id)
        # The parcel leaves (staff's action in shipping): inventory's worker turns the reserved stock into sold.
        from inventory.models import Reservation
        from shipping.models import Shipment
        from shipping.services import shipment_dispatch

        shipment_dispatch(shipment_id=Shipment.objects.get(order_id=order_id).pk)
        wait_for(lambda: Reservation.objects.filter(order_id=order_id, status="committed").exists(), timeout=60,
                 interval=0.5, message="inventory's worker to hear ShipmentDispatched")
        # Every shop context that subscribes to something (the registry says which) got work in its own worker.
        subscribing = {s.context for s in all_subscribers()} & {"inventory", "payments", "shipping", "orders", "notifications"}
        handled_by = {d.subscriber.split(".")[0] for d in Delivery.objects.all()}
        assert {"inventory", "payments", "orders", "notifications"} <= subscribing <= handled_by
        for context in subscribing:
            assert "outbox.deliver" in shop.log(f"worker-{context}"), f"worker-{context} handled nothing"
        # Every process kind's figures, on the web's /metrics and each context server's (docs/observability.md).
        assert_every_process_kind_measured(shop.web, shop.text(), checkout_mode="choreographed")
        # The web's map shows what the workers measured: the checkout's calls and the events they handled.
        cells = map_cells(shop.web, "sam", "sam-pass")
        for arrow in (("shop", "orders", "sync REST"), ("orders", "payments", "sync REST"),
                      ("orders", "notifications", "command")):
            assert re.match(r"[\d.]+ m?s / [\d.]+ m?s / [\d.]+% ", cells[arrow]), (arrow, cells[arrow])
        stop_and_check_no_orphans(shop)
