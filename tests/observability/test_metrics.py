"""Prometheus metrics: /metrics for staff or the scrape token only, what a checkout records, names by the
conventions, the docs' list in step with the code, and the communication map's figures."""
import re
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from django.test import override_settings

from common.errors import BoundaryUnavailable
from common.models import FaultRule
from common.resilience.breaker import BreakerOpen
from common.resilience.proxy import invoke
from common.resilience.faults import runtime_rules
from observability import metrics
from observability.scrape import OutboxCollector, quantile
from tests.common.test_policy import Flaky, resilience
from tests.conftest import deliver_outbox, place_order_via_api

pytestmark = pytest.mark.django_db
DOCS = Path(__file__).resolve().parents[2] / "docs" / "observability.md"


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def scrape(client, **headers) -> dict:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return {family.name: family for family in text_string_to_metric_families(response.content.decode())}


def samples(families: dict, name: str, **labels) -> list:
    return [s for family in families.values() for s in family.samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]


# --- who may scrape -----------------------------------------------------------------------------

def assert_refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code and body["detail"] and body["correlation_id"]
    assert response["X-Correlation-ID"] == body["correlation_id"]


def test_metrics_are_not_public(client, customer, settings):
    settings.METRICS = {**settings.METRICS, "SCRAPE_TOKEN": "scrape-secret-0123456789"}
    response = client.get("/metrics")
    assert_refused(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert_refused(client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong"), 403, "permission_denied")
    assert_refused(client.get("/metrics", HTTP_AUTHORIZATION="Token scrape-secret-0123456789"), 403, "permission_denied")
    client.force_login(customer)  # signed in, not staff
    assert_refused(client.get("/metrics"), 403, "permission_denied")


def test_staff_or_the_scrape_token_may(client, staff, settings):
    settings.METRICS = {**settings.METRICS, "SCRAPE_TOKEN": "scrape-secret-0123456789"}
    assert "shop_outbox_lag_seconds" in scrape(client, HTTP_AUTHORIZATION="Bearer scrape-secret-0123456789")
    client.force_login(staff)
    assert "shop_outbox_lag_seconds" in scrape(client)


def test_without_a_token_setting_no_bearer_is_accepted(client, settings):
    settings.METRICS = {**settings.METRICS, "SCRAPE_TOKEN": ""}
    assert_refused(client.get("/metrics", HTTP_AUTHORIZATION="Bearer "), 403, "permission_denied")


# --- what a checkout records ------------------------------------------------------------------

def test_a_checkout_records_calls_handlers_the_saga_and_the_outbox(staff_client, customer, catalog):
    placed = place_order_via_api(customer, "MUG", 2)
    families = scrape(staff_client)
    assert samples(families, "shop_outbox_deliveries", state="in_flight") or samples(families, "shop_outbox_deliveries")
    assert samples(families, "shop_outbox_undispatched_messages")[0].value >= 1  # the order's events wait
    deliver_outbox()
    families = scrape(staff_client)
    for boundary, operation in (("orders", "place_order"), ("inventory", "reserve_items"), ("payments", "charge"),
                                ("shipping", "schedule_shipment")):
        calls = samples(families, "shop_boundary_call_seconds_count", boundary=boundary, operation=operation,
                        outcome="ok", transport="local")
        assert calls and calls[0].value >= 1, (boundary, operation)
    assert samples(families, "shop_boundary_call_seconds_count", caller="shop", boundary="orders")
    assert samples(families, "shop_boundary_call_seconds_count", caller="orders", boundary="payments")
    assert samples(families, "shop_saga_seconds_count", mode="orchestrated", outcome="completed")[0].value == 1
    assert samples(families, "shop_saga_step_seconds_count", mode="orchestrated", step="charge_payment", outcome="succeeded")
    handled = samples(families, "shop_outbox_handler_seconds_count", message="orders.OrderPlaced", outcome="ok")
    assert handled and samples(families, "shop_outbox_delivery_latency_seconds_count", message="orders.OrderPlaced")
    assert samples(families, "shop_outbox_status_up")[0].value == 1
    assert samples(families, "shop_outbox_lag_seconds")[0].value == 0  # everything delivered
    assert placed["status"] == "confirmed"


def test_faults_retries_breakers_and_failures_are_counted(staff_client, customer, catalog, settings):
    FaultRule.objects.create(boundary="payments", operation="charge", abort_percentage=100, http_status=503)
    runtime_rules.invalidate()
    place_order_via_api(customer, "MUG", 1)
    families = scrape(staff_client)
    assert samples(families, "shop_faults_injected_total", boundary="payments", kind="abort")[0].value >= 1
    failed = samples(families, "shop_boundary_call_seconds_count", boundary="payments", operation="charge",
                     outcome="unavailable")
    assert failed and failed[0].value >= 1


def test_retries_fallbacks_and_rejected_calls_have_their_outcome(staff_client):
    policies = resilience(read={"idempotent": True}, guess={"fallback": "tests.common.test_policy.fallback_answer"})
    policies["defaults"]["breaker"] = {"minimum_number_of_calls": 2, "failure_rate_threshold": 50,
                                       "wait_duration_in_open_state": 60}
    with override_settings(RESILIENCE=policies):
        assert invoke("svc", "read", Flaky(1), (), {}) == "ok"  # on its second try
        assert invoke("svc", "guess", Flaky(1), (), {"sku": "X"}) == ("fallback", "X")
        for _ in range(3):  # failing tries open the breaker: the calls after it are rejected
            with pytest.raises(BoundaryUnavailable):
                invoke("svc", "read", Flaky(9), (), {})
        with pytest.raises(BreakerOpen):
            invoke("svc", "read", Flaky(0), (), {})
    families = scrape(staff_client)
    assert samples(families, "shop_boundary_retries_total", boundary="svc", operation="read")[0].value >= 1
    assert samples(families, "shop_boundary_fallbacks_total", boundary="svc", operation="guess")[0].value == 1
    outcomes = {s.labels["outcome"]: s.value for s in samples(families, "shop_boundary_call_seconds_count",
                                                              caller="tests", boundary="svc")}
    assert outcomes["ok"] == 1 and outcomes["fallback"] == 1 and outcomes["breaker_open"] >= 1


def test_breaker_transitions_and_state(staff_client):
    from common.resilience.breaker import Breaker
    from common.resilience.config import cached_policy_for

    breaker = Breaker("metrics-probe", cached_policy_for("metrics-probe", "").breaker)
    for _ in range(breaker.policy.minimum_number_of_calls):  # every call fails: the breaker trips
        breaker.record(breaker.acquire(), failed=True, duration=0.0)
    families = scrape(staff_client)
    assert samples(families, "shop_breaker_transitions_total", boundary="metrics-probe", to_state="open")[0].value == 1
    assert samples(families, "shop_breaker_state", boundary="metrics-probe")[0].value == 2
    breaker.force("forced-closed")  # pinned by an operator (admin, Circuit breakers page)
    families = scrape(staff_client)
    assert samples(families, "shop_breaker_transitions_total", boundary="metrics-probe", from_state="open",
                   to_state="forced-closed")[0].value == 1
    assert samples(families, "shop_breaker_state", boundary="metrics-probe")[0].value == 0


# --- names and docs ---------------------------------------------------------------------------

def our_families():
    families = [family for metric in metrics.ALL for family in metric.collect()]
    return families + list(OutboxCollector().collect())


def test_every_metric_name_follows_the_prometheus_conventions():
    names = set()
    for family in our_families():
        assert re.fullmatch(r"shop_[a-z][a-z0-9_]*", family.name), family.name
        assert family.documentation, family.name
        if family.type == "counter":
            assert not family.name.endswith("_total")  # the client strips it from the family, adds it to samples
        if family.type == "histogram":
            assert family.name.endswith("_seconds"), family.name
        if family.type == "gauge":
            assert not family.name.endswith("_total"), family.name
        names.add(family.name)
    assert len(names) == len(our_families())
    for metric in metrics.ALL:  # labels too: snake_case, no reserved ones
        for label in metric._labelnames:
            assert re.fullmatch(r"[a-z][a-z0-9_]*", label) and label not in ("le", "quantile", "job", "instance")


def documented() -> dict[str, set[str]]:
    section = DOCS.read_text().split("## Metrics", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(shop_[a-z0-9_]+)` \| [a-z]+ \|([^|]*)\|", section, re.M)
    return {name: set(re.findall(r"`([a-z_]+)`", labels)) for name, labels in rows}


def test_the_docs_list_every_metric_with_its_labels():
    code = {}
    for metric in metrics.ALL:
        name = metric._name + ("_total" if metric._type == "counter" else "")
        code[name] = set(metric._labelnames)
    for family in OutboxCollector().collect():
        code[family.name] = {key for sample in family.samples for key in sample.labels}
    assert documented() == code


# --- the communication map --------------------------------------------------------------------

def test_the_map_shows_figures_after_traffic(staff_client, customer, catalog):
    FaultRule.objects.create(boundary="payments", operation="charge", abort_percentage=100, http_status=503)
    runtime_rules.invalidate()
    place_order_via_api(customer, "MUG", 1)  # reserved; the charge fails (payment_pending: retried later)
    deliver_outbox()
    html = staff_client.get("/admin/communication-map/").content.decode()
    rows = {(source, target, kind): cell for source, target, kind, cell in re.findall(
        r"<tr class=\"\w+\">\s*<td>(\w+)</td><td>(\w+)</td><td>([\w -]+)</td>.*?<td class=\"metrics\">(.*?)</td>",
        html, re.S)}
    figures = re.compile(r"[\d.]+ ms / [\d.]+ ms / ([\d.]+)% <small>\((\d+)\)</small>")
    inventory = figures.fullmatch(rows[("orders", "inventory", "sync in-process")])
    assert inventory and inventory.group(1) == "0.0" and inventory.group(2) == "1"  # the reservation
    payments = figures.fullmatch(rows[("orders", "payments", "sync in-process")])
    assert payments and payments.group(1) == "100.0"
    assert figures.fullmatch(rows[("orders", "notifications", "event")])  # OrderPlaced reached its subscriber
    assert rows[("shipping", "inventory", "event")] == "not measured yet"  # nothing was shipped
    assert "p50 " in html and "errors 100.0% of 1" in html  # the arrows' hover text


def test_quantiles_interpolate_inside_a_bucket_like_prometheus():
    buckets = {0.001: 0, 0.01: 50, 0.1: 100, float("inf"): 100}
    assert quantile(0.5, buckets) == pytest.approx(0.01)
    assert quantile(0.75, buckets) == pytest.approx(0.055)
    assert quantile(0.5, {float("inf"): 0}) is None
    assert quantile(0.99, {0.5: 0, float("inf"): 3}) == 0.5


@pytest.mark.parametrize("argv, kind", [
    (["manage.py", "runserver", "127.0.0.1:8000"], "web"),
    (["/v/bin/gunicorn", "config.wsgi:application"], "web"),
    (["/v/lib/site-packages/gunicorn/__main__.py", "config.wsgi:application"], "web"),  # python -m gunicorn
    (["manage.py", "serve_context", "orders", "--http", "x"], "serve_context:orders"),
    (["/v/bin/celery", "-A", "config", "worker", "-Q", "x"], "worker"),
    (["/v/lib/site-packages/celery/__main__.py", "-A", "config", "beat"], "beat"),  # python -m celery
    (["manage.py", "relay_outbox"], "relay"),
    (["/v/bin/pytest", "tests"], None),
])
def test_each_process_kind_is_told_from_its_command_line(argv, kind):
    assert metrics.process_kind(argv) == kind


def test_the_registry_holds_no_sample_of_a_former_test():
    assert not [s for family in REGISTRY.collect() if family.name == "shop_boundary_call_seconds"
                for s in family.samples]
