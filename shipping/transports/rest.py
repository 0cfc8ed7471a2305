"""Shipping's internal REST endpoints (mounted at /internal/shipping/) and the RestShippingApi client."""
from __future__ import annotations

from common.transports.rest import Operation, RestClient, internal_urlpatterns

from ..api import Shipment, ShippingApi
from .local import LocalShippingApi

OPERATIONS = (
    Operation("schedule_shipment", "POST", "shipments/", status=201),
    Operation("cancel_shipment", "POST", "shipments/<str:order_id>/cancel/", status=204),
)

urlpatterns = internal_urlpatterns("shipping", ShippingApi, LocalShippingApi(), OPERATIONS)


class RestShippingApi:
    """ShippingApi over HTTP; configured by settings.BOUNDARIES['shipping'] (target, timeout, token)."""

    def __init__(self, **config):
        self._http = RestClient("shipping", ShippingApi, OPERATIONS, **config)

    def schedule_shipment(self, *, order_id: str, address: str) -> Shipment:
        return self._http.call("schedule_shipment", order_id=order_id, address=address)

    def cancel_shipment(self, *, order_id: str) -> None:
        self._http.call("cancel_shipment", order_id=order_id)
