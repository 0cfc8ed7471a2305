"""Issue 11's "Done": an order placed in each checkout mode over `split` processes is ONE trace with spans from
every process involved (web, orders, inventory, payments, shipping, the relay, the workers), in order, with the
outbox hop linked (each handler's span is a child of the publishing span and links to its worker's task)."""
import pytest
from django.conf import settings

from notifications.models import Notification
from observability import tracing
from observability.models import SpanRecord
from outbox.models import Delivery
from tests.conftest import on_postgres
from tests.processes import wait_for
from tests.topology.launch import OwnProcesses

# Bounded: readiness within 120 s, each order settled within 90 s, its spans within 30 s.
# Once per CI run: on PostgreSQL with Redis (the SQLite and RabbitMQ passes would add a minute each for the same
# propagation; the broker's headers are Celery's either way).
pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True), pytest.mark.timeout(420),
              pytest.mark.skipif(not on_postgres() or not settings.CELERY_BROKER_URL.startswith("redis"),
                                 reason="run once, on the PostgreSQL + Redis pass")]

SERVERS = {"web", "orders", "inventory", "payments", "shipping"}


def settle(shop, token: str, order_id: str) -> None:
    wait_for(lambda: shop.store.status_when_answered(token, order_id) in ("confirmed", "cancelled"), timeout=90,
             interval=0.3, message=f"order {order_id} to settle")
    assert shop.store.order(token, order_id)["status"] == "confirmed"
    wait_for(lambda: Notification.objects.filter(order_id=order_id, status=Notification.Status.SENT).exists(),
             timeout=60, interval=0.3, message="the confirmation email")
    wait_for(lambda: not Delivery.objects.exclude(status=Delivery.Status.DONE).exclude(
        subscriber__startswith="loyalty.").exists(), timeout=60, interval=0.3, message="every delivery done")


def trace_of(order_id: str, expected_services: set[str]) -> list[SpanRecord]:
    """The order's one trace, once every expected process has written its spans (each writes every 0.3 s)."""
    def spans():
        tracing.flush()  # this process's spans too: the test's POST is the trace's root
        traces = set(SpanRecord.objects.filter(order_id=order_id).values_list("trace_id", flat=True))
        return list(SpanRecord.objects.filter(trace_id__in=traces).order_by("started_at", "id"))
    def complete():
        found = spans()
        relayed = {(s.name.removeprefix("outbox relay "), s.parent_id) for s in found if s.service == "relay"}
        handled = {(s.name.removeprefix("outbox handle ").split(" -> ")[0], s.parent_id) for s in found
                   if s.name.startswith("outbox handle")}
        # Every process written, and the relay's span of every handled message (it may flush after the worker).
        return expected_services <= {s.service for s in found} and handled <= relayed and found

    try:
        return wait_for(complete, timeout=30, interval=0.3, message=f"spans of {sorted(expected_services)}")
    except AssertionError:
        found = spans()
        raise AssertionError(f"{len(found)} spans, from {sorted({s.service for s in found})}:\n" + "\n".join(
            f"{s.trace_id[:8]} {s.service} {s.kind} {s.name}" for s in found)) from None


def check_one_trace(spans: list[SpanRecord], mode: str) -> None:
    assert len({s.trace_id for s in spans}) == 1, {(s.service, s.name, s.trace_id) for s in spans}
    by_id = {s.span_id: s for s in spans}
    # In order: the test's own POST (this process's urllib3 span) is the root; the storefront's request comes
    # first of the shop's spans; every span hangs off the root; the checkout runs in orders' server.
    root, request = spans[0], spans[1]
    assert root.service == "pytest" and root.kind == "client" and root.parent_id == ""
    assert request.service == "web" and request.kind == "server" and request.parent_id == root.span_id
    assert [s for s in spans if s.parent_id not in by_id] == [root]
    checkout = next(s for s in spans if s.name == "checkout")
    assert checkout.service == "orders" and checkout.attributes["mode"] == mode
    # Each step's boundary call reached the process serving it, as a child of the call.
    for boundary in ("inventory", "payments", "shipping"):
        served = [s for s in spans if s.service == boundary and s.kind == "server"]
        assert served, f"no server span from {boundary}"
        assert any(_ancestor(by_id, s, lambda a: a.attributes.get("boundary") == boundary) for s in served)
    # The outbox hop: relayed in the relay, handled in a worker, a child of the span that published the
    # message and linked to the task that carried it; each handled after it was relayed.
    # (Choreographed, orders.ResumeCheckout is relayed once per step: a handled message is matched to the relay
    # span of the same name under the same publisher.)
    relayed = {(s.name.removeprefix("outbox relay "), s.parent_id): s for s in spans if s.service == "relay"}
    handled = [s for s in spans if s.name.startswith("outbox handle")]
    assert relayed and handled
    for span in handled:
        assert span.service.startswith("worker-") and span.links, (span.service, span.name, span.links)
        message = span.name.removeprefix("outbox handle ").split(" -> ")[0]
        twin = relayed.get((message, span.parent_id))  # both children of the publisher's span
        assert twin is not None, (span.name, span.parent_id, sorted(relayed), mode)
        assert span.started_at >= twin.started_at
    # The link leads to the worker's Celery task span, whose parent is the relay's publish: Celery's headers
    # carried the relay's context to the worker.
    link = handled[0].links[0]
    task = wait_for(lambda: SpanRecord.objects.filter(trace_id=link["trace_id"], span_id=link["span_id"]).first(),
                    timeout=10, interval=0.3, message="the worker's task span")
    assert task.name == "run/outbox.deliver" and task.service == handled[0].service
    publish = wait_for(lambda: SpanRecord.objects.filter(trace_id=task.trace_id, span_id=task.parent_id).first(),
                       timeout=10, interval=0.3, message="the relay's publish span")
    assert publish.name == "apply_async/outbox.deliver" and publish.service == "relay"
    if mode == "choreographed":  # the steps ran in orders' worker, each on the ResumeCheckout the last one sent
        steps = [s for s in spans if s.name.startswith("saga ")]
        assert {s.service for s in steps} == {"worker-orders"}
        assert [s.name for s in steps] == ["saga reserve_stock", "saga charge_payment", "saga schedule_shipment",
                                           "saga send_confirmation"]


def _ancestor(by_id, span, predicate) -> bool:
    while span.parent_id in by_id:
        span = by_id[span.parent_id]
        if predicate(span):
            return True
    return False


def test_one_trace_per_checkout_in_both_modes_across_split_processes(token, tmp_path):
    with OwnProcesses("split", tmp_path, TRACING_STORE_FLUSH_SECONDS="0.3", CHECKOUT_MODE="orchestrated") as shop:
        shop.start()
        for mode in ("orchestrated", "choreographed"):
            if mode == "choreographed":  # the mode is read where the order is placed: orders' server
                shop.env["CHECKOUT_MODE"] = mode
                shop.kill("orders")
                shop.start("orders")
            response = shop.store.place_order(token, sku="MUG", quantity=1)
            assert response.status_code in (201, 202), response.content
            order_id = response.json()["order_id"]
            settle(shop, token, order_id)
            # Orchestrated, orders hears nothing back (no delivery to its worker); choreographed, its worker runs
            # each step on the ResumeCheckout the previous one sent.
            workers = {"worker-notifications"} | ({"worker-orders"} if mode == "choreographed" else set())
            spans = trace_of(order_id, SERVERS | {"relay"} | workers)
            check_one_trace(spans, mode)
