"""A relay (like a worker or beat) serves /metrics of its own on a loopback port, to the scrape token only."""
import time

import pytest
import requests

from common.net import free_port
from tests.observability.scraping import scrape
from tests.processes import child_env, relay

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]


def test_a_relay_serves_its_metrics_to_the_scrape_token_only(tmp_path):
    port = free_port()
    env = child_env(METRICS_PORT=str(port), METRICS_SCRAPE_TOKEN="scrape-me", PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    base = f"http://127.0.0.1:{port}"
    with relay(log_name="exporter-relay", env=env):
        deadline = time.monotonic() + 30
        while True:
            try:
                anonymous = requests.get(f"{base}/metrics", timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the relay never served /metrics"
                time.sleep(0.2)
        assert anonymous.status_code == 401 and anonymous.json()["code"] == "not_authenticated"
        wrong = requests.get(f"{base}/metrics", headers={"Authorization": "Bearer nope"}, timeout=2)
        assert wrong.status_code == 403 and wrong.json()["code"] == "permission_denied"
        assert requests.get(f"{base}/other", headers={"Authorization": "Bearer scrape-me"}, timeout=2).status_code == 404
        families = scrape(base, token="scrape-me")
    assert [s.labels["kind"] for s in families["shop_processes"] if s.value] == ["relay"]
    assert "shop_outbox_lag_seconds" in families
