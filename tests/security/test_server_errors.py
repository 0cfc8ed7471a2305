"""A server error under /api/ or /internal/ is JSON in the error shape with a correlation id that is also logged."""
import logging

import pytest
import requests
from rest_framework.test import APIClient

import shop.views

pytestmark = pytest.mark.django_db


def test_an_unexpected_error_is_json_with_a_logged_correlation_id(api, catalog, monkeypatch, caplog):
    def broken():
        raise RuntimeError("the orders context broke in a way nobody planned for")

    monkeypatch.setattr(shop.views, "get_orders_api", broken)  # any unplanned failure below the view
    with caplog.at_level(logging.ERROR, logger="shop.errors"):
        response = api.get("/api/orders/", HTTP_X_CORRELATION_ID="probe-123")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert (body["code"], body["correlation_id"], response["X-Correlation-ID"]) == ("server_error", "probe-123", "probe-123")
    assert "nobody planned" not in response.content.decode()  # the cause stays in the log
    logged = [r for r in caplog.records if "probe-123" in r.getMessage()]
    assert logged and logged[0].exc_info and "nobody planned" in str(logged[0].exc_info[1])


def test_an_unsafe_correlation_id_is_replaced_not_echoed(api, catalog):
    response = api.get("/api/orders/", HTTP_X_CORRELATION_ID="<script>" + "x" * 100)
    assert "<script>" not in response["X-Correlation-ID"]


def test_an_unknown_api_path_is_a_json_404(db):
    response = APIClient().get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_errors_outside_the_api_keep_django_pages(db):
    assert APIClient().get("/no-such-page/")["Content-Type"].startswith("text/html")


@pytest.mark.processes
@pytest.mark.django_db(transaction=True)
def test_internal_unknown_paths_and_methods_are_json(context_servers, settings):
    base = context_servers["payments"]["rest"] + "/internal/payments/"
    headers = {"Authorization": f"Bearer {settings.INTERNAL_SERVICE_TOKENS['payments']}"}
    missing = requests.get(base + "no-such-thing/", headers=headers, timeout=5)
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    wrong_verb = requests.put(base + "charges/", json={}, headers=headers, timeout=5)
    assert (wrong_verb.status_code, wrong_verb.json()["code"]) == (405, "method_not_allowed")


class BrokenInventory:
    """An inventory whose every call fails in a way nobody planned for."""

    def get_availability(self, *, skus):
        raise RuntimeError("inventory broke unexpectedly")


def _internal_urls():
    from django.urls import include, path

    from common.transports.rest import internal_urlpatterns
    from inventory.api import InventoryApi
    from inventory.transports.rest import OPERATIONS

    return [path("internal/inventory/", include(internal_urlpatterns("inventory", InventoryApi, BrokenInventory(), OPERATIONS)))]


urlpatterns = []  # filled by the test below, so importing this module builds nothing


@pytest.mark.django_db(transaction=True)
def test_an_internal_server_error_is_json_with_a_logged_correlation_id(live_server, settings, caplog):
    urlpatterns[:] = _internal_urls()
    settings.ROOT_URLCONF = __name__
    token = settings.INTERNAL_SERVICE_TOKENS["inventory"]
    with caplog.at_level(logging.ERROR, logger="shop.errors"):
        response = requests.get(live_server.url + "/internal/inventory/availability/?skus=MUG", timeout=5,
                                headers={"Authorization": f"Bearer {token}", "X-Correlation-ID": "internal-7"})
    assert response.status_code == 500 and response.headers["Content-Type"] == "application/json"
    assert response.json()["code"] == "server_error" and response.json()["correlation_id"] == "internal-7"
    assert any("internal-7" in r.getMessage() and r.exc_info for r in caplog.records)
