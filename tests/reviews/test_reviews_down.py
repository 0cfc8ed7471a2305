"""The product page with reviews in a process of its own (REST, as the split profile has it) that hangs, then dies:
the page still answers, at once and with its reviews marked unavailable; the home list still recommends."""
import os
import signal
import sys
import time

import pytest
import requests
from rest_framework.test import APIClient

from common.net import free_port
from tests.conftest import deliver_outbox, on_postgres
from tests.processes import child_env, running, wait_for

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True),
              pytest.mark.skipif(not on_postgres(), reason="a real reviews server: on PostgreSQL only (keeps the SQLite pass short)")]


def _up(url: str) -> bool:
    try:
        return requests.get(url + "/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _product_page(sku: str) -> tuple[dict, float]:
    started = time.monotonic()
    response = APIClient().get(f"/api/products/{sku}/")
    assert response.status_code == 200, response.content
    return response.json(), time.monotonic() - started


def test_the_product_page_outlives_a_hung_then_dead_reviews_server(api, catalog, settings):
    url = f"http://127.0.0.1:{free_port()}"
    args = [sys.executable, "manage.py", "serve_context", "reviews", "--http", url.removeprefix("http://")]
    with running(args, log_name="serve-reviews-down", env=child_env()) as server:
        wait_for(lambda: _up(url) or server.poll() is not None, timeout=60, message="serve_context reviews")
        assert server.poll() is None, "serve_context reviews died at start"
        settings.BOUNDARIES = {**settings.BOUNDARIES, "reviews": {
            "transport": "rest", "target": url, "timeout": 10.0, "token": settings.INTERNAL_SERVICE_TOKENS["reviews"]}}
        assert api.post("/api/products/MUG/reviews/", {"rating": 4, "text": "Sturdy"}, format="json").status_code == 201
        deliver_outbox()
        page, _ = _product_page("MUG")
        assert (page["reviews"]["available"], page["reviews"]["count"]) == (True, 1)

        os.killpg(server.pid, signal.SIGSTOP)  # hangs: connections are accepted, nothing answers
        try:
            page, took = _product_page("MUG")
        finally:
            os.killpg(server.pid, signal.SIGCONT)
        assert page["reviews"]["available"] is False and page["available"] == 10
        limit = settings.RESILIENCE["boundaries"]["reviews"]["timeout"]
        assert took < limit + 1.0, f"the page waited {took:.2f}s for reviews (its timeout is {limit}s)"

        os.killpg(server.pid, signal.SIGKILL)  # dies: connections are refused
        server.wait(timeout=10)
        for _ in range(12):  # enough refusals to open the breaker: then the page does not even try
            page, took = _product_page("MUG")
            assert page["reviews"]["available"] is False
        assert took < 0.5, f"with reviews dead the page still took {took:.2f}s"
        assert [p["sku"] for p in APIClient().get("/api/products/").json()["recommended"]] == ["MUG"]
        refused = api.post("/api/products/TEE/reviews/", {"rating": 5}, format="json")
        assert refused.status_code == 503 and refused.json()["code"]
