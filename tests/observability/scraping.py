"""Scraping a running topology's /metrics, for the topology tests: every process kind's figures are there."""
from __future__ import annotations

import re

import requests
from prometheus_client.parser import text_string_to_metric_families

SCRAPE_TOKEN = "topology-test-scrape-token-0123456789"


def scrape(base: str, token: str | None = SCRAPE_TOKEN) -> dict[str, list]:
    """{family name: samples} from GET <base>/metrics with the scrape token."""
    response = requests.get(f"{base}/metrics", timeout=10,
                            headers={"Authorization": f"Bearer {token}"} if token else {})
    assert response.status_code == 200, response.content[:500]
    return {family.name: family.samples for family in text_string_to_metric_families(response.text)}


def served_http(launcher_output: str) -> dict[str, str]:
    """The context servers run_topology said it started over REST: {context: http://host:port}."""
    return {name: f"http://{address}" for name, address in re.findall(r"^\s+(\w+)\s+rest (\S+)$", launcher_output, re.M)}


def assert_every_process_kind_measured(web: str, launcher_output: str, *, checkout_mode: str) -> None:
    """The web's /metrics shows what each kind of process recorded after a checkout (one multiprocess
    directory), every context server answers /metrics too, and none answers without the token."""
    families = scrape(web)
    kinds = {s.labels["kind"] for s in families["shop_processes"] if s.value >= 1}
    servers = served_http(launcher_output)
    grpc_only = re.findall(r"^\s+(\w+)\s+grpc \S+$", launcher_output, re.M)
    assert {"web", "worker", "relay", "beat", *(f"serve_context:{c}" for c in [*servers, *grpc_only])} <= kinds, kinds
    calls = {(s.labels["caller"], s.labels["boundary"]) for s in families["shop_boundary_call_seconds"]
             if s.name.endswith("_count")}
    assert ("shop", "orders") in calls, calls  # the web's own call
    assert ("orders", "payments") in calls, calls  # made by the web, orders' server or a worker
    handlers = {s.labels["subscriber"] for s in families["shop_outbox_handler_seconds"] if s.name.endswith("_count")}
    assert any(name.startswith("notifications.") for name in handlers), handlers  # the workers' work
    assert any(s.labels["task"] == "outbox.deliver" for s in families["shop_celery_task_seconds"])
    assert any(s.labels["task"] == "outbox.deliver" for s in families["shop_celery_task_queued_seconds"])
    assert any(s.labels["mode"] == checkout_mode and s.labels["outcome"] == "completed"
               for s in families["shop_saga_seconds"] if s.name.endswith("_count"))
    assert families["shop_outbox_status_up"][0].value == 1 and "shop_outbox_lag_seconds" in families
    for context, base in servers.items():
        assert "shop_boundary_call_seconds" in scrape(base), context
        refused = requests.get(f"{base}/metrics", timeout=10)
        assert refused.status_code == 401 and refused.json()["code"] == "not_authenticated"


def map_cells(web: str, username: str, password: str) -> dict[tuple[str, str, str], str]:
    """The communication map's "p50 / p99 / error rate" cell of every arrow, read as a staff member would."""
    session = requests.Session()
    session.get(f"{web}/admin/login/", timeout=10)
    response = session.post(f"{web}/admin/login/", timeout=10, data={
        "username": username, "password": password, "next": "/admin/communication-map/",
        "csrfmiddlewaretoken": session.cookies["csrftoken"]}, headers={"Referer": f"{web}/admin/login/"})
    assert response.status_code == 200 and "communication-map" in response.url, response.text[:500]
    return {(source, target, kind): cell for source, target, kind, cell in re.findall(
        r"<tr class=\"\w+\">\s*<td>(\w+)</td><td>(\w+)</td><td>([\w -]+)</td>.*?<td class=\"metrics\">(.*?)</td>",
        response.text, re.S)}
