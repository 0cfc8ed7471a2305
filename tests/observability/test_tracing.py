"""Traces in one process: a checkout is one trace of its saga steps and boundary calls, each call a span with
its policy's facts (rejected ones too), the outbox hop keeps the trace, logs carry the ids, the store is bounded."""
import logging

import pytest
from django.test import override_settings

from common.resilience.breaker import FORCED_OPEN, BreakerOpen, breaker_for
from common.resilience.config import cached_policy_for
from inventory.api import get_inventory_api
from orders.api import get_orders_api
from observability import spanstore, tracing
from observability.models import SpanRecord
from tests.conftest import deliver_outbox, priced
from tests.orders.due import deliver
from tests.observability.traces import forget_buffered, spans_of_order

pytestmark = [pytest.mark.django_db, pytest.mark.in_process_only]


@pytest.fixture(autouse=True)
def _fresh_buffer():
    forget_buffered()


def place(mode: str):
    with override_settings(CHECKOUT_MODE=mode):
        return get_orders_api().place_order(customer_id=1, email="c@example.com", lines=[priced("MUG", 1)],
                                            payment_token="tok_visa", shipping_address="1 Road")


def test_an_orchestrated_checkout_is_one_trace_of_its_steps_and_boundary_calls(catalog):
    order = place("orchestrated")
    spans = spans_of_order(order.order_id)
    assert len({s.trace_id for s in spans}) == 1
    names = [s.name for s in spans]
    for name in ("checkout", "saga reserve_stock", "inventory.reserve_items", "saga charge_payment",
                 "payments.charge", "saga schedule_shipment", "shipping.schedule_shipment", "saga send_confirmation"):
        assert name in names, names
    by_id = {s.span_id: s for s in spans}
    reserve = next(s for s in spans if s.name == "inventory.reserve_items")
    assert by_id[reserve.parent_id].name == "saga reserve_stock"  # the call is a child of its step
    assert reserve.attributes == {**reserve.attributes, "boundary": "inventory", "operation": "reserve_items",
                                  "transport": "local", "attempt": 1, "breaker": "closed", "outcome": "ok"}
    # The checkout's messages went out with its trace: the handlers' spans are children of its spans.
    deliver_outbox()
    handlers = [s for s in spans_of_order(order.order_id) if s.name.startswith("outbox handle")]
    assert handlers and {s.trace_id for s in handlers} == {spans[0].trace_id}
    assert all(s.parent_id in by_id for s in handlers)


def test_a_choreographed_checkout_is_one_trace_across_its_events(catalog):
    order = place("choreographed")
    for _ in range(6):  # a round per step: each step's event runs the next one
        deliver()
    spans = spans_of_order(order.order_id)
    assert len({s.trace_id for s in spans}) == 1
    names = [s.name for s in spans]
    for name in ("checkout", "outbox handle orders.ResumeCheckout -> orders.resume_checkout",
                 "saga reserve_stock", "saga charge_payment", "saga send_confirmation"):
        assert any(n.startswith(name) for n in names), (name, "\n".join(names))


def test_a_call_the_breaker_rejects_is_a_span_too(catalog):
    breaker_for("inventory", cached_policy_for("inventory", "").breaker).force(FORCED_OPEN)
    with pytest.raises(BreakerOpen):
        get_inventory_api().release_items(order_id="00000000-0000-0000-0000-000000000001")
    tracing.flush()
    span = SpanRecord.objects.get(name="inventory.release_items")
    assert span.error and span.attributes["outcome"] == "BreakerOpen"
    assert span.attributes["breaker"] == FORCED_OPEN


def test_logs_carry_trace_span_and_correlation_ids():
    from opentelemetry import trace

    from config.settings import base
    from observability.logs import TraceContextFilter
    from outbox.api import message_context

    console = base.LOGGING["handlers"]["console"]  # what every process but pytest logs with
    assert console["filters"] == ["trace"] and base.LOGGING["filters"]["trace"]["()"].endswith("TraceContextFilter")
    formatter = logging.Formatter(base.LOGGING["formatters"][console["formatter"]]["format"])
    record = logging.LogRecord("shop", logging.INFO, __file__, 1, "hello", (), None)
    with message_context(correlation_id="corr-1"), trace.get_tracer("t").start_as_current_span("s") as span:
        TraceContextFilter().filter(record)
        context = span.get_span_context()
    assert formatter.format(record) == (f"INFO shop [trace={context.trace_id:032x} span={context.span_id:016x} "
                                        "correlation=corr-1] hello")
    outside = logging.LogRecord("shop", logging.INFO, __file__, 1, "hello", (), None)
    TraceContextFilter().filter(outside)
    assert (outside.trace_id, outside.span_id, outside.correlation_id) == ("-", "-", "-")


def test_the_store_keeps_only_the_newest_spans():
    from opentelemetry import trace

    for _ in range(30):
        trace.get_tracer("t").start_span("x").end()
    tracing.flush()
    newest = SpanRecord.objects.order_by("-id").values_list("id", flat=True)[:10]
    assert spanstore.prune(keep=10) == 20
    assert set(SpanRecord.objects.values_list("id", flat=True)) == set(newest)


def test_the_order_page_links_its_trace_and_the_waterfall_shows_it(catalog, admin_client):
    order = place("orchestrated")
    deliver_outbox()
    tracing.flush()
    client = admin_client
    page = client.get(f"/admin/orders/order/{order.order_id}/change/")
    assert page.status_code == 200 and f"/admin/traces/order/{order.order_id}/" in page.content.decode()
    waterfall = client.get(f"/admin/traces/order/{order.order_id}/")
    html = waterfall.content.decode()
    assert waterfall.status_code == 200, html
    for name in ("checkout", "saga charge_payment", "payments.charge", "outbox handle orders.OrderPlaced"):
        assert name in html
    assert html.count('class="span') == SpanRecord.objects.filter(
        trace_id__in=SpanRecord.objects.filter(order_id=order.order_id).values("trace_id")).count()
    assert client.get("/admin/traces/order/00000000-0000-0000-0000-000000000009/").status_code == 200
    client.logout()
    assert client.get(f"/admin/traces/order/{order.order_id}/").status_code == 302  # staff only


@pytest.mark.parametrize("name, exporter", [
    ("console", "opentelemetry.sdk.trace.export.ConsoleSpanExporter"),
    ("otlp-grpc", "opentelemetry.exporter.otlp.proto.grpc.trace_exporter.OTLPSpanExporter"),
    ("otlp-http", "opentelemetry.exporter.otlp.proto.http.trace_exporter.OTLPSpanExporter"),
])
def test_each_exporter_setting_builds_its_exporter(name, exporter):
    built = tracing.exporter_named(name)
    assert f"{type(built).__module__}.{type(built).__name__}" == exporter
    built.shutdown()


def test_an_unknown_exporter_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="none, console, otlp-grpc, otlp-http"):
        tracing.exporter_named("jaeger")


def test_each_process_names_its_spans_from_its_command_line(monkeypatch):
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    assert tracing.service_name(["manage.py", "serve_context", "payments", "--http", "x"]) == "payments"
    assert tracing.service_name(["/v/celery/__main__.py", "-A", "config", "worker", "--hostname=worker-orders@%h"]) \
        == "worker-orders"
    assert tracing.service_name(["manage.py", "relay_outbox"]) == "relay"
    assert tracing.service_name(["/v/gunicorn/__main__.py", "config.wsgi:application"]) == "web"
    monkeypatch.setenv("OTEL_SERVICE_NAME", "mine")
    assert tracing.service_name(["manage.py", "runserver"]) == "mine"


def test_a_retried_charge_stays_in_the_checkouts_trace(catalog, settings):
    from orders.models import Order
    from tests.orders.due import resume_due

    base = settings.RESILIENCE
    operations = {**base["boundaries"]["payments"]["operations"]}
    operations["charge"] = {**operations["charge"], "fault": {"abort": {"percentage": 100, "http_status": 503}}}
    settings.RESILIENCE = {**base, "boundaries": {**base["boundaries"], "payments": {"operations": operations}}}
    order = place("orchestrated")
    assert order.status == "payment_pending"
    settings.RESILIENCE = base  # payments is back: the sweeper's ResumeCheckout runs the retry
    assert resume_due(order.order_id) == 1
    assert Order.objects.get(pk=order.order_id).status == "confirmed"
    spans = spans_of_order(order.order_id)
    assert len({s.trace_id for s in spans}) == 1
    charges = [s for s in spans if s.name == "payments.charge"]
    assert [(c.attributes["outcome"], c.attributes.get("fault.injected")) for c in charges] == [
        ("InjectedAbort", True), ("ok", None)]
    assert [s.attributes["attempt"] for s in spans if s.name == "saga charge_payment"] == [1, 2]
    assert any(s.name == "checkout resume" for s in spans)


def test_a_path_outside_latin1_is_a_404_not_a_500(customer):
    # The fuzzer's find: OpenTelemetry's WSGI helpers cannot encode such a URL (observability/middleware.py).
    from tests.conftest import client_for

    response = client_for(customer).get("/api/orders/%29YU0P%F3%A1%AF%87%F2%95%92%BC%2C%C2%BA%F0%BF%A0%A0M/")
    assert response.status_code == 404 and response.json()["code"] == "order_not_found", response.content
